import { userInfo } from 'node:os';
/**
 * `reconcile` with the state table takes the scheduled reconcile's lease: against the TiDB Cloud simulator
 * and the EC2 fake, with the lease in memory (its DynamoDB adapter is proven on moto in test/sandbox/).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CLI_LEASE_MS,
  cliHolder,
  underReconcileLease,
} from '../../../functions/cli/commands/reconcile-lease.ts';
import type { CliContext } from '../../../functions/cli/context.ts';
import { loadConfig } from '../../../functions/config.ts';
import { LeaseExpiredError, RECONCILE_LEASE } from '../../../functions/core/lease.ts';
import type { ProvisionOutcome } from '../../../functions/core/reconcile/types.ts';
import { MemoryLeaseStore } from '../../../testing/lease-fake.ts';
import { operatorPolicyFor, runCliAsOperator } from '../../../testing/operator-cli.ts';
import { cliEnvOf, startWorld, type World } from '../../../testing/world.ts';

let world: World;
let lease: MemoryLeaseStore;

beforeEach(async () => {
  world = await startWorld();
  lease = new MemoryLeaseStore();
});

afterEach(async () => {
  vi.useRealTimers();
  await world.close();
});

/** The operator policy the command needs, with the state table's lease seen through it. */
const cli = async (args: string[]) =>
  runCliAsOperator(world, args, cliEnvOf(world), {
    lease: (await world.portsFor(operatorPolicyFor(args))).lease(lease),
  });

const SCHEDULED = 'tidb-privatelink-dev-reconcile request 7f3a';

describe('tidb-privatelink reconcile with the state table', () => {
  it('takes the lease for the pass and releases it at the end', async () => {
    world.addCluster();
    const holders: string[] = [];
    const take = lease.tryTake.bind(lease);
    lease.tryTake = async (name, held, freeBefore) => {
      holders.push(held.holder);
      expect(held.until).toBe(world.clock.now() + CLI_LEASE_MS);
      return take(name, held, freeBefore);
    };
    const run = await cli(['reconcile', '--json']);
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as { clusters: ProvisionOutcome[] }).clusters).toHaveLength(1);
    expect(holders).toEqual([
      expect.stringMatching(/^tidb-privatelink reconcile \(CLI\) by .+@.+, pid \d+$/),
    ]);
    expect(lease.leases.has(RECONCILE_LEASE)).toBe(false);
    expect(lease.releases).toBe(1);
  });

  it('does nothing while the scheduled reconcile holds the lease, and says who holds it until when (exit 1)', async () => {
    world.addCluster();
    const until = world.clock.now() + 200_000;
    await lease.tryTake(RECONCILE_LEASE, { holder: SCHEDULED, until }, 0);
    const requestsBefore = world.sim.stats().total;

    const run = await cli(['reconcile']);

    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      `Nothing done: another reconcile holds the lease, ${SCHEDULED} until ${new Date(until).toISOString()} (3 min 20 s from now). Run again once it has finished.\n`,
    );
    expect(world.sim.stats().total).toBe(requestsBefore);
    expect(world.ec2.calls.CreateVpcEndpoint).toBe(0);
    expect(lease.leases.get(RECONCILE_LEASE)?.holder).toBe(SCHEDULED);

    const json = await cli(['reconcile', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({ clusters: [], leaseHeldBy: { holder: SCHEDULED, until } });
  });

  it('a dry run takes no lease: it changes nothing, so it never keeps the schedule waiting', async () => {
    world.addCluster();
    await lease.tryTake(RECONCILE_LEASE, { holder: SCHEDULED, until: world.clock.now() + 200_000 }, 0);
    const run = await cli(['reconcile', '--dry-run', '--json']);
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as { clusters: ProvisionOutcome[] }).clusters).toHaveLength(1);
    expect(lease.takes).toBe(1);
  });
});

describe('underReconcileLease', () => {
  const context = (withLease: boolean): CliContext => ({
    config: loadConfig(cliEnvOf(world), { apiKeys: 'env', vpc: true }),
    deps: { ...world.cliDeps, ...(withLease ? { lease } : {}) },
    flags: {},
    env: {},
    signal: new AbortController().signal,
    progress: () => undefined,
  });

  it('stops a pass that outlives the lease, reports the expiry and releases the lease', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let stoppedBy: unknown;
    const run = underReconcileLease(
      context(true),
      (signal) =>
        new Promise<never>((_, reject) =>
          signal.addEventListener('abort', () => {
            stoppedBy = signal.reason;
            reject(new Error('request aborted'));
          }),
        ),
    );
    const failed = expect(run).rejects.toBeInstanceOf(LeaseExpiredError);
    await vi.advanceTimersByTimeAsync(CLI_LEASE_MS);
    await failed;
    expect(stoppedBy).toBeInstanceOf(LeaseExpiredError);
    expect(lease.leases.has(RECONCILE_LEASE)).toBe(false);
  });

  it('runs as before without a table: no lease at all', async () => {
    const run = await underReconcileLease(context(false), async () => 'passed');
    expect(run).toEqual({ ran: true, result: 'passed', released: true });
    expect(lease.takes).toBe(0);
  });

  it('names the person, the machine and the process', () => {
    expect(cliHolder('ops')).toMatch(
      new RegExp(`^tidb-privatelink reconcile \\(CLI\\) by ops@.+, pid ${process.pid}$`),
    );
    expect(cliHolder()).toContain(` by ${userInfo().username}@`);
  });
});
