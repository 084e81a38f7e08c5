/**
 * Several VPCs in one stack (`PRIVATELINK_VPCS`): one endpoint per cluster per VPC, each registered with TiDB
 * Cloud and Ready, against the TiDB Cloud simulator over HTTP and the EC2 fake.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsError } from '../../../functions/core/errors.ts';
import { CLUSTER_ID_TAG, VPC_ID_TAG } from '../../../functions/core/model.ts';
import { DETAIL_TYPES, type EventsPort } from '../../../functions/core/ports.ts';
import type { ReconcileDeps, VpcPlacement } from '../../../functions/core/reconcile/types.ts';
import { provisionStack, reconcileStack } from '../../../functions/core/reconcile/vpcs.ts';
import { crashAfter } from '../../../testing/crash.ts';
import { startWorld, type World } from '../../../testing/world.ts';

const HOUR = 3_600_000;

let world: World;
let second: VpcPlacement;
let deps: ReconcileDeps;

/** A second customer VPC beside the world's own, with subnets in the same AZs and its own group. */
function addVpc(): VpcPlacement {
  const vpcId = world.ec2.createVpc({ cidrBlocks: ['10.1.0.0/16'] });
  const subnetIds = ['use1-az1', 'use1-az2', 'use1-az4'].map((availabilityZoneId, index) =>
    world.ec2.createSubnet({ vpcId, availabilityZoneId, cidrBlock: `10.1.${index * 16}.0/20` }),
  );
  return { vpcId, subnetIds, securityGroupIds: [world.ec2.createSecurityGroup(vpcId, {})] };
}

beforeEach(async () => {
  world = await startWorld();
  second = addVpc();
  const { vpcId, subnetIds, securityGroupIds } = world.settings;
  // The stack is packaged with both VPCs, as it would be deployed: its roles name both.
  deps = await world.depsFor('reconcile', {
    ...world.settings,
    vpcs: [{ vpcId, subnetIds, securityGroupIds }, second],
  });
});

afterEach(async () => {
  await world.close();
});

const waitUntil = () => ({ deadline: world.clock.now() + HOUR });

async function liveEndpoints() {
  return (await world.ec2.listManagedEndpoints()).filter((e) => !['deleted', 'deleting'].includes(e.state));
}

/** Live endpoints per VPC, for one cluster. */
async function endpointsByVpc(clusterId: string) {
  const counts: Record<string, number> = {};
  for (const endpoint of await liveEndpoints()) {
    if (endpoint.tags[CLUSTER_ID_TAG] === clusterId)
      counts[endpoint.vpcId] = (counts[endpoint.vpcId] ?? 0) + 1;
  }
  return counts;
}

describe('two VPCs in one stack', () => {
  it('reconcile: each cluster gets one endpoint per VPC, tagged with it, registered and Ready', async () => {
    const clusters = [world.addCluster(), world.addCluster()];

    const outcomes = await reconcileStack(deps, waitUntil());

    expect(outcomes).toHaveLength(4);
    for (const cluster of clusters) {
      const own = outcomes.filter((o) => o.clusterId === cluster.clusterId);
      expect(own.map((o) => [o.vpcId, o.phase]).sort()).toEqual(
        [
          [world.settings.vpcId, 'Ready'],
          [second.vpcId, 'Ready'],
        ].sort(),
      );
      expect(await endpointsByVpc(cluster.clusterId)).toEqual({
        [world.settings.vpcId]: 1,
        [second.vpcId]: 1,
      });
    }
    for (const endpoint of await liveEndpoints()) {
      expect(endpoint.tags[VPC_ID_TAG]).toBe(endpoint.vpcId);
      expect(endpoint.state).toBe('available');
      expect(endpoint.privateDnsEnabled).toBe(true);
      // Each VPC's endpoint lives in that VPC's subnets with that VPC's security groups.
      const placement = endpoint.vpcId === second.vpcId ? second : world.settings;
      expect(placement.subnetIds).toEqual(expect.arrayContaining(endpoint.subnetIds));
    }
    const connections = await world.sim.connections();
    expect(connections).toHaveLength(4);
    expect(connections.every((c) => c.endpointState === 'ACTIVE')).toBe(true);
    expect(new Set(connections.map((c) => c.endpointId))).toEqual(
      new Set((await liveEndpoints()).map((e) => e.vpcEndpointId)),
    );
  });

  it('emits TiDB Cluster Detected once per cluster, Endpoint Ready once per endpoint', async () => {
    const cluster = world.addCluster();
    await reconcileStack(deps, waitUntil());
    const detected = world.events.ofType(DETAIL_TYPES.clusterDetected);
    expect(detected.map((e) => e.detail.clusterId)).toEqual([cluster.clusterId]);
    const ready = world.events.ofType(DETAIL_TYPES.endpointReady).map((e) => e.detail.vpcEndpointId);
    expect(ready.sort()).toEqual((await liveEndpoints()).map((e) => e.vpcEndpointId).sort());
  });

  it('provision of one cluster reaches Ready in every VPC; a second run changes nothing', async () => {
    const cluster = world.addCluster();
    const outcomes = await provisionStack(deps, { clusterId: cluster.clusterId }, waitUntil());
    expect(outcomes.map((o) => [o.vpcId, o.phase])).toEqual([
      [world.settings.vpcId, 'Ready'],
      [second.vpcId, 'Ready'],
    ]);
    world.ec2.resetCalls();
    const again = await provisionStack(deps, { clusterId: cluster.clusterId }, waitUntil());
    expect(again.every((o) => o.phase === 'Ready' && o.actions.length === 0)).toBe(true);
    expect(world.ec2.calls.CreateVpcEndpoint + world.ec2.calls.ModifyVpcEndpoint).toBe(0);
  });

  it('one VPC Blocked does not hold back the other', async () => {
    world.ec2.setVpcDnsAttributes(second.vpcId, { enableDnsHostnames: false });
    const cluster = world.addCluster();
    const outcomes = await provisionStack(deps, { clusterId: cluster.clusterId }, waitUntil());
    expect(outcomes.map((o) => [o.vpcId, o.phase, o.reason])).toEqual([
      [world.settings.vpcId, 'Ready', undefined],
      [second.vpcId, 'Blocked', 'VPC_DNS_ATTRIBUTES'],
    ]);
  });

  it('two runs at once keep exactly one endpoint per VPC and one connection each', async () => {
    const cluster = world.addCluster();
    await Promise.all([reconcileStack(deps, waitUntil()), reconcileStack(deps, waitUntil())]);
    expect(await endpointsByVpc(cluster.clusterId)).toEqual({ [world.settings.vpcId]: 1, [second.vpcId]: 1 });
    expect(await world.sim.connections()).toHaveLength(2);
  });

  it('a crash right after a create is resumed by the next run: still one endpoint per VPC', async () => {
    const cluster = world.addCluster();
    const crashing = { ...deps, ec2: crashAfter(deps.ec2, 'createInterfaceEndpoint', { dies: true }) };
    const crashed = await reconcileStack(crashing, waitUntil());
    expect(crashed.some((o) => o.phase === 'Error')).toBe(true);
    const outcomes = await reconcileStack(deps, waitUntil());
    expect(outcomes.map((o) => o.phase)).toEqual(['Ready', 'Ready']);
    expect(await endpointsByVpc(cluster.clusterId)).toEqual({ [world.settings.vpcId]: 1, [second.vpcId]: 1 });
    expect(await world.sim.connections()).toHaveLength(2);
  });

  it("an orphan is reported once, in its own VPC's pass", async () => {
    const cluster = world.addCluster();
    await reconcileStack(deps, waitUntil());
    world.sim.removeCluster(cluster.clusterId);
    const outcomes = await reconcileStack(deps, waitUntil());
    const orphaned = outcomes.filter((o) => o.phase === 'Orphaned');
    expect(orphaned.map((o) => o.vpcId).sort()).toEqual([world.settings.vpcId, second.vpcId].sort());
    expect(new Set(orphaned.map((o) => o.vpcEndpointId)).size).toBe(2);
  });
  it('TiDB Cluster Detected whose first publish failed is sent on the retry, still once per cluster', async () => {
    const clusters = [world.addCluster(), world.addCluster()];
    let publishes = 0;
    const events: EventsPort = {
      publish: (batch, options) =>
        ++publishes === 1
          ? Promise.reject(new AwsError('InternalError', 'An internal error', { fault: 'server' }))
          : deps.events.publish(batch, options),
    };
    await reconcileStack({ ...deps, events });
    const detected = world.events.ofType(DETAIL_TYPES.clusterDetected).map((e) => e.detail.clusterId);
    expect(detected.sort()).toEqual(clusters.map((c) => c.clusterId).sort());
  });

  it("a subnet dropped from the second VPC's list moves its live endpoint, under the two-VPC role", async () => {
    const cluster = world.addCluster();
    await provisionStack(deps, { clusterId: cluster.clusterId }, waitUntil());
    const dropped = second.subnetIds.find((id) =>
      world.ec2.peekEndpoints().some((e) => e.vpcId === second.vpcId && e.subnetIds.includes(id)),
    );
    // The configuration of the second VPC changes; its endpoint must follow (ModifyVpcEndpoint in that VPC).
    second.subnetIds = second.subnetIds.filter((id) => id !== dropped);
    const outcomes = await provisionStack(deps, { clusterId: cluster.clusterId }, waitUntil());
    expect(outcomes.map((o) => [o.vpcId, o.phase])).toEqual([
      [world.settings.vpcId, 'Ready'],
      [second.vpcId, 'Ready'],
    ]);
    expect(outcomes[1]?.actions).toEqual([
      expect.objectContaining({ type: 'modify-endpoint-subnets', removeSubnetIds: [dropped] }),
    ]);
    const moved = (await liveEndpoints()).find((e) => e.vpcId === second.vpcId);
    expect(moved?.subnetIds).not.toContain(dropped);
  });
});

describe('one VPC (the short form) is unchanged', () => {
  it('outcomes carry no vpcId and the endpoint is tagged with its VPC', async () => {
    const cluster = world.addCluster();
    const [outcome] = await provisionStack(world.deps, { clusterId: cluster.clusterId }, waitUntil());
    expect(outcome?.phase).toBe('Ready');
    expect(outcome).not.toHaveProperty('vpcId');
    expect(await endpointsByVpc(cluster.clusterId)).toEqual({ [world.settings.vpcId]: 1 });
  });
});
