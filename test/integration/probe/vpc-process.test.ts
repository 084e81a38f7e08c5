/**
 * The VPC stand-in in a process of its own (testing/vpc-process.ts), as the benches of the whole stack use it:
 * its resolver and packet filter must follow the parent's EC2 fake at each invocation, as the in-process
 * stand-in does at each query and connect.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { DETAIL_TYPES } from '../../../functions/core/ports.ts';
import { type ProbeDeps, probeAll } from '../../../functions/core/probe/probe.ts';
import { provision } from '../../../functions/core/reconcile/reconcile.ts';
import { startVpcProcess, type VpcProcess } from '../../../testing/vpc-process.ts';
import { startWorld, type World } from '../../../testing/world.ts';

let world: World;
let vpc: VpcProcess;
let deps: ProbeDeps;

beforeEach(async () => {
  world = await startWorld();
  vpc = await startVpcProcess(world.ec2, {
    sourceCidr: world.ec2.world.cidrBlock,
    addresses: ['127.0.0.21', '127.0.0.22'],
  });
  const cluster = world.addCluster({ port: vpc.port });
  vpc.serve(cluster.serviceDnsName, cluster.serviceName);
  const { clusterId } = cluster;
  const outcome = await provision(world.deps, { clusterId }, { deadline: world.clock.now() + 3_600_000 });
  expect(outcome.phase).toBe('Ready');
  const probe = await world.depsFor('probe');
  const ports = await world.portsFor('probe');
  deps = {
    ...world.cliDeps,
    ec2: probe.ec2,
    events: probe.events,
    dataPlane: ports.dataPlane(vpc.dataPlane),
    metrics: { record: () => undefined },
  };
}, 30_000);

afterEach(async () => {
  await vpc.close();
  await world.close();
});

it('resolves, connects and greets across the process, and follows the fake: revoked, then admitted again', async () => {
  const settings = { region: 'us-east-1', dnsServer: vpc.dnsServer, timeoutMs: 3000, concurrency: 4 };
  const group = world.ec2.world.securityGroupId;
  vpc.admit(group);
  const [healthy] = await probeAll(deps, settings);
  expect(healthy).toMatchObject({ health: 'healthy', failing: [] });

  vpc.revoke(group);
  const [broken] = await probeAll(deps, settings);
  expect(broken).toMatchObject({ health: 'unhealthy', previousHealth: 'healthy' });
  expect(broken?.failing).toContain('tcp.connect');

  vpc.admit(group);
  const [healed] = await probeAll(deps, settings);
  expect(healed).toMatchObject({ health: 'healthy', previousHealth: 'unhealthy' });
  const changes = world.events.ofType(DETAIL_TYPES.healthChanged).map((e) => e.detail.current);
  expect(changes).toEqual(['healthy', 'unhealthy', 'healthy']);
});
