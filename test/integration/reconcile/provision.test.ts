import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLUSTER_ID_TAG, MANAGED_BY_TAG, NODE_GROUP_ID_TAG } from '../../../functions/core/model.ts';
import { DETAIL_TYPES } from '../../../functions/core/ports.ts';
import { provision, reconcileAll } from '../../../functions/core/reconcile/reconcile.ts';
import type { ReconcileDeps } from '../../../functions/core/reconcile/types.ts';
import { crashAfter } from '../../../testing/crash.ts';
import { startWorld, type World } from '../../../testing/world.ts';

const FIVE_MINUTES = 300_000;
const HOUR = 3_600_000;

let world: World;

beforeEach(async () => {
  world = await startWorld();
});

afterEach(async () => {
  await world.close();
});

const waitUntil = () => ({ deadline: world.clock.now() + HOUR });

async function managedEndpoints() {
  return world.ec2.listManagedEndpoints();
}

describe('provision: a new ACTIVE cluster becomes Ready', () => {
  it('in one --wait: one tagged endpoint in supported AZs, registered, TiDB ACTIVE, private DNS after', async () => {
    const cluster = world.addCluster({ displayName: 'orders' });
    const started = world.clock.now();

    const outcome = await provision(world.deps, { clusterId: cluster.clusterId }, waitUntil());

    expect(outcome.phase).toBe('Ready');
    expect(outcome.actions.map((action) => action.type)).toEqual([
      'create-endpoint',
      'register-connection',
      'enable-private-dns',
    ]);
    const endpoints = await managedEndpoints();
    expect(endpoints).toHaveLength(1);
    const [endpoint] = endpoints;
    // The service spans use1-az1/az4/az6; the VPC has az1/az2/az4: az2's subnet must be skipped.
    const { subnetIdByZoneId } = world.ec2.world;
    expect(endpoint?.subnetIds.sort()).toEqual(
      [subnetIdByZoneId['use1-az1'], subnetIdByZoneId['use1-az4']].sort(),
    );
    expect(outcome.skippedSubnets?.map((s) => s.subnetId)).toEqual([subnetIdByZoneId['use1-az2']]);
    expect(endpoint?.tags).toMatchObject({
      [MANAGED_BY_TAG]: 'tidb-privatelink',
      [CLUSTER_ID_TAG]: cluster.clusterId,
      [NODE_GROUP_ID_TAG]: cluster.tidbNodeGroupId,
      Name: 'tidb-orders',
    });
    expect(endpoint?.state).toBe('available');
    expect(endpoint?.privateDnsEnabled).toBe(true);

    const posts = world.sim.requests.filter((r) => r.operation === 'createConnection' && r.status === 200);
    expect(posts.map((r) => JSON.parse(r.body))).toEqual([{ endpointId: endpoint?.vpcEndpointId }]);
    const [connection] = await world.sim.connections();
    expect(connection?.endpointState).toBe('ACTIVE');

    // Private DNS only after TiDB's 5 min of System Checking, and in the very poll that sees it ACTIVE.
    const dnsAt = Date.parse(outcome.actions[2]?.at ?? '');
    expect(dnsAt - started).toBe(FIVE_MINUTES);
  });

  it('waits out the private link service appearing after the cluster', async () => {
    await world.close();
    world = await startWorld({ simulator: { serviceReadyMs: 240_000 } });
    const cluster = world.addCluster();
    const outcome = await provision(world.deps, { clusterId: cluster.clusterId }, waitUntil());
    expect(outcome.phase).toBe('Ready');
    expect(Date.parse(outcome.actions[0]?.at ?? '')).toBeGreaterThanOrEqual(
      Date.parse('2026-01-01T00:04:00Z'),
    );
  });

  it('without --wait takes every step it can and reports Progressing with what it waits for', async () => {
    const cluster = world.addCluster();
    const outcome = await provision(world.deps, { clusterId: cluster.clusterId });
    expect(outcome).toMatchObject({
      phase: 'Progressing',
      waitingFor: expect.stringContaining('System Checking'),
    });
    expect(outcome.actions.map((a) => a.type)).toEqual(['create-endpoint', 'register-connection']);
    expect((await managedEndpoints())[0]?.privateDnsEnabled).toBe(false);
  });

  it('emits Progressed for every step and Endpoint Ready once', async () => {
    const cluster = world.addCluster();
    await provision(world.deps, { clusterId: cluster.clusterId }, waitUntil());
    expect(world.events.ofType(DETAIL_TYPES.provisioningProgressed)).toHaveLength(3);
    const ready = world.events.ofType(DETAIL_TYPES.endpointReady);
    expect(ready).toHaveLength(1);
    expect(ready[0]?.detail).toMatchObject({
      clusterId: cluster.clusterId,
      tidbNodeGroupId: cluster.tidbNodeGroupId,
    });
    // The event-driven path never re-emits the event that triggers it.
    expect(world.events.ofType(DETAIL_TYPES.clusterDetected)).toHaveLength(0);
  });
});

describe('provision: idempotent and concurrency-safe', () => {
  it('two provisions at once make exactly one endpoint and one TiDB connection', async () => {
    const cluster = world.addCluster();
    const [a, b] = await Promise.all([
      provision(world.deps, { clusterId: cluster.clusterId }, waitUntil()),
      provision(world.deps, { clusterId: cluster.clusterId }, waitUntil()),
    ]);
    expect([a.phase, b.phase]).toEqual(['Ready', 'Ready']);
    expect(a.vpcEndpointId).toBe(b.vpcEndpointId);
    expect(await managedEndpoints()).toHaveLength(1);
    expect(await world.sim.connections()).toHaveLength(1);
  });

  it('a converged cluster is left alone: no writes, no events', async () => {
    const cluster = world.addCluster();
    await provision(world.deps, { clusterId: cluster.clusterId }, waitUntil());
    world.sim.clearRequests();
    world.ec2.resetCalls();
    const published = world.events.published.length;
    const again = await provision(world.deps, { clusterId: cluster.clusterId }, waitUntil());
    expect(again).toMatchObject({ phase: 'Ready', actions: [] });
    expect(world.ec2.calls.CreateVpcEndpoint + world.ec2.calls.ModifyVpcEndpoint).toBe(0);
    expect(world.sim.stats().byOperation.createConnection).toBeUndefined();
    expect(world.events.published.length).toBe(published);
  });

  const crashPoints: Array<[string, (deps: ReconcileDeps) => ReconcileDeps]> = [
    [
      'creating the endpoint',
      (deps) => ({ ...deps, ec2: crashAfter(deps.ec2, 'createInterfaceEndpoint', { dies: true }) }),
    ],
    [
      'registering with TiDB Cloud',
      (deps) => ({ ...deps, tidb: crashAfter(deps.tidb, 'createConnection', { dies: true }) }),
    ],
    [
      'enabling private DNS',
      (deps) => ({ ...deps, ec2: crashAfter(deps.ec2, 'enablePrivateDns', { dies: true }) }),
    ],
  ];

  it.each(crashPoints)(
    'a crash right after %s is resumed by the next run, with no duplicates',
    async (_, crashing) => {
      const cluster = world.addCluster();
      // The crash ends that cluster's run as an Error (the crashed port answers nothing more): nothing is lost.
      const crashed = await provision(crashing(world.deps), { clusterId: cluster.clusterId }, waitUntil());
      expect(crashed).toMatchObject({ phase: 'Error', error: { message: expect.stringContaining('crash') } });
      const outcome = await provision(world.deps, { clusterId: cluster.clusterId }, waitUntil());
      expect(outcome.phase).toBe('Ready');
      expect(await managedEndpoints()).toHaveLength(1);
      expect(await world.sim.connections()).toHaveLength(1);
    },
  );
});

describe('provision: Blocked, with the fix', () => {
  it('when no configured subnet is in an AZ the service supports', async () => {
    const cluster = world.addCluster({ availableZones: ['use1-az6'] });
    const outcome = await provision(world.deps, { clusterId: cluster.clusterId });
    expect(outcome).toMatchObject({ phase: 'Blocked', reason: 'NO_SUPPORTED_SUBNET' });
    expect(outcome.remediation).toContain('--availability-zone-id use1-az6');
    expect(await managedEndpoints()).toHaveLength(0);
    expect(world.events.ofType(DETAIL_TYPES.provisioningBlocked)).toHaveLength(1);
  });

  it('when the VPC has DNS hostnames off', async () => {
    world.ec2.setVpcDnsAttributes(world.ec2.world.vpcId, { enableDnsHostnames: false });
    const cluster = world.addCluster();
    const outcome = await provision(world.deps, { clusterId: cluster.clusterId });
    expect(outcome).toMatchObject({ phase: 'Blocked', reason: 'VPC_DNS_ATTRIBUTES' });
    expect(outcome.remediation).toBe(
      `aws ec2 modify-vpc-attribute --vpc-id ${world.ec2.world.vpcId} --enable-dns-hostnames '{"Value":true}'`,
    );
    expect(await managedEndpoints()).toHaveLength(0);
  });

  it("when TiDB fails the connection, with TiDB's message", async () => {
    const cluster = world.addCluster();
    await provision(world.deps, { clusterId: cluster.clusterId });
    const [connection] = await world.sim.connections();
    const message = `The VPC Endpoint Id '{${connection?.endpointId} []}' does not exist`;
    world.sim.setConnectionState(connection?.privateEndpointConnectionId ?? '', 'FAILED', message);
    const outcome = await provision(world.deps, { clusterId: cluster.clusterId }, waitUntil());
    expect(outcome).toMatchObject({ phase: 'Blocked', reason: 'TIDB_CONNECTION_FAILED' });
    expect(outcome.message).toContain(message);
    expect((await managedEndpoints())[0]?.privateDnsEnabled).toBe(false);
  });

  it('when VPC DNS is switched off before private DNS can go on, with both attribute commands', async () => {
    const cluster = world.addCluster();
    await provision(world.deps, { clusterId: cluster.clusterId });
    world.ec2.setVpcDnsAttributes(world.ec2.world.vpcId, { enableDnsHostnames: false });
    const outcome = await provision(world.deps, { clusterId: cluster.clusterId }, waitUntil());
    expect(outcome).toMatchObject({ phase: 'Blocked', reason: 'VPC_DNS_ATTRIBUTES' });
    expect(outcome.remediation).toContain('--enable-dns-hostnames');
    expect(outcome.remediation).toContain('--enable-dns-support');
    expect((await managedEndpoints())[0]?.privateDnsEnabled).toBe(false);
  });

  it('when another zone in the VPC already claims the private name', async () => {
    const cluster = world.addCluster();
    const domain = `${cluster.serviceName.split('.').pop()}.clusters.tidb-cloud.com`;
    world.ec2.claimPrivateDnsDomain(world.ec2.world.vpcId, domain);
    const outcome = await provision(world.deps, { clusterId: cluster.clusterId }, waitUntil());
    expect(outcome).toMatchObject({ phase: 'Blocked', reason: 'PRIVATE_DNS_FAILED' });
    expect(outcome.message).toContain('conflicting DNS domain');
    expect(outcome.remediation).toContain('list-hosted-zones-by-vpc');
  });

  it('when AWS rejects the endpoint', async () => {
    const cluster = world.addCluster();
    const first = await provision(world.deps, { clusterId: cluster.clusterId });
    world.ec2.reject(first.vpcEndpointId ?? '');
    const outcome = await provision(world.deps, { clusterId: cluster.clusterId });
    expect(outcome).toMatchObject({ phase: 'Blocked', reason: 'ENDPOINT_REJECTED' });
    expect(outcome.remediation).toContain(`delete-vpc-endpoints --vpc-endpoint-ids ${first.vpcEndpointId}`);
  });

  it('when the cluster is in another region, naming VPC peering', async () => {
    const cluster = world.sim.addCluster({ regionId: 'aws-eu-west-1' });
    const outcome = await provision(world.deps, { clusterId: cluster.clusterId });
    expect(outcome).toMatchObject({ phase: 'Blocked', reason: 'REGION_MISMATCH' });
    expect(outcome.remediation).toContain('VPC peering');
    expect(world.ec2.calls.CreateVpcEndpoint).toBe(0);
  });

  it('when the cluster is paused', async () => {
    const cluster = world.addCluster({ state: 'PAUSED' });
    const outcome = await provision(world.deps, { clusterId: cluster.clusterId }, waitUntil());
    expect(outcome).toMatchObject({ phase: 'Blocked', reason: 'CLUSTER_PAUSED' });
    expect(world.ec2.calls.CreateVpcEndpoint).toBe(0);
  });

  it('when an endpoint it did not create serves the service, and never touches that endpoint', async () => {
    const cluster = world.addCluster();
    const foreign = await world.ec2.createInterfaceEndpoint({
      vpcId: world.ec2.world.vpcId,
      serviceName: cluster.serviceName,
      subnetIds: [world.ec2.world.subnetIdByZoneId['use1-az1'] ?? ''],
      securityGroupIds: [],
      clientToken: 'by-hand',
      tags: { Name: 'made-by-hand' },
    });
    world.ec2.resetCalls();
    const outcome = await provision(world.deps, { clusterId: cluster.clusterId }, waitUntil());
    expect(outcome).toMatchObject({ phase: 'Blocked', reason: 'FOREIGN_ENDPOINT' });
    expect(outcome.remediation).toContain(foreign.vpcEndpointId);
    expect(world.ec2.calls.CreateVpcEndpoint + world.ec2.calls.ModifyVpcEndpoint).toBe(0);
  });
});

describe('reconcileAll: the scheduled path', () => {
  it('detects new clusters, emits TiDB Cluster Detected once, and converges within the invocation', async () => {
    const clusters = [
      world.addCluster(),
      world.addCluster(),
      world.sim.addCluster({ regionId: 'aws-eu-west-1' }),
    ];
    const outcomes = await reconcileAll(world.deps, waitUntil());
    // The eu-west-1 cluster is out of this stack's scope, not Blocked.
    expect(outcomes.map((o) => o.phase)).toEqual(['Ready', 'Ready']);
    const detected = world.events.ofType(DETAIL_TYPES.clusterDetected).map((e) => e.detail.clusterId);
    expect(detected.sort()).toEqual([clusters[0]?.clusterId, clusters[1]?.clusterId].sort());
  });

  it('when converged, costs O(N/100) TiDB calls and one EC2 call for 150 clusters', async () => {
    await world.close();
    world = await startWorld({
      requestsPerMinute: 100_000,
      simulator: { rateLimitPerMinute: 100_000 },
      ec2: { endpointLimitPerVpc: 200 },
    });
    for (let i = 0; i < 150; i++) world.addCluster();
    const first = await reconcileAll(world.deps, waitUntil());
    expect(first.filter((o) => o.phase !== 'Ready')).toEqual([]);
    world.sim.clearRequests();
    world.ec2.resetCalls();

    const again = await reconcileAll(world.deps, waitUntil());

    expect(again).toHaveLength(150);
    expect(again.every((o) => o.phase === 'Ready' && o.actions.length === 0)).toBe(true);
    const { byOperation } = world.sim.stats();
    expect(byOperation).toEqual({ listClusters: 2, listConnections: 2 });
    expect(world.ec2.totalCalls).toBe(1);
  });
});
