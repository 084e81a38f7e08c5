/**
 * The cluster registry's DynamoDB adapter against moto's DynamoDB over real HTTP: conditional writes decide
 * the first sighting exactly once, even when runs race; the TTL attribute goes only on deleted clusters.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  DynamoDbClusterRegistry,
  KEY_ATTRIBUTE,
  TTL_ATTRIBUTE,
} from '../../functions/adapters/aws/dynamodb-registry.ts';
import { OPERATOR_READ_ONLY } from '../../testing/iam/roles.ts';
import { type SandboxPrincipals, sandboxPrincipals } from '../../testing/iam/sandbox-roles.ts';
import { sandboxClientConfig } from '../../testing/moto-world.ts';
import { createStateTable, type SandboxTable } from '../../testing/state-table.ts';

const NODE_GROUP = '1934178998036000000';
const T0 = Date.parse('2026-01-01T00:00:00Z');
let table: SandboxTable;
let principals: SandboxPrincipals;
/** The reconcile's registry (it writes) and the operator's (`status` reads), each under its packaged IAM. */
let registry: DynamoDbClusterRegistry;
let status: DynamoDbClusterRegistry;
const clients: DynamoDBClient[] = [];

/** The state table's client of a packaged function or operator policy, through the IAM proxy. */
function clientOf(name: string): DynamoDBClient {
  const config = { endpointUrl: inject('awsEndpointUrl'), region: inject('awsRegion') };
  const client = new DynamoDBClient(sandboxClientConfig(config, { as: principals.as(name) }));
  clients.push(client);
  return client;
}

beforeAll(async () => {
  table = await createStateTable({ endpointUrl: inject('awsEndpointUrl'), region: inject('awsRegion') });
  principals = await sandboxPrincipals({ stateTable: table.tableName });
  registry = new DynamoDbClusterRegistry(clientOf('reconcile'), table.tableName);
  status = new DynamoDbClusterRegistry(clientOf(OPERATOR_READ_ONLY), table.tableName);
}, 120_000);

afterAll(async () => {
  for (const client of clients) client.destroy();
  await table?.drop();
});

async function rawItem(clusterId: string) {
  const { Item } = await table.client.send(
    new GetItemCommand({
      TableName: table.tableName,
      Key: { [KEY_ATTRIBUTE]: { S: `cluster#${clusterId}` } },
    }),
  );
  return Item;
}

describe('DynamoDbClusterRegistry on moto', () => {
  it('records a first sighting once: the second sighting is not first and keeps the first time', async () => {
    const clusterId = '1379661944646413001';
    expect(await registry.recordSighting(clusterId, NODE_GROUP, T0)).toEqual({ first: true });
    expect(await registry.recordSighting(clusterId, NODE_GROUP, T0 + 60_000)).toEqual({ first: false });
    expect(await status.get(clusterId)).toEqual({
      clusterId,
      tidbNodeGroupId: NODE_GROUP,
      firstSeenAt: '2026-01-01T00:00:00.000Z',
    });
  });

  it('a service or phase written before the first sighting does not take the sighting away', async () => {
    const clusterId = '1379661944646413006';
    await registry.setPhase(clusterId, 'Progressing', T0);
    await registry.recordService(clusterId, { state: 'ACTIVE', serviceName: 's', availableZones: [] });
    expect(await registry.recordSighting(clusterId, NODE_GROUP, T0)).toEqual({ first: true });
    expect(await status.get(clusterId)).toMatchObject({
      phase: 'Progressing',
      firstSeenAt: '2026-01-01T00:00:00.000Z',
    });
  });

  it('gives exactly one of many concurrent first sightings first: true', async () => {
    const clusterId = '1379661944646413002';
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => registry.recordSighting(clusterId, NODE_GROUP, T0 + i)),
    );
    expect(results.filter((result) => result.first)).toHaveLength(1);
  });

  it('moves phaseSince only when the phase changes', async () => {
    const clusterId = '1379661944646413003';
    await registry.recordSighting(clusterId, NODE_GROUP, T0);
    expect(await registry.setPhase(clusterId, 'Progressing', T0 + 1000)).toEqual({
      changed: true,
      known: true,
    });
    expect(await registry.setPhase(clusterId, 'Progressing', T0 + 2000)).toEqual({
      changed: false,
      known: true,
      previous: 'Progressing',
    });
    expect(await status.get(clusterId)).toMatchObject({
      phase: 'Progressing',
      phaseSince: '2026-01-01T00:00:01.000Z',
    });
    // What turned Ready, from what: the reconcile announces a Ready no run announced (provisioning.ts).
    expect(await registry.setPhase(clusterId, 'Ready', T0 + 3000)).toEqual({
      changed: true,
      known: true,
      previous: 'Progressing',
    });
    expect(await registry.setPhase('1379661944646413099', 'Ready', T0)).toEqual({
      changed: true,
      known: false,
    });
    expect(await status.get(clusterId)).toMatchObject({
      phase: 'Ready',
      phaseSince: '2026-01-01T00:00:03.000Z',
      firstSeenAt: '2026-01-01T00:00:00.000Z',
    });
  });

  it('keeps service facts and lists every cluster row', async () => {
    const clusterId = '1379661944646413004';
    const service = {
      state: 'ACTIVE',
      serviceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0abc',
      availableZones: ['use1-az1', 'use1-az2'],
    };
    await registry.recordSighting(clusterId, NODE_GROUP, T0);
    await registry.recordService(clusterId, service);
    const listed = await status.list();
    expect(listed.find((row) => row.clusterId === clusterId)?.service).toEqual(service);
    expect(listed.map((row) => row.clusterId)).toEqual(
      expect.arrayContaining(['1379661944646413001', '1379661944646413002', '1379661944646413003']),
    );
  });

  it('sets the TTL attribute only on a deleted cluster, never on a live one', async () => {
    const clusterId = '1379661944646413005';
    await registry.recordSighting(clusterId, NODE_GROUP, T0);
    await registry.setPhase(clusterId, 'Ready', T0);
    expect((await rawItem(clusterId))?.[TTL_ATTRIBUTE]).toBeUndefined();
    await registry.markDeleted(clusterId, T0, 7 * 86_400);
    expect((await rawItem(clusterId))?.[TTL_ATTRIBUTE]).toEqual({ N: String(T0 / 1000 + 7 * 86_400) });
    expect(await status.get(clusterId)).toMatchObject({ deletedAt: '2026-01-01T00:00:00.000Z' });
  });
});
