/**
 * The reconcile lease on moto's DynamoDB over real HTTP: the adapter's conditional writes (taken once, held
 * until it expires, released only by its holder), and the scheduled reconcile handler itself invoked several
 * times at once, of which exactly one works while the others log who holds the lease and return.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { DynamoDbLeaseStore } from '../../functions/adapters/aws/dynamodb-lease.ts';
import { KEY_ATTRIBUTE } from '../../functions/adapters/aws/dynamodb-registry.ts';
import { createReconcileHandler } from '../../functions/app/provisioning.ts';
import { RECONCILE_LEASE } from '../../functions/core/lease.ts';
import type { TidbCloudPort } from '../../functions/core/ports.ts';
import type { ProvisionOutcome } from '../../functions/core/reconcile/types.ts';
import { sandboxPrincipals } from '../../testing/iam/sandbox-roles.ts';
import { lambdaContext } from '../../testing/lambda-context.ts';
import { sandboxClientConfig } from '../../testing/moto-world.ts';
import { createStateTable, type SandboxTable } from '../../testing/state-table.ts';
import { startWorld, type World } from '../../testing/world.ts';
import { leaseStoreContract } from '../unit/core/lease-contract.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');
let table: SandboxTable;
let reconcileClient: DynamoDBClient;
let store: DynamoDbLeaseStore;
let world: World;

beforeAll(async () => {
  const config = { endpointUrl: inject('awsEndpointUrl'), region: inject('awsRegion') };
  table = await createStateTable(config);
  // The reconcile's own client: its lease writes are decided against its packaged role first.
  const principals = await sandboxPrincipals({ stateTable: table.tableName });
  reconcileClient = new DynamoDBClient(sandboxClientConfig(config, { as: principals.as('reconcile') }));
  store = new DynamoDbLeaseStore(reconcileClient, table.tableName);
  world = await startWorld();
}, 120_000);

afterAll(async () => {
  reconcileClient?.destroy();
  await world?.close();
  await table?.drop();
});

async function rawLease(name: string) {
  const { Item } = await table.client.send(
    new GetItemCommand({ TableName: table.tableName, Key: { [KEY_ATTRIBUTE]: { S: `lease#${name}` } } }),
  );
  return Item;
}

// One table for the whole file; every contract test uses lease names of its own.
leaseStoreContract('DynamoDbLeaseStore on moto', () => store);

describe('DynamoDbLeaseStore on moto', () => {
  it('keeps the holder and expiry as plain attributes, removed on release, with no TTL', async () => {
    const held = { holder: 'a', until: T0 + 60_000 };
    await store.tryTake('raw', held, T0);
    expect(await rawLease('raw')).toEqual({
      [KEY_ATTRIBUTE]: { S: 'lease#raw' },
      holder: { S: 'a' },
      leaseUntil: { N: String(T0 + 60_000) },
    });
    await store.release('raw', held);
    expect(await rawLease('raw')).toEqual({ [KEY_ATTRIBUTE]: { S: 'lease#raw' } });
  });
});

/** The TiDB port with its cluster listing held at a gate: the pass that got there stays in progress. */
function gatedListing(tidb: TidbCloudPort, gate: Promise<void>, entered: () => void): TidbCloudPort {
  return new Proxy(tidb, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (property === 'listClusters') {
        return async (...args: Parameters<TidbCloudPort['listClusters']>) => {
          entered();
          await gate;
          return target.listClusters(...args);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('the scheduled reconcile with the lease on moto', () => {
  it('of overlapping invocations exactly one works; the others log who holds the lease and return', async () => {
    world.addCluster();
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    // Cluster listings: a pass lists once per converging round, so 1 while the first pass waits at the gate.
    let passes = 0;
    const deps = {
      ...world.deps,
      tidb: gatedListing(world.deps.tidb, gate, () => (passes += 1)),
      lease: store,
    };
    const logger = new Logger({ serviceName: 'tidb-privatelink', logLevel: 'SILENT' });
    const info = vi.spyOn(logger, 'info');
    const handler = createReconcileHandler(async () => deps, logger);
    const invoke = (id: string) =>
      handler({}, { ...lambdaContext(285_000, 'reconcile'), awsRequestId: id }) as Promise<{
        clusters: ProvisionOutcome[];
        leaseHeldBy?: { holder: string; until: number };
      }>;

    const start = world.clock.now();
    const returned = new Set<string>();
    const invocations = ['r1', 'r2', 'r3', 'r4'].map((id) => invoke(id).finally(() => returned.add(id)));
    // Three return, each without working, while the fourth is still in its pass (held at the gate).
    await vi.waitFor(() => expect(returned.size).toBe(3), { timeout: 10_000 });
    expect(passes).toBe(1);
    const held = (await rawLease(RECONCILE_LEASE))?.holder?.S ?? '';
    const working = ['r1', 'r2', 'r3', 'r4'].find((id) => !returned.has(id));
    expect(held).toBe(`reconcile request ${working}`);
    open();
    const results = await Promise.all(invocations);
    const worked = results.filter((result) => result.leaseHeldBy === undefined);
    expect(worked).toHaveLength(1);
    expect(worked[0]?.clusters).toHaveLength(1);
    const refused = results.filter((result) => result.leaseHeldBy !== undefined);
    expect(refused).toHaveLength(3);
    for (const result of refused) {
      expect(result).toEqual({
        clusters: [],
        leaseHeldBy: { holder: held, until: start + 285_000 },
      });
    }
    expect(
      info.mock.calls.filter(([message]) => /^reconcile lease held by /.test(String(message))),
    ).toHaveLength(3);
    // Released at the end: the next tick works.
    expect((await rawLease(RECONCILE_LEASE))?.holder).toBeUndefined();
    const before = passes;
    expect((await invoke('r5')).leaseHeldBy).toBeUndefined();
    expect(passes).toBeGreaterThan(before);
  });
});
