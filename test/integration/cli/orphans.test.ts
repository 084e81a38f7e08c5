/**
 * Orphans as a user meets them on the command line (the real argument parsing, configuration and output,
 * in-process so the EC2 fake stays countable): `status` prices them, `reconcile` marks and, with
 * PRIVATELINK_DELETE_ORPHANS_AFTER_H, deletes them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProvisionOutcome } from '../../../functions/core/reconcile/types.ts';
import type { OrphanRow } from '../../../functions/core/status/fleet.ts';
import { runCliAsOperator } from '../../../testing/operator-cli.ts';
import { cliEnvOf, startWorld, type World } from '../../../testing/world.ts';

const HOUR = 3_600_000;
let world: World;

beforeEach(async () => {
  world = await startWorld();
});

afterEach(async () => {
  await world.close();
});

const cli = (args: string[], extra?: Record<string, string>) =>
  runCliAsOperator(world, args, cliEnvOf(world, extra));

/** A Ready cluster whose TiDB cluster is then deleted: its endpoint (2 AZs here) is an orphan. */
async function orphan() {
  const cluster = world.addCluster({ displayName: 'retired' });
  const made = await cli(['provision', '--cluster', cluster.clusterId, '--wait', '--json']);
  expect(made.code).toBe(0);
  world.sim.removeCluster(cluster.clusterId);
  return { cluster, vpcEndpointId: (JSON.parse(made.stdout) as ProvisionOutcome).vpcEndpointId };
}

describe('status', () => {
  it('lists orphans with their monthly cost, changing nothing', async () => {
    const { cluster, vpcEndpointId } = await orphan();
    world.ec2.resetCalls();
    const run = await cli(['status', '--json']);
    expect(run.code).toBe(0);
    const { orphans } = JSON.parse(run.stdout) as { orphans: OrphanRow[] };
    expect(orphans).toEqual([
      {
        clusterId: cluster.clusterId,
        tidbNodeGroupId: cluster.tidbNodeGroupId,
        vpcEndpointId,
        reason: expect.stringContaining('404'),
        orphanedSince: null,
        deletesAt: null,
        availabilityZones: 2,
        costPerMonthUsd: 14.6,
      },
    ]);
    expect(world.ec2.mutatingCalls).toBe(0);

    const text = await cli(['status']);
    expect(text.stdout).toContain('Orphaned endpoints');
    expect(text.stdout).toContain('about $14.60/month');
    expect(text.stdout).toContain('us-east-1, 2026-11');
  });

  it('shows when a marked orphan will be deleted', async () => {
    await orphan();
    const settings = { PRIVATELINK_DELETE_ORPHANS_AFTER_H: '48' };
    await cli(['reconcile', '--json'], settings);
    const { orphans } = JSON.parse((await cli(['status', '--json'], settings)).stdout) as {
      orphans: OrphanRow[];
    };
    const since = orphans[0]?.orphanedSince ?? '';
    expect(orphans[0]?.deletesAt).toBe(new Date(Date.parse(since) + 48 * HOUR).toISOString());
  });
});

describe('reconcile', () => {
  it('reports the orphan (exit 0), then deletes it once PRIVATELINK_DELETE_ORPHANS_AFTER_H has passed', async () => {
    const { vpcEndpointId } = await orphan();
    const settings = { PRIVATELINK_DELETE_ORPHANS_AFTER_H: '2' };
    const first = await cli(['reconcile', '--json'], settings);
    expect(first.code).toBe(0);
    const [marked] = (JSON.parse(first.stdout) as { clusters: ProvisionOutcome[] }).clusters;
    expect(marked).toMatchObject({ phase: 'Orphaned', vpcEndpointId, actions: [{ type: 'mark-orphaned' }] });

    await world.clock.sleep(2 * HOUR);
    const second = await cli(['reconcile'], settings);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('delete-endpoint');
    expect((await world.ec2.findEndpoints({ vpcEndpointIds: [vpcEndpointId ?? ''] }))[0]?.state).toBe(
      'deleted',
    );
  });
});
