/**
 * `npm run demo`: the whole story on built-in local stand-ins, with nothing to configure and no network
 * beyond 127.0.0.0/8. TiDB Cloud is the simulator (real HTTP, real digest auth); AWS is the in-memory EC2
 * fake; the VPC's network is played on loopback (a real DNS server as the VPC resolver, TiDB-greeting
 * MySQL-protocol servers on the endpoint's ENI addresses, security groups enforced by a packet filter).
 * TiDB's minutes are compressed 60× (4 min of service creation → 4 s, 5 min of System Checking → 5 s).
 * Every AWS call is first decided by IAM (testing/iam): a function's against its packaged role, the CLI's
 * against the read-only operator policy (the demo's CLI runs only read).
 */
import { systemClock } from '../functions/adapters/system-clock.ts';
import type { CliDeps } from '../functions/app/cli-deps.ts';
import type { AppEvent } from '../functions/core/ports.ts';
import { type ProbeDeps, probeAll } from '../functions/core/probe/probe.ts';
import { provision, reconcileAll } from '../functions/core/reconcile/reconcile.ts';
import { DnsPathFake } from '../testing/dns-path-fake.ts';
import { closeAll, startDns } from '../testing/local-servers.ts';
import { runCliWith } from '../testing/run-cli.ts';
import { startVpcStandIn, type VpcStandIn } from '../testing/vpc-stand-in.ts';
import { startWorld, type World } from '../testing/world.ts';

const COMPRESSION = 60;
const SERVICE_READY_MS = 240_000 / COMPRESSION;
const started = Date.now();

function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function stamp(): string {
  return `[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s]`;
}

function describeEvent(event: AppEvent): string | undefined {
  const { detail } = event;
  const action =
    typeof detail.action === 'object' && detail.action ? (detail.action as { type?: string }).type : '';
  switch (event.detailType) {
    case 'PrivateLink Probe Completed':
      return undefined;
    case 'PrivateLink Health Changed':
      return `${String(detail.previous)} → ${String(detail.current)}${(detail.failing as string[]).length ? ` (failing: ${(detail.failing as string[]).join(', ')})` : ''}`;
    default:
      return action || String(detail.reason ?? '');
  }
}

function narrate(event: AppEvent): void {
  const text = describeEvent(event);
  if (text === undefined) return;
  say(`${stamp()} event  ${event.detailType}${text ? `: ${text}` : ''} (cluster ${event.detail.clusterId})`);
}

async function cli(
  world: World,
  vpc: VpcStandIn,
  args: string[],
  extra: Partial<CliDeps> = {},
): Promise<void> {
  const env = {
    TIDB_CLOUD_API_URL: world.sim.url,
    TIDB_CLOUD_PUBLIC_KEY: world.sim.publicKey,
    TIDB_CLOUD_PRIVATE_KEY: world.sim.privateKey,
    AWS_REGION: world.settings.region,
    PRIVATELINK_VPC_ID: world.settings.vpcId,
    PRIVATELINK_SUBNET_IDS: world.settings.subnetIds.join(','),
    PRIVATELINK_SECURITY_GROUP_IDS: world.settings.securityGroupIds.join(','),
  };
  say(`$ tidb-privatelink ${args.join(' ')}`);
  const operator = await world.cliDepsAs('operator-read-only');
  const run = await runCliWith(args, env, { ...operator, dataPlane: vpc.dataPlane, ...extra });
  process.stdout.write(run.stdout);
  if (run.stderr) process.stdout.write(run.stderr.replace(/^/gm, '  (stderr) '));
  say(`(exit ${run.code})`);
  say();
}

async function provisioningAct(world: World, vpc: VpcStandIn): Promise<string> {
  say('== TiDB Cloud (simulator) has two clusters; this stack runs in us-east-1 with a 3-subnet VPC');
  const orders = world.addCluster({ displayName: 'orders', state: 'ACTIVE', port: vpc.port });
  vpc.serve(orders.serviceDnsName, orders.serviceName);
  world.sim.addCluster({ displayName: 'analytics-eu', regionId: 'aws-eu-west-1', state: 'ACTIVE' });
  await cli(world, vpc, ['status']);

  say('== Once its private link service is ACTIVE: what a reconcile would do (a dry run changes nothing)');
  await systemClock.sleep(SERVICE_READY_MS + 100);
  await cli(world, vpc, ['reconcile', '--dry-run']);

  say('== A scheduled reconcile takes the existing cluster to Ready');
  await reconcileAll(world.deps, { deadline: Date.now() + 60_000 });
  say();

  say('== A new cluster appears (CREATING → ACTIVE in 10 s, its private link service 4 s later)');
  const fresh = world.addCluster({
    displayName: 'checkout',
    port: vpc.port,
    clusterCreateMs: 600_000 / COMPRESSION,
  });
  vpc.serve(fresh.serviceDnsName, fresh.serviceName);
  say(`${stamp()} TiDB Cloud: cluster ${fresh.clusterId} "checkout" created`);
  const tick = await reconcileAll(world.deps);
  say(`${stamp()} schedule tick: ${tick.map((o) => `${o.clusterId} ${o.phase}`).join(', ')}`);
  const outcome = await provision(
    await world.depsFor('provision'),
    { clusterId: fresh.clusterId },
    { deadline: Date.now() + 120_000 },
  );
  say(`${stamp()} provision: ${outcome.phase} with ${outcome.vpcEndpointId}`);
  for (const action of outcome.actions) say(`         ${action.at}  ${action.type}`);
  for (const skipped of outcome.skippedSubnets ?? []) {
    say(`         skipped ${skipped.subnetId} (${skipped.availabilityZoneId}): ${skipped.reason}`);
  }
  say();
  await cli(world, vpc, ['status']);
  return orders.clusterId;
}

async function diagnosticsAct(world: World, vpc: VpcStandIn, clusterId: string): Promise<void> {
  const probeFunction = await world.depsFor('probe');
  const probeDeps: ProbeDeps = {
    ...world.cliDeps,
    ec2: probeFunction.ec2,
    events: probeFunction.events,
    dataPlane: (await world.portsFor('probe')).dataPlane(vpc.dataPlane),
    metrics: { record: () => undefined },
  };
  const probe = async () => {
    const probes = await probeAll(probeDeps, {
      region: 'us-east-1',
      dnsServer: vpc.dnsServer,
      timeoutMs: 2000,
      concurrency: 4,
    });
    say(`${stamp()} probe: ${probes.map((p) => `${p.clusterId} ${p.health}`).join(', ')}`);
    say();
  };
  const doctor = ['doctor', '--cluster', clusterId, '--dns-server', vpc.dnsServer, '--timeout-ms', '2000'];
  say("== The scheduled probe, from inside the VPC (its first run records each endpoint's health)");
  await probe();

  const group = world.ec2.world.securityGroupId;
  say(
    `== Someone tidies the endpoint's security group: aws ec2 revoke-security-group-ingress --group-id ${group} --protocol tcp --port ${vpc.port} --cidr ${world.ec2.world.cidrBlock}`,
  );
  vpc.revoke(group);
  await probe();
  await cli(world, vpc, doctor);

  say('== The fix the doctor printed is applied');
  vpc.admit(group);
  await probe();
  await cli(world, vpc, doctor);
  await cli(world, vpc, ['status']);
}

/**
 * A private hosted zone for the cluster's parent domain is associated with the VPC: the VPC resolver answers
 * from it (NXDOMAIN, it has no such record) instead of the endpoint's zone. The doctor names the zone.
 */
async function dnsPathAct(world: World, vpc: VpcStandIn, clusterId: string): Promise<void> {
  const dns = new DnsPathFake();
  const { vpcId } = world.settings;
  const [endpoint] = await world.ec2.listManagedEndpoints({ 'tidb-privatelink:cluster-id': clusterId });
  const host = world.sim.cluster(clusterId).serviceDnsName;
  // The VPC resolver: a customer zone covering the name answers first, else the endpoint's private DNS.
  const resolver = await startDns((name) =>
    dns.customerZonesCovering(vpcId, name).length > 0
      ? { rcode: 'NXDOMAIN' }
      : name === host && endpoint
        ? { a: world.ec2.endpointAddresses(endpoint.vpcEndpointId) }
        : undefined,
  );
  const doctor = ['doctor', '--cluster', clusterId, '--dns-server', resolver, '--timeout-ms', '2000'];
  const zone = host.split('.').slice(2).join('.');
  say(
    `== Another team associates a private hosted zone for ${zone} with the VPC: aws route53 create-hosted-zone --name ${zone} --vpc VPCRegion=us-east-1,VPCId=${vpcId} …`,
  );
  dns.addHostedZone(vpcId, { hostedZoneId: 'Z0SHADOW1234', name: `${zone}.`, owningAccount: '123456789012' });
  const dnsPath = (await world.portsFor('operator-read-only')).dnsPath(dns);
  await cli(world, vpc, doctor, { hostedZones: dnsPath, resolver: dnsPath });

  say('== The fix the doctor printed is applied (the zone is detached from the VPC)');
  dns.disassociateHostedZone(vpcId, 'Z0SHADOW1234');
  await cli(world, vpc, doctor, { hostedZones: dnsPath, resolver: dnsPath });
}

async function orphanAct(world: World, vpc: VpcStandIn, clusterId: string): Promise<void> {
  say(`== Someone deletes cluster ${clusterId} in TiDB Cloud: its endpoint is left behind`);
  world.sim.removeCluster(clusterId);
  await reconcileAll(world.deps);
  say(
    '== status prices the orphan (PRIVATELINK_DELETE_ORPHANS_AFTER_H would delete it after a grace period)',
  );
  await cli(world, vpc, ['status']);
}

/** The simulator's key pair: random, unless the environment names one (the leak test's canaries). */
function keyPair(): { publicKey?: string; privateKey?: string } {
  const { TIDB_CLOUD_PUBLIC_KEY: publicKey, TIDB_CLOUD_PRIVATE_KEY: privateKey } = process.env;
  return publicKey && privateKey ? { publicKey, privateKey } : {};
}

async function main(): Promise<void> {
  const world = await startWorld({
    clock: systemClock,
    pollIntervalMs: 5000 / COMPRESSION,
    // Time runs 60× faster, so the API quota does too: 100/min becomes 100 per second.
    requestsPerMinute: 95 * COMPRESSION,
    simulator: {
      ...keyPair(),
      rateLimitPerMinute: 100 * COMPRESSION,
      serviceReadyMs: SERVICE_READY_MS,
      connectionAcceptMs: 300_000 / COMPRESSION,
    },
  });
  const vpc = await startVpcStandIn(world.ec2, {
    sourceCidr: world.ec2.world.cidrBlock,
    addresses: ['127.0.0.11', '127.0.0.12', '127.0.0.13', '127.0.0.14'],
  });
  // The platform team's endpoint security group admits the TiDB port from the VPC.
  vpc.admit(world.ec2.world.securityGroupId);
  world.events.onEvent(narrate);
  try {
    const clusterId = await provisioningAct(world, vpc);
    await diagnosticsAct(world, vpc, clusterId);
    await dnsPathAct(world, vpc, clusterId);
    await orphanAct(world, vpc, clusterId);
  } finally {
    await vpc.close();
    await world.close();
    await closeAll();
  }
}

await main();
