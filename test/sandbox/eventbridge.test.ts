/**
 * EventBridgeAdapter against moto over real HTTP: events published on a bus reach an SQS target exactly when
 * the rule's pattern matches them.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EventBridgeAdapter } from '../../functions/adapters/aws/eventbridge.ts';
import { AwsError } from '../../functions/core/errors.ts';
import { type AppEvent, DETAIL_TYPES } from '../../functions/core/ports.ts';
import {
  createSandboxClients,
  deliveredEvents,
  destroySandboxClients,
  type SandboxClients,
} from '../../testing/moto-world.ts';

const CLUSTER_ID = '1379661944646413143';
const NODE_GROUP_ID = '1934178998036000000';

function event(detailType: AppEvent['detailType'], extra: Record<string, unknown> = {}): AppEvent {
  return { detailType, detail: { clusterId: CLUSTER_ID, tidbNodeGroupId: NODE_GROUP_ID, ...extra } };
}

describe('EventBridgeAdapter on moto', () => {
  let clients: SandboxClients;

  beforeAll(() => {
    clients = createSandboxClients({ endpointUrl: inject('awsEndpointUrl'), region: inject('awsRegion') });
  });

  afterAll(() => destroySandboxClients(clients));

  it('delivers a matching event to the SQS target with its detail type, source and detail', async () => {
    const ready = event(DETAIL_TYPES.endpointReady, { vpcEndpointId: 'vpce-0abc' });

    const delivered = await deliveredEvents(
      clients,
      { source: ['tidb-privatelink'], 'detail-type': [DETAIL_TYPES.endpointReady] },
      [ready],
    );

    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({
      source: 'tidb-privatelink',
      'detail-type': 'PrivateLink Endpoint Ready',
      region: 'us-east-1',
      // IDs beyond 2^53 survive the round trip as strings.
      detail: { clusterId: CLUSTER_ID, tidbNodeGroupId: NODE_GROUP_ID, vpcEndpointId: 'vpce-0abc' },
    });
  });

  it('does not deliver events the pattern does not match', async () => {
    const delivered = await deliveredEvents(
      clients,
      { source: ['tidb-privatelink'], 'detail-type': [DETAIL_TYPES.provisioningBlocked] },
      [
        event(DETAIL_TYPES.endpointReady),
        event(DETAIL_TYPES.probeCompleted),
        event(DETAIL_TYPES.provisioningBlocked),
      ],
    );

    expect(delivered.map((delivery) => delivery['detail-type'])).toEqual([DETAIL_TYPES.provisioningBlocked]);
  });

  it('matches on detail fields and on source', async () => {
    const healthy = event(DETAIL_TYPES.healthChanged, { health: 'healthy' });
    const unhealthy = event(DETAIL_TYPES.healthChanged, { health: 'unhealthy' });
    const pattern = { source: ['tidb-privatelink'], detail: { health: ['unhealthy'] } };

    const delivered = await deliveredEvents(clients, pattern, [healthy, unhealthy]);
    const fromElsewhere = await deliveredEvents(clients, pattern, [unhealthy], { source: 'someone-else' });

    expect(delivered.map((delivery) => delivery.detail.health)).toEqual(['unhealthy']);
    expect(fromElsewhere).toEqual([]);
  });

  it('sends more than 10 events in batches of 10, all delivered in order', async () => {
    const events = Array.from({ length: 23 }, (_, index) => event(DETAIL_TYPES.probeCompleted, { index }));

    const delivered = await deliveredEvents(clients, { source: ['tidb-privatelink'] }, events);

    expect(delivered.map((delivery) => delivery.detail.index)).toEqual(events.map((_, index) => index));
  });

  it('fails loudly with AwsError when the bus does not exist', async () => {
    const client = new EventBridgeClient({
      region: clients.config.region,
      endpoint: clients.config.endpointUrl,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      maxAttempts: 1,
    });
    const adapter = new EventBridgeAdapter({
      client,
      eventBusName: 'no-such-bus',
      source: 'tidb-privatelink',
    });

    const error = await adapter
      .publish([event(DETAIL_TYPES.endpointReady)])
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(AwsError);
    expect(error).toMatchObject({ awsCode: 'ResourceNotFoundException' });
    client.destroy();
  });
});
