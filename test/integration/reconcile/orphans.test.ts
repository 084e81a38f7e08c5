/**
 * Orphans end to end (issue 11): the TiDB Cloud simulator over HTTP and the EC2 fake, through reconcileAll.
 * A deleted cluster's endpoint is marked, reported once, deleted with its TiDB connection after the grace
 * period (only when configured), unmarked when the cluster comes back; no other endpoint is ever touched.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CLUSTER_ID_TAG,
  MANAGED_BY_TAG,
  MANAGED_BY_VALUE,
  NODE_GROUP_ID_TAG,
  ORPHANED_SINCE_TAG,
  STACK_TAG,
  type VpcEndpoint,
} from '../../../functions/core/model.ts';
import { DETAIL_TYPES } from '../../../functions/core/ports.ts';
import { provision, reconcileAll } from '../../../functions/core/reconcile/reconcile.ts';
import { startWorld, type World } from '../../../testing/world.ts';

const HOUR = 3_600_000;
let world: World;

beforeEach(async () => {
  world = await startWorld();
});

afterEach(async () => {
  await world.close();
});

async function readyCluster() {
  const cluster = world.addCluster({ displayName: 'orders' });
  const outcome = await provision(
    world.deps,
    { clusterId: cluster.clusterId },
    { deadline: world.clock.now() + HOUR },
  );
  expect(outcome.phase).toBe('Ready');
  return { cluster, vpcEndpointId: outcome.vpcEndpointId ?? '' };
}

const endpointById = async (id: string): Promise<VpcEndpoint | undefined> =>
  (await world.ec2.findEndpoints({ vpcEndpointIds: [id] }))[0];

/** Endpoints to the same service in the same VPC that this stack must never touch. */
async function strangers(cluster: { clusterId: string; tidbNodeGroupId: string; serviceName: string }) {
  const base = {
    vpcId: world.ec2.world.vpcId,
    serviceName: cluster.serviceName,
    subnetIds: [world.ec2.world.subnetIdByZoneId['use1-az1'] ?? ''],
    securityGroupIds: [world.ec2.world.securityGroupId],
  };
  const ids = { [CLUSTER_ID_TAG]: cluster.clusterId, [NODE_GROUP_ID_TAG]: cluster.tidbNodeGroupId };
  const otherStack = await world.ec2.createInterfaceEndpoint({
    ...base,
    clientToken: 'other-stack',
    tags: { ...ids, [MANAGED_BY_TAG]: MANAGED_BY_VALUE, [STACK_TAG]: 'someone-elses-stack' },
  });
  const unmanaged = await world.ec2.createInterfaceEndpoint({ ...base, clientToken: 'by-hand', tags: ids });
  return [otherStack, unmanaged];
}

describe('an endpoint whose cluster is deleted', () => {
  it('is marked orphaned-since and reported once, with the Orphaned event', async () => {
    const { cluster, vpcEndpointId } = await readyCluster();
    world.sim.removeCluster(cluster.clusterId);
    const seenAt = new Date(world.clock.now()).toISOString();

    const [outcome] = await reconcileAll(world.deps);
    expect(outcome).toMatchObject({ phase: 'Orphaned', vpcEndpointId, orphanedSince: seenAt });
    expect(outcome?.deletesAt).toBeUndefined();
    expect(outcome?.remediation).toContain('PRIVATELINK_DELETE_ORPHANS_AFTER_H');
    expect((await endpointById(vpcEndpointId))?.tags[ORPHANED_SINCE_TAG]).toBe(seenAt);
    expect(world.events.ofType(DETAIL_TYPES.endpointOrphaned).map((e) => e.detail)).toEqual([
      expect.objectContaining({
        clusterId: cluster.clusterId,
        vpcEndpointId,
        orphanedSince: seenAt,
        deletesAt: null,
        reason: expect.stringContaining('404'),
      }),
    ]);

    await world.clock.sleep(1000 * HOUR);
    const [later] = await reconcileAll(world.deps);
    expect(later).toMatchObject({ phase: 'Orphaned', orphanedSince: seenAt, actions: [] });
    expect(world.events.ofType(DETAIL_TYPES.endpointOrphaned)).toHaveLength(1);
    // Without PRIVATELINK_DELETE_ORPHANS_AFTER_H nothing is ever deleted.
    expect((await endpointById(vpcEndpointId))?.state).toBe('available');
    expect(world.ec2.calls.DeleteVpcEndpoints).toBe(0);
  });

  it('is deleted with its TiDB connection (connection first) once the grace period is over', async () => {
    world.settings.deleteOrphansAfterMs = 48 * HOUR;
    const { cluster, vpcEndpointId } = await readyCluster();
    const [connection] = await world.sim.connections();
    world.sim.setClusterState(cluster.clusterId, 'DELETING');

    const [marked] = await reconcileAll(world.deps);
    expect(marked).toMatchObject({
      phase: 'Orphaned',
      deletesAt: new Date(world.clock.now() + 48 * HOUR).toISOString(),
    });
    await world.clock.sleep(47 * HOUR);
    await reconcileAll(world.deps);
    expect((await endpointById(vpcEndpointId))?.state).toBe('available');

    await world.clock.sleep(HOUR);
    world.sim.clearRequests();
    const [deleted] = await reconcileAll(world.deps);
    expect(deleted?.actions.map((action) => action.type)).toEqual(['delete-connection', 'delete-endpoint']);
    expect((await endpointById(vpcEndpointId))?.state).toBe('deleted');
    expect(world.sim.requests.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual([
      `/v1beta1/clusters/${cluster.clusterId}/tidbNodeGroups/${cluster.tidbNodeGroupId}/privateEndpointConnections/${connection?.privateEndpointConnectionId}`,
    ]);
    expect((await world.sim.connections())[0]?.endpointState).toBe('DELETING');
    expect(world.events.ofType(DETAIL_TYPES.endpointDeleted).map((e) => e.detail)).toEqual([
      expect.objectContaining({
        vpcEndpointId,
        privateEndpointConnectionId: connection?.privateEndpointConnectionId,
      }),
    ]);

    // Gone is gone: the next pass neither reports nor deletes it again.
    expect(await reconcileAll(world.deps)).toEqual([]);
    expect(world.ec2.calls.DeleteVpcEndpoints).toBe(1);
  });

  it('without a connection left (cluster 404), deletes only the endpoint', async () => {
    world.settings.deleteOrphansAfterMs = HOUR;
    const { cluster, vpcEndpointId } = await readyCluster();
    world.sim.removeCluster(cluster.clusterId);
    await reconcileAll(world.deps);
    await world.clock.sleep(HOUR);
    const [deleted] = await reconcileAll(world.deps);
    expect(deleted?.actions.map((action) => action.type)).toEqual(['delete-endpoint']);
    expect((await endpointById(vpcEndpointId))?.state).toBe('deleted');
  });

  it('loses the mark when its cluster comes back within the grace period, and is kept', async () => {
    world.settings.deleteOrphansAfterMs = 48 * HOUR;
    const { cluster, vpcEndpointId } = await readyCluster();
    world.sim.setClusterState(cluster.clusterId, 'DELETING');
    await reconcileAll(world.deps);
    expect((await endpointById(vpcEndpointId))?.tags[ORPHANED_SINCE_TAG]).toBeDefined();

    world.sim.setClusterState(cluster.clusterId, 'ACTIVE');
    await world.clock.sleep(HOUR);
    const outcomes = await reconcileAll(world.deps);
    expect(outcomes).toEqual([
      expect.objectContaining({
        clusterId: cluster.clusterId,
        phase: 'Ready',
        actions: [expect.objectContaining({ type: 'clear-orphaned', vpcEndpointId })],
      }),
    ]);
    expect((await endpointById(vpcEndpointId))?.tags[ORPHANED_SINCE_TAG]).toBeUndefined();
    expect(world.ec2.calls.DeleteTags).toBe(1);

    await world.clock.sleep(100 * HOUR);
    expect((await reconcileAll(world.deps)).map((o) => o.phase)).toEqual(['Ready']);
    expect((await endpointById(vpcEndpointId))?.state).toBe('available');
  });

  it("never touches another stack's endpoint or an unmanaged one for the same cluster", async () => {
    world.settings.deleteOrphansAfterMs = HOUR;
    const { cluster, vpcEndpointId } = await readyCluster();
    const others = await strangers(cluster);
    world.sim.removeCluster(cluster.clusterId);
    await reconcileAll(world.deps);
    await world.clock.sleep(2 * HOUR);
    const outcomes = await reconcileAll(world.deps);

    expect(outcomes.map((o) => o.vpcEndpointId)).toEqual([vpcEndpointId]);
    for (const other of others) {
      const now = await endpointById(other.vpcEndpointId);
      expect(now?.state).toBe(other.state);
      expect(now?.tags).toEqual(other.tags);
    }
    expect(world.ec2.calls.CreateTags).toBe(1);
    expect(world.ec2.calls.DeleteVpcEndpoints).toBe(1);
  });
});
