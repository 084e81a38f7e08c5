/**
 * Powertools Idempotency with its real DynamoDB persistence layer on moto's DynamoDB, in the stack's table
 * beside the registry: a redelivered `TiDB Cluster Detected` provisions once.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createIdempotencyStore } from '../../functions/adapters/aws/idempotency-store.ts';
import { createProvisionHandler } from '../../functions/app/provisioning.ts';
import { DETAIL_TYPES } from '../../functions/core/ports.ts';
import { sandboxPrincipals } from '../../testing/iam/sandbox-roles.ts';
import { lambdaContext } from '../../testing/lambda-context.ts';
import { sandboxClientConfig } from '../../testing/moto-world.ts';
import { createStateTable, type SandboxTable } from '../../testing/state-table.ts';
import { startWorld, type World } from '../../testing/world.ts';

let table: SandboxTable;
let world: World;
/** The provision function's client: its idempotency records are decided against its packaged role first. */
let provisionClient: DynamoDBClient;
const logger = new Logger({ serviceName: 'tidb-privatelink', logLevel: 'SILENT' });

beforeAll(async () => {
  const config = { endpointUrl: inject('awsEndpointUrl'), region: inject('awsRegion') };
  table = await createStateTable(config);
  const principals = await sandboxPrincipals({ stateTable: table.tableName });
  provisionClient = new DynamoDBClient(sandboxClientConfig(config, { as: principals.as('provision') }));
}, 120_000);
afterAll(async () => {
  provisionClient?.destroy();
  await table?.drop();
});
beforeEach(async () => {
  world = await startWorld();
});
afterEach(() => world.close());

function detected(clusterId: string, id: string) {
  return {
    version: '0',
    id,
    'detail-type': DETAIL_TYPES.clusterDetected,
    source: 'tidb-privatelink',
    account: '123456789012',
    time: '2026-01-01T00:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: { clusterId },
  };
}

describe('provision idempotency on moto DynamoDB', () => {
  it('a redelivered event provisions once and answers with the first outcome', async () => {
    const cluster = world.addCluster();
    const handler = createProvisionHandler(
      async () => world.deps,
      logger,
      undefined,
      createIdempotencyStore(provisionClient, table.tableName),
    );
    const event = detected(cluster.clusterId, 'a1b2c3d4-0000-4000-8000-000000000001');
    const first = await handler(event, lambdaContext(900_000, 'provision'));
    const requests = world.sim.requests.length;
    const redelivered = await handler(structuredClone(event), lambdaContext(900_000, 'provision'));
    expect(redelivered).toEqual(first);
    expect(first).toMatchObject({ clusterId: cluster.clusterId, phase: 'Progressing' });
    expect(world.ec2.calls.CreateVpcEndpoint).toBe(1);
    expect(world.sim.requests.length).toBe(requests);
  });

  it('two deliveries at the same time: one provisions, the other is turned away', async () => {
    const cluster = world.addCluster();
    const store = () => createIdempotencyStore(provisionClient, table.tableName);
    // Two Lambda instances (each its own persistence layer), the same event.
    const [a, b] = [
      createProvisionHandler(async () => world.deps, logger, undefined, store()),
      createProvisionHandler(async () => world.deps, logger, undefined, store()),
    ];
    const event = detected(cluster.clusterId, 'a1b2c3d4-0000-4000-8000-000000000002');
    const results = await Promise.all([
      a(event, lambdaContext(900_000, 'provision')),
      b(structuredClone(event), lambdaContext(900_000, 'provision')),
    ]);
    expect(results.filter((r) => (r as { duplicate?: boolean }).duplicate === true)).toHaveLength(1);
    expect(world.ec2.calls.CreateVpcEndpoint).toBe(1);
  });
});
