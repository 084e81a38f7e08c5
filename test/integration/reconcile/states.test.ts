/**
 * Cluster states as users live them, orphans, and nothing waiting forever: the TiDB Cloud simulator over
 * HTTP and the EC2 fake, through the real reconcile core (docs/contracts.md "Lifecycle and failure semantics").
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClusterState, ConnectionState, VpcEndpointState } from '../../../functions/core/model.ts';
import { DETAIL_TYPES } from '../../../functions/core/ports.ts';
import { provision, reconcileAll } from '../../../functions/core/reconcile/reconcile.ts';
import { startWorld, type World, type WorldOptions } from '../../../testing/world.ts';

const HOUR = 3_600_000;
const MINUTE = 60_000;

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

const waitUntil = (ms = HOUR) => ({ deadline: world.clock.now() + ms });

async function readyCluster() {
  const cluster = world.addCluster();
  const outcome = await provision(world.deps, { clusterId: cluster.clusterId }, waitUntil());
  expect(outcome.phase).toBe('Ready');
  return { cluster, outcome };
}

describe('cluster states', () => {
  it.each(['MAINTENANCE', 'MODIFYING', 'UPGRADING', 'IMPORTING', 'RESTORING'] as const)(
    'a converged cluster in %s stays Ready: no action, no event',
    async (state) => {
      const { cluster } = await readyCluster();
      world.sim.setClusterState(cluster.clusterId, state);
      const published = world.events.published.length;
      world.ec2.resetCalls();
      const [outcome] = await reconcileAll(world.deps);
      expect(outcome).toMatchObject({ clusterId: cluster.clusterId, phase: 'Ready', actions: [] });
      expect(world.events.published.length).toBe(published);
      expect(world.ec2.totalCalls).toBe(1);
    },
  );

  it('a cluster in MAINTENANCE that is not converged yet waits, and takes no step', async () => {
    const cluster = world.addCluster({ state: 'MAINTENANCE' });
    const [outcome] = await reconcileAll(world.deps);
    expect(outcome).toMatchObject({
      phase: 'Progressing',
      waitingFor: expect.stringContaining('MAINTENANCE'),
    });
    expect(outcome?.clusterId).toBe(cluster.clusterId);
    expect(world.ec2.calls.CreateVpcEndpoint).toBe(0);
  });

  it.each(['PAUSED', 'PAUSING'] as const)(
    'a %s cluster is Idle in reconcile, with no event',
    async (state) => {
      const { cluster } = await readyCluster();
      world.sim.setClusterState(cluster.clusterId, state);
      const published = world.events.published.length;
      const [outcome] = await reconcileAll(world.deps);
      expect(outcome).toMatchObject({ phase: 'Idle', actions: [] });
      expect(world.events.published.length).toBe(published);
    },
  );

  it('provision --cluster of a paused cluster is Blocked with the resume command', async () => {
    const cluster = world.addCluster({ state: 'PAUSED' });
    const outcome = await provision(world.deps, { clusterId: cluster.clusterId });
    expect(outcome).toMatchObject({ phase: 'Blocked', reason: 'CLUSTER_PAUSED' });
    expect(outcome.remediation).toContain(`/clusters/${cluster.clusterId}:resumeCluster`);
  });

  it.each(['CREATING', 'RESUMING'] as const)('%s is Progressing', async (state) => {
    world.addCluster({ state });
    const [outcome] = await reconcileAll(world.deps);
    expect(outcome?.phase).toBe('Progressing');
  });

  it('INACTIVE needs a person: Blocked', async () => {
    world.addCluster({ state: 'INACTIVE' });
    const [outcome] = await reconcileAll(world.deps);
    expect(outcome).toMatchObject({ phase: 'Blocked', reason: 'CLUSTER_UNAVAILABLE' });
  });
});

describe('values outside the enums: wait, named verbatim, no step', () => {
  it('an unknown cluster state', async () => {
    const cluster = world.addCluster();
    world.sim.setClusterState(cluster.clusterId, 'HIBERNATING' as ClusterState);
    const [outcome] = await reconcileAll(world.deps);
    expect(outcome).toMatchObject({
      phase: 'Progressing',
      waitingFor: expect.stringContaining('"HIBERNATING"'),
    });
    expect(world.ec2.calls.CreateVpcEndpoint).toBe(0);
  });

  it('an unknown connection state never enables private DNS', async () => {
    const cluster = world.addCluster();
    await provision(world.deps, { clusterId: cluster.clusterId });
    const [connection] = await world.sim.connections();
    world.sim.setConnectionState(
      connection?.privateEndpointConnectionId ?? '',
      'VERIFYING' as ConnectionState,
    );
    world.ec2.accept((await world.ec2.listManagedEndpoints())[0]?.vpcEndpointId ?? '');
    const outcome = await provision(world.deps, { clusterId: cluster.clusterId });
    expect(outcome).toMatchObject({
      phase: 'Progressing',
      waitingFor: expect.stringContaining('"VERIFYING"'),
    });
    expect((await world.ec2.listManagedEndpoints())[0]?.privateDnsEnabled).toBe(false);
  });

  it('an unknown AWS endpoint state', async () => {
    const cluster = world.addCluster();
    const first = await provision(world.deps, { clusterId: cluster.clusterId });
    world.ec2.setEndpointState(first.vpcEndpointId ?? '', 'quarantined' as VpcEndpointState);
    const outcome = await provision(world.deps, { clusterId: cluster.clusterId });
    expect(outcome).toMatchObject({
      phase: 'Progressing',
      waitingFor: expect.stringContaining('"quarantined"'),
    });
    expect(world.ec2.calls.CreateVpcEndpoint).toBe(1);
  });
});

describe('Orphaned: reported with proof, never deleted', () => {
  it('a managed endpoint whose cluster answers 404', async () => {
    const { cluster, outcome } = await readyCluster();
    world.sim.removeCluster(cluster.clusterId);
    const outcomes = await reconcileAll(world.deps);
    expect(outcomes).toEqual([
      expect.objectContaining({
        clusterId: cluster.clusterId,
        phase: 'Orphaned',
        vpcEndpointId: outcome.vpcEndpointId,
        message: expect.stringContaining('404'),
      }),
    ]);
    expect((await world.ec2.listManagedEndpoints())[0]?.state).toBe('available');
  });

  it('a managed endpoint whose cluster is DELETING', async () => {
    const { cluster } = await readyCluster();
    world.sim.setClusterState(cluster.clusterId, 'DELETING');
    const outcomes = await reconcileAll(world.deps);
    expect(outcomes.map((o) => [o.clusterId, o.phase])).toEqual([[cluster.clusterId, 'Orphaned']]);
  });

  it('a managed endpoint whose node group is gone', async () => {
    const cluster = world.addCluster();
    const group = world.sim.addNodeGroup(cluster.clusterId);
    world.ec2.registerService(group.serviceName, group.availableZones);
    const made = await provision(
      world.deps,
      { clusterId: cluster.clusterId, tidbNodeGroupId: group.tidbNodeGroupId },
      waitUntil(),
    );
    world.sim.removeNodeGroup(cluster.clusterId, group.tidbNodeGroupId);
    const outcomes = await reconcileAll(world.deps);
    expect(outcomes.find((o) => o.phase === 'Orphaned')).toMatchObject({
      tidbNodeGroupId: group.tidbNodeGroupId,
      vpcEndpointId: made.vpcEndpointId,
    });
  });

  it("another stack's endpoint for a deleted cluster is not judged", async () => {
    const { cluster, outcome } = await readyCluster();
    await world.ec2.tagResource(outcome.vpcEndpointId ?? '', { 'tidb-privatelink:stack': 'someone-else' });
    world.sim.removeCluster(cluster.clusterId);
    world.sim.clearRequests();
    expect(await reconcileAll(world.deps)).toEqual([]);
    expect(world.sim.stats().byOperation.getCluster).toBeUndefined();
  });

  it('absence from a listing scoped by project is not proof', async () => {
    const { cluster } = await readyCluster();
    world.settings.projectId = '1372813089454099999';
    world.sim.addCluster({ projectId: world.settings.projectId });
    const outcomes = await reconcileAll(world.deps);
    expect(outcomes.some((o) => o.clusterId === cluster.clusterId)).toBe(false);
  });
});

describe('nothing waits forever', () => {
  it('a connection PENDING beyond PRIVATELINK_PENDING_TIMEOUT_MIN is Blocked PENDING_TOO_LONG', async () => {
    await restart({ simulator: { connectionAcceptMs: 10 * HOUR } });
    const cluster = world.addCluster();
    const started = world.clock.now();
    const outcome = await provision(world.deps, { clusterId: cluster.clusterId }, waitUntil());
    expect(outcome).toMatchObject({ phase: 'Blocked', reason: 'PENDING_TOO_LONG' });
    expect(outcome.remediation).toContain('TiDB Cloud support');
    const elapsed = world.clock.now() - started;
    expect(elapsed).toBeGreaterThan(30 * MINUTE);
    expect(elapsed).toBeLessThan(31 * MINUTE);
  });

  it.each([
    ['no private DNS name', { privateDnsName: null }],
    ['an unverified private DNS name', { privateDnsVerificationState: 'pendingVerification' }],
  ])('a service with %s is Blocked PRIVATE_DNS_UNAVAILABLE before anything is created', async (_, dns) => {
    const cluster = world.sim.addCluster({ availableZones: ['use1-az1', 'use1-az4'] });
    world.ec2.registerService(cluster.serviceName, cluster.availableZones, dns);
    const outcome = await provision(world.deps, { clusterId: cluster.clusterId }, waitUntil());
    expect(outcome).toMatchObject({ phase: 'Blocked', reason: 'PRIVATE_DNS_UNAVAILABLE' });
    expect(outcome.remediation).toContain('TiDB Cloud support');
    expect(world.ec2.calls.CreateVpcEndpoint).toBe(0);
    expect(world.events.ofType(DETAIL_TYPES.provisioningBlocked)).toHaveLength(1);
  });
});

describe('zones', () => {
  it("says when EC2's and TiDB's zone lists disagree, and uses EC2's", async () => {
    const cluster = world.sim.addCluster({ availableZones: ['use1-az1', 'use1-az4', 'use1-az6'] });
    world.ec2.registerService(cluster.serviceName, ['use1-az1']);
    const outcome = await provision(world.deps, { clusterId: cluster.clusterId });
    expect(outcome.notes).toEqual([expect.stringContaining('EC2 offers the service in use1-az1 but TiDB')]);
    expect(outcome.actions[0]).toMatchObject({
      type: 'create-endpoint',
      subnetIds: [world.ec2.world.subnetIdByZoneId['use1-az1']],
    });
  });
});
