import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TidbCloudClient } from '../../../functions/adapters/tidbcloud/client.ts';
import type { DiagnosticReport } from '../../../functions/core/diagnose/report.ts';
import { AwsError } from '../../../functions/core/errors.ts';
import type { ConnectionState } from '../../../functions/core/model.ts';
import { provision } from '../../../functions/core/reconcile/reconcile.ts';
import { DnsPathFake } from '../../../testing/dns-path-fake.ts';
import { runCliAsOperator } from '../../../testing/operator-cli.ts';
import { schemaErrors } from '../../../testing/report-schema.ts';
import { spawnCli } from '../../../testing/run-cli.ts';
import { startVpcStandIn, type VpcStandIn } from '../../../testing/vpc-stand-in.ts';
import { startWorld, type World } from '../../../testing/world.ts';

let world: World;
let vpc: VpcStandIn;
let clusterId: string;
let env: Record<string, string>;

beforeEach(async () => {
  world = await startWorld();
  vpc = await startVpcStandIn(world.ec2, { sourceCidr: world.ec2.world.cidrBlock });
  const cluster = world.addCluster({ displayName: 'orders', port: vpc.port });
  clusterId = cluster.clusterId;
  vpc.serve(cluster.serviceDnsName, cluster.serviceName);
  vpc.admit(world.ec2.world.securityGroupId);
  await provision(world.deps, { clusterId }, { deadline: world.clock.now() + 3_600_000 });
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

const doctor = (...flags: string[]) =>
  runCliAsOperator(
    world,
    ['doctor', '--cluster', clusterId, '--dns-server', vpc.dnsServer, '--timeout-ms', '2000', ...flags],
    env,
    { dataPlane: vpc.dataPlane },
  );

describe('tidb-privatelink doctor', () => {
  it('a healthy endpoint: one line per check, all pass but the AZ the VPC lacks (a warning), exit 0', async () => {
    const run = await doctor();
    expect(run.code).toBe(0);
    const checkLines = run.stdout.split('\n').filter((line) => /^[✔!✘-] /.test(line));
    expect(checkLines).toHaveLength(14);
    // The service also spans use1-az6, where the VPC has no subnet: a warning with the fix, not a failure.
    // Return routes matter only for clients outside the VPC.
    expect(checkLines.filter((line) => !line.startsWith('✔'))).toEqual([
      expect.stringMatching(/^! aws\.az-coverage .*use1-az6/),
      expect.stringMatching(/^- aws\.return-route +Skipped: the clients are inside the VPC/),
    ]);
    expect(run.stdout).toMatch(/^HEALTHY: 12 passed, 1 warnings, 0 failed, 1 skipped/m);
  });

  it('--json prints only the report, valid against the schema, checks in contract order', async () => {
    const run = await doctor('--json');
    const report = JSON.parse(run.stdout) as DiagnosticReport;
    expect(schemaErrors(report)).toEqual([]);
    expect(report.checks.map((check) => check.id)).toEqual([
      'tidb.cluster-state',
      'tidb.service-ready',
      'aws.region-match',
      'aws.vpc-dns-attributes',
      'aws.endpoint-state',
      'tidb.connection-state',
      'aws.az-coverage',
      'aws.private-dns',
      'aws.security-group-ingress',
      'aws.network-acl',
      'aws.return-route',
      'dns.resolution',
      'tcp.connect',
      'tidb.handshake',
    ]);
    expect(report).toMatchObject({ clusterId, healthy: true, port: vpc.port });
  });

  it('a security group without the port: the failing check, its exact fix, the drop seen by TCP, exit 1', async () => {
    vpc.revoke(world.ec2.world.securityGroupId);
    const run = await doctor();
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^✘ aws\.security-group-ingress/m);
    expect(run.stdout).toContain(
      `fix: aws ec2 authorize-security-group-ingress --group-id ${world.ec2.world.securityGroupId} --protocol tcp --port ${vpc.port} --cidr ${world.ec2.world.cidrBlock}`,
    );
    expect(run.stdout).toMatch(/^✘ tcp\.connect .*tim/m);
    expect(run.stdout).toMatch(/^- tidb\.handshake/m);
  });

  it('a connection state the API does not document: a warning naming it, a valid report, exit 0', async () => {
    const [connection] = await world.sim.connections();
    world.sim.setConnectionState(
      connection?.privateEndpointConnectionId ?? '',
      'RECONCILING' as ConnectionState,
    );
    const run = await doctor('--json');
    const report = JSON.parse(run.stdout) as DiagnosticReport;
    expect(schemaErrors(report)).toEqual([]);
    expect(report.checks.find((check) => check.id === 'tidb.connection-state')).toMatchObject({
      status: 'warn',
      summary: expect.stringContaining('"RECONCILING"'),
    });
    expect(run.code).toBe(0);
  });

  it('TiDB Cloud quota used up past the deadline: the check says so and when it resets', async () => {
    // A client that waits in real time, as the CLI's does: the world's own client waits on a virtual clock.
    const tidb = new TidbCloudClient({
      baseUrl: world.sim.url,
      publicKey: world.sim.publicKey,
      privateKey: world.sim.privateKey,
    });
    world.sim.faults.rateLimitBurst(5, 50);
    const run = await runCliAsOperator(
      world,
      ['doctor', '--cluster', clusterId, '--dns-server', vpc.dnsServer, '--timeout-ms', '2000', '--json'],
      env,
      { tidb, dataPlane: vpc.dataPlane },
    );
    const report = JSON.parse(run.stdout) as DiagnosticReport;
    expect(schemaErrors(report)).toEqual([]);
    const check = report.checks.find((c) => c.id === 'tidb.cluster-state');
    expect(check).toMatchObject({
      status: 'fail',
      summary: expect.stringMatching(/quota of this key is exhausted until \d{4}-\d\d-\d\dT[\d:.]+Z/),
      evidence: { rateLimitResetsAt: expect.any(String) },
      remediation: expect.stringContaining('100 requests per minute'),
    });
    const resetsAt = Date.parse(String(check?.evidence?.rateLimitResetsAt));
    expect(resetsAt).toBeGreaterThan(Date.now() + 40_000);
    expect(run.code).toBe(1);
  });

  it('--source-cidr inside the VPC while DNS Firewall never answers and Resolver rules answer 500: exit 0', async () => {
    const dns = new DnsPathFake();
    dns.hangAlways('ListFirewallRuleGroupAssociations');
    dns.failAlways('ListResolverRules', new AwsError('HTTP 500', 'ListResolverRules failed with HTTP 500'));
    const begin = performance.now();
    const run = await runCliAsOperator(
      world,
      [
        'doctor',
        '--cluster',
        clusterId,
        '--dns-server',
        vpc.dnsServer,
        '--timeout-ms',
        '2000',
        '--json',
        '--source-cidr',
        world.ec2.world.cidrBlock,
      ],
      env,
      { dataPlane: vpc.dataPlane, resolver: dns, hostedZones: dns },
    );
    expect(performance.now() - begin).toBeLessThan(2_000);
    const report = JSON.parse(run.stdout) as DiagnosticReport;
    // The DNS path's reads are no part of the return route: the check is skipped, as for any source inside.
    expect(report.checks.find((c) => c.id === 'aws.return-route')).toMatchObject({
      status: 'skip',
      summary: expect.stringContaining('is inside the VPC'),
    });
    expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(run.code).toBe(0);
  });

  it('--source-cidr outside the admitted range names that range in the fix', async () => {
    const run = await doctor('--source-cidr', '192.168.0.0/24', '--json');
    const report = JSON.parse(run.stdout) as DiagnosticReport;
    const check = report.checks.find((c) => c.id === 'aws.security-group-ingress');
    expect(check?.status).toBe('fail');
    expect(check?.remediation).toContain('--cidr 192.168.0.0/24');
  });
});

describe('doctor: bad input is one sentence and exit 2, before any call', () => {
  it.each([
    [['doctor'], /--cluster <id> is required/],
    [['doctor', '--cluster', '1', '--source-cidr', '10.0.0.0/16', '--source-sg', 'sg-0abc'], /not both/],
    [['doctor', '--cluster', '1', '--vpc-endpoint', 'endpoint-1'], /--vpc-endpoint must look like vpce-/],
    [['doctor', '--cluster', '1', '--dns-server', 'resolver.local'], /--dns-server must look like/],
    [['doctor', '--cluster', '1', '--timeout-ms', '0'], /--timeout-ms must be a positive whole number/],
  ])('%j', async (args, message) => {
    const run = await spawnCli(args, {});
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});
