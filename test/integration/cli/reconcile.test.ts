/**
 * `provision` and `reconcile` as a user runs them: the real command line (argument parsing, configuration,
 * output, exit codes) against the TiDB Cloud simulator over HTTP and the EC2 fake.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProvisionOutcome } from '../../../functions/core/reconcile/types.ts';
import { runCliAsOperator } from '../../../testing/operator-cli.ts';
import { cliEnvOf, startWorld, type World, type WorldOptions } from '../../../testing/world.ts';

let world: World;

async function restart(options: WorldOptions): Promise<void> {
  await world.close();
  world = await startWorld(options);
}

beforeEach(async () => {
  world = await startWorld();
});

afterEach(async () => {
  await world.close();
});

const cli = (args: string[]) => runCliAsOperator(world, args, cliEnvOf(world));

async function provisionJson(clusterId: string) {
  const run = await cli(['provision', '--cluster', clusterId, '--wait', '--json']);
  return { code: run.code, outcome: JSON.parse(run.stdout) as ProvisionOutcome, stderr: run.stderr };
}

async function reconcileJson() {
  const run = await cli(['reconcile', '--json']);
  return { code: run.code, clusters: (JSON.parse(run.stdout) as { clusters: ProvisionOutcome[] }).clusters };
}

describe('tidb-privatelink provision', () => {
  it('after the endpoint was deleted in AWS, makes a new one, registered, Ready (exit 0)', async () => {
    const cluster = world.addCluster();
    const first = await provisionJson(cluster.clusterId);
    expect(first).toMatchObject({ code: 0, outcome: { phase: 'Ready' } });
    world.ec2.deleteEndpoint(first.outcome.vpcEndpointId ?? '');

    const again = await provisionJson(cluster.clusterId);

    expect(again.code).toBe(0);
    expect(again.outcome.phase).toBe('Ready');
    expect(again.outcome.vpcEndpointId).toMatch(/^vpce-/);
    expect(again.outcome.vpcEndpointId).not.toBe(first.outcome.vpcEndpointId);
    const connections = await world.sim.connections();
    expect(connections.find((c) => c.endpointId === again.outcome.vpcEndpointId)?.endpointState).toBe(
      'ACTIVE',
    );
  });

  it('two runs at once against an API answering the duplicate registration with 409: both Ready', async () => {
    await restart({ simulator: { duplicateConnectionStatus: 409 } });
    const cluster = world.addCluster();
    const [a, b] = await Promise.all([provisionJson(cluster.clusterId), provisionJson(cluster.clusterId)]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(a.outcome.vpcEndpointId).toBe(b.outcome.vpcEndpointId);
    expect(world.sim.requests.some((r) => r.operation === 'createConnection' && r.status === 409)).toBe(true);
    expect(await world.sim.connections()).toHaveLength(1);
  });

  it('a paused cluster: Blocked with the resume command, exit 1', async () => {
    const cluster = world.addCluster({ state: 'PAUSED' });
    const run = await cli(['provision', '--cluster', cluster.clusterId]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('Blocked');
    expect(run.stdout).toContain(':resumeCluster');
  });
});

describe('tidb-privatelink reconcile', () => {
  it('one failing cluster among three: --json lists all three, the failed one as Error; exit 2', async () => {
    const clusters = [world.addCluster(), world.addCluster(), world.addCluster()];
    const broken = clusters[1]?.clusterId ?? '';
    world.sim.faults.failPath(`/clusters/${broken}/`, 500);

    const { code, clusters: outcomes } = await reconcileJson();

    expect(code).toBe(2);
    expect(outcomes.map((o) => o.clusterId).sort()).toEqual(clusters.map((c) => c.clusterId).sort());
    expect(outcomes.find((o) => o.clusterId === broken)).toMatchObject({
      phase: 'Error',
      error: { code: 'TIDB_UNAVAILABLE', message: expect.stringContaining('HTTP 500') },
    });
    // The others were reconciled all the same: their endpoints exist and are registered.
    const others = outcomes.filter((o) => o.clusterId !== broken);
    expect(others.every((o) => o.phase === 'Progressing' && o.vpcEndpointId)).toBe(true);
    expect(await world.sim.connections()).toHaveLength(2);
  });

  it('prints the failed cluster in the table for people, with its error', async () => {
    const cluster = world.addCluster();
    world.sim.faults.failPath(`/clusters/${cluster.clusterId}/`, 503);
    const run = await cli(['reconcile']);
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(new RegExp(`${cluster.clusterId}\\s+Error`));
    expect(run.stdout).toContain('TIDB_UNAVAILABLE');
  });

  it('a converged cluster in MAINTENANCE stays Ready: no action, no event, exit 0', async () => {
    const cluster = world.addCluster();
    expect((await provisionJson(cluster.clusterId)).outcome.phase).toBe('Ready');
    world.sim.setClusterState(cluster.clusterId, 'MAINTENANCE');
    const published = world.events.published.length;

    const { code, clusters } = await reconcileJson();

    expect(code).toBe(0);
    expect(clusters).toEqual([expect.objectContaining({ phase: 'Ready', actions: [] })]);
    expect(world.events.published.length).toBe(published);
  });

  it('a PAUSED cluster is Idle, exit 0, no event', async () => {
    world.addCluster({ state: 'PAUSED' });
    const { code, clusters } = await reconcileJson();
    expect(code).toBe(0);
    expect(clusters).toEqual([expect.objectContaining({ phase: 'Idle' })]);
    expect(world.events.published).toHaveLength(0);
  });

  it('a Blocked cluster alone gives exit 1', async () => {
    world.addCluster({ state: 'INACTIVE' });
    const { code, clusters } = await reconcileJson();
    expect(code).toBe(1);
    expect(clusters[0]?.phase).toBe('Blocked');
  });

  it('rejects a bad PRIVATELINK_PENDING_TIMEOUT_MIN in one sentence, exit 2, nothing done', async () => {
    world.sim.clearRequests();
    const run = await runCliAsOperator(
      world,
      ['reconcile'],
      cliEnvOf(world, { PRIVATELINK_PENDING_TIMEOUT_MIN: 'soon' }),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('PRIVATELINK_PENDING_TIMEOUT_MIN "soon"');
    expect(world.sim.requests).toHaveLength(0);
  });
});
