/**
 * `doctor --source-cidr` for clients outside the VPC, through the CLI with the EC2 fake's route tables and the
 * Route 53 Resolver fake: no route back fails with the route to add; a VPN gateway route without an inbound
 * Resolver endpoint warns with the endpoint to create; once both exist the check passes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DiagnosticReport } from '../../../functions/core/diagnose/report.ts';
import { provision } from '../../../functions/core/reconcile/reconcile.ts';
import { DnsPathFake } from '../../../testing/dns-path-fake.ts';
import { runCliAsOperator } from '../../../testing/operator-cli.ts';
import { startVpcStandIn, type VpcStandIn } from '../../../testing/vpc-stand-in.ts';
import { startWorld, type World } from '../../../testing/world.ts';

const ON_PREMISES = '192.168.10.0/24';

let world: World;
let vpc: VpcStandIn;
let dns: DnsPathFake;
let clusterId: string;
let env: Record<string, string>;

beforeEach(async () => {
  world = await startWorld();
  // The clients sit on-premises; the security group admits them (the VPC's own CIDR is not enough here).
  vpc = await startVpcStandIn(world.ec2, { sourceCidr: ON_PREMISES });
  const cluster = world.addCluster({ displayName: 'orders', port: vpc.port });
  clusterId = cluster.clusterId;
  vpc.serve(cluster.serviceDnsName, cluster.serviceName);
  vpc.admit(world.ec2.world.securityGroupId);
  await provision(world.deps, { clusterId }, { deadline: world.clock.now() + 3_600_000 });
  dns = new DnsPathFake();
  env = {
    TIDB_CLOUD_API_URL: world.sim.url,
    TIDB_CLOUD_PUBLIC_KEY: world.sim.publicKey,
    TIDB_CLOUD_PRIVATE_KEY: world.sim.privateKey,
    AWS_REGION: 'us-east-1',
    PRIVATELINK_VPC_ID: world.settings.vpcId,
  };
});

afterEach(async () => {
  await vpc.close();
  await world.close();
});

async function returnRoute(...flags: string[]) {
  const run = await runCliAsOperator(
    world,
    ['doctor', '--cluster', clusterId, '--dns-server', vpc.dnsServer, '--source-cidr', ON_PREMISES, ...flags],
    env,
    { dataPlane: vpc.dataPlane, resolver: dns, hostedZones: dns },
  );
  const report = flags.includes('--json') ? (JSON.parse(run.stdout) as DiagnosticReport) : undefined;
  return { run, check: report?.checks.find((c) => c.id === 'aws.return-route') };
}

describe('doctor --source-cidr outside the VPC: aws.return-route', () => {
  it('no route back: fail with the create-route for each endpoint route table, exit 1', async () => {
    const { run, check } = await returnRoute('--json');
    expect(run.code).toBe(1);
    const main = world.ec2.mainRouteTableId(world.settings.vpcId);
    expect(check).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining(`${main} (main) of subnet-`),
    });
    expect(check?.remediation).toBe(
      `aws ec2 create-route --route-table-id ${main} --destination-cidr-block ${ON_PREMISES} <--vpc-peering-connection-id pcx-… | --transit-gateway-id tgw-… | --gateway-id vgw-…>`,
    );
  });

  it('a VPN gateway route but no inbound Resolver endpoint: warn with the endpoint to create; then pass', async () => {
    world.ec2.addRoute(world.ec2.mainRouteTableId(world.settings.vpcId), {
      destination: '192.168.0.0/16',
      target: 'vgw-0onprem',
    });
    const warned = await returnRoute('--json');
    expect(warned.run.code).toBe(0);
    expect(warned.check).toMatchObject({
      status: 'warn',
      evidence: { inboundResolverEndpoints: [] },
      remediation: expect.stringContaining(
        'aws route53resolver create-resolver-endpoint --direction INBOUND',
      ),
    });

    dns.addResolverEndpoint(world.settings.vpcId, 'INBOUND');
    const human = await returnRoute();
    expect(human.run.stdout).toMatch(
      new RegExp(
        `✔ aws\\.return-route +The endpoint subnets route ${ON_PREMISES.replaceAll('.', '\\.')} back via vgw-0onprem\\.`,
      ),
    );
  });
});
