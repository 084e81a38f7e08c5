import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import { EventBridgeAdapter } from '../../../../functions/adapters/aws/eventbridge.ts';
import { AwsError } from '../../../../functions/core/errors.ts';
import { type AppEvent, DETAIL_TYPES } from '../../../../functions/core/ports.ts';
import { stubClient } from './sdk-stub.ts';

function events(count: number): AppEvent[] {
  return Array.from({ length: count }, (_, index) => ({
    detailType: DETAIL_TYPES.probeCompleted,
    detail: { clusterId: '1379661944646413143', tidbNodeGroupId: '1934178998036000000', index },
  }));
}

function adapter(respond: Parameters<typeof stubClient>[1]) {
  const client = new EventBridgeClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
  const calls = stubClient(client, respond);
  return {
    events: new EventBridgeAdapter({ client, eventBusName: 'tidb', source: 'tidb-privatelink' }),
    calls,
  };
}

describe('EventBridgeAdapter', () => {
  it('sends 10 entries per PutEvents with source, detail type, JSON detail and bus', async () => {
    const { events: adapterUnderTest, calls } = adapter(() => ({ FailedEntryCount: 0, Entries: [] }));

    await adapterUnderTest.publish(events(21));

    const batches = calls.map((call) => call.input.Entries as Record<string, unknown>[]);
    expect(batches.map((batch) => batch.length)).toEqual([10, 10, 1]);
    expect(batches[0]?.[0]).toEqual({
      EventBusName: 'tidb',
      Source: 'tidb-privatelink',
      DetailType: 'PrivateLink Probe Completed',
      Detail: '{"clusterId":"1379661944646413143","tidbNodeGroupId":"1934178998036000000","index":0}',
    });
  });

  it('sends nothing for no events', async () => {
    const { events: adapterUnderTest, calls } = adapter(() => ({}));

    await adapterUnderTest.publish([]);

    expect(calls).toEqual([]);
  });

  it('fails loudly when EventBridge rejects entries', async () => {
    const { events: adapterUnderTest } = adapter(() => ({
      FailedEntryCount: 1,
      Entries: [{ EventId: 'a' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'Internal error' }],
    }));

    const error = await adapterUnderTest.publish(events(2)).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(AwsError);
    expect(error).toMatchObject({ awsCode: 'InternalFailure' });
    expect((error as Error).message).toContain('1 of 2');
    expect((error as Error).message).toContain('Internal error');
  });
});
