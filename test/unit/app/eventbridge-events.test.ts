import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { eventBridgeEvents } from '../../../functions/app/eventbridge-events.ts';
import { eventsOnFirstPublish } from '../../../functions/app/events-on-first-publish.ts';
import { loadConfig } from '../../../functions/config.ts';
import { type AppEvent, DETAIL_TYPES } from '../../../functions/core/ports.ts';

/** What a PutEvents request carried: the operation (X-Amz-Target) and its entries. */
interface Received {
  target: string | undefined;
  entries: { Source: string; DetailType: string; EventBusName: string; Detail: string }[];
}

const received: Received[] = [];
/** A stand-in for EventBridge on loopback that accepts every entry. */
const server = createServer((request: IncomingMessage, response) => {
  let body = '';
  request.on('data', (chunk: Buffer) => {
    body += chunk.toString('utf8');
  });
  request.on('end', () => {
    const { Entries = [] } = JSON.parse(body || '{}') as { Entries?: Received['entries'] };
    received.push({ target: request.headers['x-amz-target'] as string | undefined, entries: Entries });
    response.setHeader('content-type', 'application/x-amz-json-1.1');
    response.end(
      JSON.stringify({ FailedEntryCount: 0, Entries: Entries.map((_, i) => ({ EventId: `e${i}` })) }),
    );
  });
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await new Promise((resolve) => server.close(resolve));
});

function config() {
  const { port } = server.address() as AddressInfo;
  return loadConfig(
    {
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
      TIDB_CLOUD_PUBLIC_KEY: 'pub',
      TIDB_CLOUD_PRIVATE_KEY: 'priv',
      PRIVATELINK_EVENT_BUS: 'privatelink-bus',
    },
    { apiKeys: 'env' },
  );
}

const event: AppEvent = {
  detailType: DETAIL_TYPES.clusterDetected,
  detail: { clusterId: '1379661944646413103', tidbNodeGroupId: '' },
};

describe("the functions' events on EventBridge", () => {
  it('publishes the same PutEvents whether the client comes with the others or on the first publish', async () => {
    for (const eventsOf of [eventBridgeEvents, eventsOnFirstPublish]) {
      received.length = 0;
      await eventsOf(config()).publish([event]);
      expect(received).toEqual([
        {
          target: 'AWSEvents.PutEvents',
          entries: [
            {
              Source: 'tidb-privatelink',
              DetailType: 'TiDB Cluster Detected',
              EventBusName: 'privatelink-bus',
              Detail: JSON.stringify(event.detail),
            },
          ],
        },
      ]);
    }
  });
});
