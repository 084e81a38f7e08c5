import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLUSTER_ID_TAG, HEALTH_TAG, type ReadyFacts, STACK_TAG } from '../../../functions/core/model.ts';
import { type CallOptions, DETAIL_TYPES } from '../../../functions/core/ports.ts';
import type { ProbeFigures } from '../../../functions/core/probe/figures.ts';
import {
  type ProbeDeps,
  type ProbeSettings,
  probeAll,
  probeCaches,
} from '../../../functions/core/probe/probe.ts';
import { provision } from '../../../functions/core/reconcile/reconcile.ts';
import type { PortViews } from '../../../testing/iam/enforce-ports.ts';
import { MemoryClusterRegistry } from '../../../testing/registry-fake.ts';
import { startVpcStandIn, type VpcStandIn } from '../../../testing/vpc-stand-in.ts';
import { startWorld, type World } from '../../../testing/world.ts';

let world: World;
let vpc: VpcStandIn;
let recorded: Array<{ clusterId: string; figures: ProbeFigures }>;
let deps: ProbeDeps;
let settings: ProbeSettings;
let clusterId: string;
let ports: PortViews;

beforeEach(async () => {
  world = await startWorld();
  // Two ENIs per endpoint: addresses for this file's first cluster and two more added by the cost test.
  vpc = await startVpcStandIn(world.ec2, {
    sourceCidr: world.ec2.world.cidrBlock,
    addresses: ['127.0.0.11', '127.0.0.12', '127.0.0.13', '127.0.0.14', '127.0.0.15', '127.0.0.16'],
  });
  const cluster = world.addCluster({ port: vpc.port });
  clusterId = cluster.clusterId;
  vpc.serve(cluster.serviceDnsName, cluster.serviceName);
  const outcome = await provision(world.deps, { clusterId }, { deadline: world.clock.now() + 3_600_000 });
  expect(outcome.phase).toBe('Ready');
  recorded = [];
  // The probe function's own view: EC2, events, the data plane and the health record under its packaged role.
  const probe = await world.depsFor('probe');
  ports = await world.portsFor('probe');
  deps = {
    ...world.cliDeps,
    ec2: probe.ec2,
    events: probe.events,
    dataPlane: ports.dataPlane(vpc.dataPlane),
    metrics: { record: (id, figures) => recorded.push({ clusterId: id, figures }) },
  };
  settings = { region: 'us-east-1', dnsServer: vpc.dnsServer, timeoutMs: 1500, concurrency: 4 };
  world.events.published.length = 0;
});

afterEach(async () => {
  await vpc.close();
  await world.close();
});

const healthChanges = () => world.events.ofType(DETAIL_TYPES.healthChanged).map((e) => e.detail);

describe('probeAll', () => {
  it('probes a Ready endpoint from inside the VPC: healthy, with DNS, TCP and handshake latencies', async () => {
    vpc.admit(world.ec2.world.securityGroupId);
    const [probe] = await probeAll(deps, settings);
    expect(probe).toMatchObject({ clusterId, health: 'healthy', previousHealth: null, failing: [] });
    expect(recorded).toHaveLength(1);
    const figures = recorded[0]?.figures;
    expect(figures?.healthy).toBe(1);
    for (const ms of [figures?.dnsMs, figures?.tcpMs, figures?.handshakeMs]) {
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThan(1500);
    }
    expect(world.events.ofType(DETAIL_TYPES.probeCompleted)[0]?.detail).toMatchObject({
      clusterId,
      healthy: true,
    });
    expect(healthChanges()).toEqual([expect.objectContaining({ previous: null, current: 'healthy' })]);
    const [endpoint] = await world.ec2.listManagedEndpoints();
    expect(endpoint?.tags[HEALTH_TAG]).toBe('healthy');
  });

  it('emits Health Changed only when health flips: break the security group, then heal it', async () => {
    const group = world.ec2.world.securityGroupId;
    vpc.admit(group);
    await probeAll(deps, settings);
    await probeAll(deps, settings);
    expect(healthChanges()).toHaveLength(1);
    expect(world.events.ofType(DETAIL_TYPES.probeCompleted)).toHaveLength(2);

    vpc.revoke(group);
    const [broken] = await probeAll(deps, settings);
    expect(broken).toMatchObject({ health: 'unhealthy', previousHealth: 'healthy' });
    expect(broken?.failing).toEqual(expect.arrayContaining(['aws.security-group-ingress', 'tcp.connect']));
    expect(recorded.at(-1)?.figures.healthy).toBe(0);

    vpc.admit(group);
    const [healed] = await probeAll(deps, settings);
    expect(healed).toMatchObject({ health: 'healthy', previousHealth: 'unhealthy' });
    expect(healthChanges().map((change) => `${change.previous}→${change.current}`)).toEqual([
      'null→healthy',
      'healthy→unhealthy',
      'unhealthy→healthy',
    ]);
  });

  it('reads TiDB Cloud in batches: two list calls and one service read per endpoint', async () => {
    world.sim.clearRequests();
    await probeAll(deps, settings);
    const { byOperation } = world.sim.stats();
    expect(byOperation).toEqual({ listClusters: 1, listConnections: 1, getPrivateLinkService: 1 });
  });

  it('costs the same EC2 calls for three endpoints as for one, and a warm run reads no service again', async () => {
    const caches = probeCaches(world.clock.now);
    const warm: ProbeDeps = { ...deps, caches };
    vpc.admit(world.ec2.world.securityGroupId);
    await probeAll(warm, settings);
    world.ec2.resetCalls();
    await probeAll(warm, settings);
    const oneEndpoint = world.ec2.totalCalls;

    for (const name of ['second', 'third']) {
      const cluster = world.addCluster({ displayName: name, port: vpc.port });
      vpc.serve(cluster.serviceDnsName, cluster.serviceName);
      await provision(
        world.deps,
        { clusterId: cluster.clusterId },
        { deadline: world.clock.now() + 3_600_000 },
      );
    }
    await probeAll(warm, settings);
    world.ec2.resetCalls();
    world.sim.clearRequests();
    const probes = await probeAll(warm, settings);

    expect(probes.map((p) => p.health)).toEqual(['healthy', 'healthy', 'healthy']);
    expect(world.ec2.totalCalls).toBe(oneEndpoint);
    expect(world.sim.stats().byOperation).toEqual({ listClusters: 1, listConnections: 1 });
  });

  it('reports an endpoint that fell out of available as unhealthy: its private name no longer resolves', async () => {
    vpc.admit(world.ec2.world.securityGroupId);
    await probeAll(deps, settings);
    const [endpoint] = world.ec2.peekEndpoints();
    world.ec2.setEndpointState(endpoint?.vpcEndpointId ?? '', 'pendingAcceptance');
    const [probe] = await probeAll(deps, settings);
    expect(probe?.health).toBe('unhealthy');
    expect(probe?.failing).toContain('dns.resolution');
  });

  it('goes to the data plane once per run, carrying the targets of every endpoint', async () => {
    for (const name of ['second', 'third']) {
      const cluster = world.addCluster({ displayName: name, port: vpc.port });
      vpc.serve(cluster.serviceDnsName, cluster.serviceName);
      await provision(
        world.deps,
        { clusterId: cluster.clusterId },
        { deadline: world.clock.now() + 3_600_000 },
      );
    }
    vpc.admit(world.ec2.world.securityGroupId);
    const trips = { many: [] as number[], one: 0 };
    const counting: ProbeDeps['dataPlane'] = {
      probe: (input, options) => {
        trips.one += 1;
        return vpc.dataPlane.probe(input, options);
      },
      probeMany: (inputs, options) => {
        trips.many.push(inputs.length);
        return vpc.dataPlane.probeMany(inputs, options);
      },
    };
    const probes = await probeAll({ ...deps, dataPlane: counting }, settings);
    expect(probes.map((p) => p.health)).toEqual(['healthy', 'healthy', 'healthy']);
    expect(trips).toEqual({ many: [3], one: 0 });
  });

  it('does not judge an endpoint still being provisioned: its first health is recorded at Ready', async () => {
    vpc.admit(world.ec2.world.securityGroupId);
    const fresh = world.addCluster({ displayName: 'fresh', port: vpc.port });
    vpc.serve(fresh.serviceDnsName, fresh.serviceName);
    // One pass: the endpoint exists and is registered, TiDB is still "System Checking" (PENDING).
    const first = await provision(world.deps, { clusterId: fresh.clusterId });
    expect(first.phase).toBe('Progressing');
    const early = await probeAll(deps, settings);
    expect(early.map((p) => p.clusterId)).toEqual([clusterId]);

    await provision(world.deps, { clusterId: fresh.clusterId }, { deadline: world.clock.now() + 3_600_000 });
    await probeAll(deps, settings);
    const flips = healthChanges().filter((change) => change.clusterId === fresh.clusterId);
    expect(flips.map((change) => `${change.previous}→${change.current}`)).toEqual(['null→healthy']);
  });

  it('reads nothing from TiDB Cloud while its endpoints are still being provisioned', async () => {
    const fresh = world.addCluster({ displayName: 'fresh', port: vpc.port });
    const first = await provision(world.deps, { clusterId: fresh.clusterId });
    expect(first.phase).toBe('Progressing');
    world.sim.clearRequests();
    const probes = await probeAll(deps, settings, {}, { clusterId: fresh.clusterId });
    expect(probes).toEqual([]);
    expect(world.sim.stats().byOperation).toEqual({});
  });

  it('skips the endpoints of paused clusters, of other stacks and of other VPCs', async () => {
    vpc.admit(world.ec2.world.securityGroupId);
    expect(
      await probeAll(deps, { ...settings, vpcId: world.ec2.world.vpcId, stackName: 'tidb-privatelink' }),
    ).toHaveLength(1);
    expect(await probeAll(deps, { ...settings, vpcId: 'vpc-0other' })).toEqual([]);
    const [endpoint] = world.ec2.peekEndpoints();
    await world.ec2.tagResource(endpoint?.vpcEndpointId ?? '', { [STACK_TAG]: 'another-stack' });
    expect(await probeAll(deps, { ...settings, stackName: 'tidb-privatelink' })).toEqual([]);
    expect(await probeAll(deps, { ...settings, stackName: 'another-stack' })).toHaveLength(1);
    world.sim.setClusterState(clusterId, 'PAUSED');
    world.events.published.length = 0;
    expect(await probeAll(deps, settings)).toEqual([]);
    expect(world.events.published).toEqual([]);
  });

  it('probes one cluster on Endpoint Ready', async () => {
    vpc.admit(world.ec2.world.securityGroupId);
    const other = world.addCluster({ displayName: 'other', port: vpc.port });
    vpc.serve(other.serviceDnsName, other.serviceName);
    await provision(world.deps, { clusterId: other.clusterId }, { deadline: world.clock.now() + 3_600_000 });
    const listed: Array<Record<string, string> | undefined> = [];
    const ec2: ProbeDeps['ec2'] = Object.assign(Object.create(deps.ec2), {
      listManagedEndpoints: (tags?: Record<string, string>, options?: CallOptions) => {
        listed.push(tags);
        return deps.ec2.listManagedEndpoints(tags, options);
      },
    });
    const probes = await probeAll({ ...deps, ec2 }, settings, {}, { clusterId: other.clusterId });
    expect(probes.map((p) => [p.clusterId, p.health])).toEqual([[other.clusterId, 'healthy']]);
    // EC2 is asked for that cluster's endpoints only, not every endpoint of the stack.
    expect(listed).toEqual([{ [CLUSTER_ID_TAG]: other.clusterId }]);
  });
});

describe('probeAll on Endpoint Ready with what the reconcile knew', () => {
  it("judges from the event's known facts: no TiDB Cloud request, the same verdict as reading", async () => {
    vpc.admit(world.ec2.world.securityGroupId);
    const other = world.addCluster({ displayName: 'other', port: vpc.port });
    vpc.serve(other.serviceDnsName, other.serviceName);
    world.events.published.length = 0;
    await provision(world.deps, { clusterId: other.clusterId }, { deadline: world.clock.now() + 3_600_000 });
    const [ready] = world.events.ofType(DETAIL_TYPES.endpointReady);
    const known = ready?.detail.known as ReadyFacts | undefined;
    expect(known?.cluster.clusterId).toBe(other.clusterId);
    expect(known?.connection).toMatchObject({
      endpointState: 'ACTIVE',
      endpointId: ready?.detail.vpcEndpointId,
    });
    expect(known?.service.state).toBe('ACTIVE');

    const before = world.sim.requests.length;
    const fromFacts = await probeAll(
      { ...deps, caches: probeCaches(world.clock.now) },
      settings,
      {},
      {
        clusterId: other.clusterId,
        known,
      },
    );
    expect(world.sim.requests.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual([]);
    const fromReads = await probeAll(
      { ...deps, caches: probeCaches(world.clock.now) },
      settings,
      {},
      {
        clusterId: other.clusterId,
      },
    );
    expect(world.sim.requests.length).toBeGreaterThan(before);
    const verdict = (probes: typeof fromFacts) => probes.map((p) => [p.clusterId, p.health, p.failing]);
    expect(verdict(fromFacts)).toEqual([[other.clusterId, 'healthy', []]]);
    expect(verdict(fromFacts)).toEqual(verdict(fromReads));
  });

  it('facts about another cluster are not used: that run reads', async () => {
    vpc.admit(world.ec2.world.securityGroupId);
    const [ready] = world.events.ofType(DETAIL_TYPES.endpointReady);
    expect(ready).toBeUndefined();
    const facts = {
      cluster: { clusterId: '1', state: 'ACTIVE' },
    } as unknown as ReadyFacts;
    const before = world.sim.requests.length;
    const probes = await probeAll(deps, settings, {}, { clusterId, known: facts });
    expect(probes.map((p) => p.health)).toEqual(['healthy']);
    expect(world.sim.requests.length).toBeGreaterThan(before);
  });
});

describe('probeAll, two runs at once (Endpoint Ready and the schedule)', () => {
  const flips = () =>
    healthChanges().map((change) => `${change.clusterId}:${change.previous}→${change.current}`);
  const overlapping = (runDeps: ProbeDeps) =>
    Promise.all([probeAll(runDeps, settings, {}, { clusterId }), probeAll(runDeps, settings)]);

  it('without a health record both runs read the empty tag and both report the flip (the overlap is real)', async () => {
    vpc.admit(world.ec2.world.securityGroupId);
    const [ready, scheduled] = await overlapping(deps);
    expect([ready[0]?.health, scheduled[0]?.health]).toEqual(['healthy', 'healthy']);
    expect(flips()).toEqual([`${clusterId}:null→healthy`, `${clusterId}:null→healthy`]);
  });

  it('with the health record exactly one of them reports each flip, and an unchanged health writes nothing', async () => {
    const registry = ports.registry(new MemoryClusterRegistry());
    const recorded: ProbeDeps = { ...deps, healthRecord: registry };
    const group = world.ec2.world.securityGroupId;
    vpc.admit(group);
    await overlapping(recorded);
    expect(flips()).toEqual([`${clusterId}:null→healthy`]);
    expect(world.events.ofType(DETAIL_TYPES.probeCompleted)).toHaveLength(2);

    const writes = registry.writes;
    await overlapping(recorded);
    expect(registry.writes).toBe(writes);

    vpc.revoke(group);
    await overlapping(recorded);
    vpc.admit(group);
    await overlapping(recorded);
    expect(flips()).toEqual([
      `${clusterId}:null→healthy`,
      `${clusterId}:healthy→unhealthy`,
      `${clusterId}:unhealthy→healthy`,
    ]);
    const [endpoint] = await world.ec2.listManagedEndpoints();
    expect(endpoint?.tags[HEALTH_TAG]).toBe('healthy');
  });

  it('a tag that lags the record (a run died between the two writes) costs no second report', async () => {
    const registry = ports.registry(new MemoryClusterRegistry());
    vpc.admit(world.ec2.world.securityGroupId);
    await probeAll({ ...deps, healthRecord: registry }, settings);
    const [endpoint] = world.ec2.peekEndpoints();
    await world.ec2.tagResource(endpoint?.vpcEndpointId ?? '', { [HEALTH_TAG]: '' });
    const [probe] = await probeAll({ ...deps, healthRecord: registry }, settings);
    expect(probe).toMatchObject({ health: 'healthy', previousHealth: 'healthy' });
    expect(flips()).toEqual([`${clusterId}:null→healthy`]);
    expect((await world.ec2.listManagedEndpoints())[0]?.tags[HEALTH_TAG]).toBe('healthy');
  });

  it('a record that cannot be written leaves the flip and the tag to the next run', async () => {
    vpc.admit(world.ec2.world.securityGroupId);
    const failing: ProbeDeps = {
      ...deps,
      healthRecord: { recordHealth: () => Promise.reject(new Error('ProvisionedThroughputExceeded')) },
    };
    const [probe] = await probeAll(failing, settings);
    expect(probe).toMatchObject({ health: 'healthy', error: expect.stringContaining('health not recorded') });
    expect(flips()).toEqual([]);
    expect(world.events.ofType(DETAIL_TYPES.probeCompleted)).toHaveLength(1);
    await probeAll({ ...deps, healthRecord: ports.registry(new MemoryClusterRegistry()) }, settings);
    expect(flips()).toEqual([`${clusterId}:null→healthy`]);
  });
});
