/**
 * The scheduled reconcile handler with the lease in memory (the DynamoDB adapter, and overlapping
 * invocations over real HTTP, are in test/sandbox/lease.test.ts): against the TiDB Cloud simulator and the
 * EC2 fake.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createReconcileHandler } from '../../../functions/app/provisioning.ts';
import { RECONCILE_LEASE } from '../../../functions/core/lease.ts';
import type { ProvisionOutcome } from '../../../functions/core/reconcile/types.ts';
import { lambdaContext } from '../../../testing/lambda-context.ts';
import { MemoryLeaseStore } from '../../../testing/lease-fake.ts';
import { startWorld, type World } from '../../../testing/world.ts';

let world: World;
let lease: MemoryLeaseStore;
let logger: Logger;

beforeEach(async () => {
  world = await startWorld();
  lease = new MemoryLeaseStore();
  logger = new Logger({ serviceName: 'tidb-privatelink', logLevel: 'SILENT' });
});

afterEach(() => world.close());

type Answer = { clusters: ProvisionOutcome[]; leaseHeldBy?: { holder: string; until: number } };

const invoke = (remainingMs: number, id = 'req-1') =>
  createReconcileHandler(
    async () => ({ ...world.deps, lease: (await world.portsFor('reconcile')).lease(lease) }),
    logger,
  )(
    {},
    { ...lambdaContext(remainingMs, 'tidb-privatelink-dev-reconcile'), awsRequestId: id },
  ) as Promise<Answer>;

describe('the scheduled reconcile with the lease', () => {
  it('holds the lease until its own timeout while it works, and releases it at the end', async () => {
    world.addCluster();
    const start = world.clock.now();
    const seen: Array<unknown> = [];
    const listClusters = world.sim.stats().byOperation.listClusters ?? 0;
    const take = lease.tryTake.bind(lease);
    lease.tryTake = async (name, held, freeBefore) => {
      seen.push({ name, held, freeBefore });
      return take(name, held, freeBefore);
    };
    const answer = await invoke(120_000);
    expect(answer.leaseHeldBy).toBeUndefined();
    expect(answer.clusters).toHaveLength(1);
    expect(world.sim.stats().byOperation.listClusters ?? 0).toBeGreaterThan(listClusters);
    expect(seen).toEqual([
      {
        name: RECONCILE_LEASE,
        held: { holder: 'tidb-privatelink-dev-reconcile request req-1', until: start + 120_000 },
        freeBefore: start - 10_000,
      },
    ]);
    expect(lease.leases.has(RECONCILE_LEASE)).toBe(false);
  });

  it('a tick that finds the lease held does nothing, logs who holds it until when, and does not fail', async () => {
    world.addCluster();
    const until = world.clock.now() + 90_000;
    await lease.tryTake(
      RECONCILE_LEASE,
      { holder: 'tidb-privatelink-dev-reconcile request req-0', until },
      0,
    );
    const info = vi.spyOn(logger, 'info');
    const requests = world.sim.stats().total;

    const answer = await invoke(285_000);

    expect(answer).toEqual({
      clusters: [],
      leaseHeldBy: { holder: 'tidb-privatelink-dev-reconcile request req-0', until },
    });
    expect(world.sim.stats().total).toBe(requests);
    expect(world.ec2.calls.CreateVpcEndpoint).toBe(0);
    expect(info).toHaveBeenCalledWith(
      `reconcile lease held by tidb-privatelink-dev-reconcile request req-0 until ${new Date(until).toISOString()} (1 min 30 s from now): this tick does nothing`,
      {
        leaseHolder: 'tidb-privatelink-dev-reconcile request req-0',
        leaseUntil: new Date(until).toISOString(),
      },
    );
    expect(lease.leases.get(RECONCILE_LEASE)?.until).toBe(until);
  });

  it('warns when its lease was taken over before it could release it', async () => {
    world.addCluster();
    const warn = vi.spyOn(logger, 'warn');
    const release = lease.release.bind(lease);
    lease.release = async (name, held) => {
      // Another run took the lease after this one's expired (as if this pass overran its timeout).
      lease.leases.set(name, { holder: 'next', until: held.until + 300_000 });
      return release(name, held);
    };
    const answer = await invoke(120_000);
    expect(answer.clusters).toHaveLength(1);
    expect(warn).toHaveBeenCalledWith('the reconcile lease had been taken over before this pass released it');
    expect(lease.leases.get(RECONCILE_LEASE)?.holder).toBe('next');
  });
});
