import { describe, expect, it } from 'vitest';
import { diagnose } from '../../../../functions/core/diagnose/doctor.ts';
import { MARKS, renderHuman } from '../../../../functions/core/diagnose/human.ts';
import { CHECK_IDS, type DiagnosticReport } from '../../../../functions/core/diagnose/report.ts';
import { TidbCloudAuthError, TidbCloudNotFoundError, UsageError } from '../../../../functions/core/errors.ts';
import { schemaErrors } from '../../../../testing/report-schema.ts';
import {
  CLUSTER_ID,
  fakeDataPlane,
  fakeEc2,
  fakeTidb,
  HOST,
  healthyProbe,
  healthyWorld,
  NODE_GROUP_ID,
  REQUEST,
  VPCE_ID,
  type World,
} from './fakes.ts';

const deps = (world: World, probe = fakeDataPlane(healthyProbe())) => ({
  tidb: fakeTidb(world),
  ec2: fakeEc2(world),
  dataPlane: probe,
  clock: { now: () => Date.parse('2026-01-01T00:00:00.000Z') },
});
const statuses = (report: DiagnosticReport) => Object.fromEntries(report.checks.map((c) => [c.id, c.status]));

describe('diagnose', () => {
  it('reports a healthy cluster with every check in contract order, valid against the schema', async () => {
    const report = await diagnose(deps(healthyWorld()), REQUEST);
    expect(report).toMatchObject({
      clusterId: CLUSTER_ID,
      tidbNodeGroupId: NODE_GROUP_ID,
      region: 'us-east-1',
      vpcId: 'vpc-0aaa',
      vpcEndpointId: VPCE_ID,
      host: HOST,
      port: 4000,
      healthy: true,
      startedAt: '2026-01-01T00:00:00.000Z',
      durationMs: 0,
    });
    expect(report.checks.map((c) => c.id)).toEqual([...CHECK_IDS]);
    expect(report.checks.filter((c) => c.status !== 'pass').map((c) => [c.id, c.status])).toEqual([
      ['aws.return-route', 'skip'],
    ]);
    expect(schemaErrors(report)).toEqual([]);
    const failWithoutFix = { ...report, checks: [{ id: 'tcp.connect', status: 'fail', summary: 'x' }] };
    expect(schemaErrors(failWithoutFix)).toContain("/checks/0 must have required property 'remediation'");
    expect(
      schemaErrors({ ...report, checks: [{ id: 'tcp.connectx', status: 'pass', summary: 'x' }] }),
    ).not.toEqual([]);
  });

  it('gives the data plane the host, port, ENI addresses, resolver and a budget inside the timeout', async () => {
    const probe = fakeDataPlane(healthyProbe());
    await diagnose(deps(healthyWorld(), probe), { ...REQUEST, dnsServer: '127.0.0.1:5300', timeoutMs: 2000 });
    expect(probe.inputs).toHaveLength(1);
    expect(probe.inputs[0]).toMatchObject({
      host: HOST,
      port: 4000,
      expectedAddresses: ['10.0.1.10', '10.0.2.10'],
      dnsServer: '127.0.0.1:5300',
    });
    expect(probe.inputs[0]?.timeoutMs).toBeLessThanOrEqual(1900);
  });

  it('uses the service DNS name while the connection is PENDING (host "")', async () => {
    const world = healthyWorld();
    for (const c of world.connections) Object.assign(c, { endpointState: 'PENDING', host: '' });
    const report = await diagnose(deps(world), REQUEST);
    expect(report.host).toBe(HOST);
    expect(statuses(report)['tidb.connection-state']).toBe('warn');
    expect(report.healthy).toBe(true);
  });

  it('skips everything downstream of a cluster that is not ACTIVE, and is unhealthy', async () => {
    const world = healthyWorld();
    world.cluster.state = 'CREATING';
    const probe = fakeDataPlane(healthyProbe());
    const report = await diagnose(deps(world, probe), REQUEST);
    expect(report.healthy).toBe(false);
    expect(statuses(report)).toMatchObject({
      'tidb.cluster-state': 'fail',
      'tidb.service-ready': 'skip',
      'aws.region-match': 'pass',
      'aws.vpc-dns-attributes': 'pass',
      'aws.endpoint-state': 'skip',
      'aws.network-acl': 'skip',
      'dns.resolution': 'skip',
      'tcp.connect': 'skip',
      'tidb.handshake': 'skip',
    });
    expect(probe.inputs).toHaveLength(0);
    expect(schemaErrors(report)).toEqual([]);
  });

  it('skips tcp and handshake with the reason when DNS points elsewhere', async () => {
    const probe = fakeDataPlane({
      dns: { server: 'system', status: 'answered', addresses: ['52.1.2.3'], durationMs: 1 },
      tcp: [],
    });
    const report = await diagnose(deps(healthyWorld(), probe), REQUEST);
    const tcp = report.checks.find((c) => c.id === 'tcp.connect');
    expect(tcp).toMatchObject({
      status: 'skip',
      summary: 'Skipped: DNS does not point at the endpoint (see dns.resolution).',
    });
    expect(statuses(report)['dns.resolution']).toBe('fail');
  });

  it('finds the endpoint by tag without a VPC id, and reports its VPC', async () => {
    const report = await diagnose(deps(healthyWorld()), { clusterId: CLUSTER_ID, region: 'us-east-1' });
    expect(report).toMatchObject({ vpcId: 'vpc-0aaa', vpcEndpointId: VPCE_ID, healthy: true });
  });

  it('turns an EC2 API error into a failing check naming the permission', async () => {
    const world = healthyWorld();
    world.failures.describeNetworkAcls = new Error('You are not authorized to perform this operation.');
    const report = await diagnose(deps(world), REQUEST);
    const acl = report.checks.find((c) => c.id === 'aws.network-acl');
    expect(acl).toMatchObject({
      status: 'fail',
      remediation: expect.stringContaining('grant ec2:DescribeNetworkAcls'),
    });
    expect(statuses(report)['aws.security-group-ingress']).toBe('pass');
  });

  it('throws for a wrong request instead of reporting', async () => {
    const world = healthyWorld();
    await expect(diagnose(deps(world), { ...REQUEST, tidbNodeGroupId: '42' })).rejects.toBeInstanceOf(
      UsageError,
    );
    await expect(diagnose(deps(world), { ...REQUEST, source: { cidr: '10.0.0.0/33' } })).rejects.toThrow(
      /not a CIDR/,
    );
    await expect(diagnose(deps(world), { ...REQUEST, timeoutMs: 0 })).rejects.toBeInstanceOf(UsageError);
    world.failures.getCluster = new TidbCloudNotFoundError('Cluster 1379661944646413143 not found.');
    await expect(diagnose(deps(world), REQUEST)).rejects.toBeInstanceOf(TidbCloudNotFoundError);
    world.failures.getCluster = new TidbCloudAuthError('The API key was rejected.');
    await expect(diagnose(deps(world), REQUEST)).rejects.toBeInstanceOf(TidbCloudAuthError);
  });

  it('returns the full report within timeout + 10 % when every call hangs', async () => {
    const world = healthyWorld();
    for (const method of [
      'getCluster',
      'describeAvailabilityZones',
      'listManagedEndpoints',
      'describeVpcDnsAttributes',
      'describeVpc',
    ]) {
      world.failures[method] = 'hang';
    }
    const timeoutMs = 1000;
    const begin = performance.now();
    const report = await diagnose(
      { tidb: fakeTidb(world), ec2: fakeEc2(world), dataPlane: fakeDataPlane('hang') },
      { ...REQUEST, timeoutMs },
    );
    expect(performance.now() - begin).toBeLessThan(timeoutMs * 1.1);
    expect(report.checks.map((c) => c.id)).toEqual([...CHECK_IDS]);
    expect(report.healthy).toBe(false);
    expect(report.checks[0]).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('Timed out reading cluster'),
    });
    expect(schemaErrors(report)).toEqual([]);
  });

  it('reports a hanging data plane as a timed-out DNS check by the deadline', async () => {
    const timeoutMs = 1000;
    const begin = performance.now();
    const report = await diagnose(deps(healthyWorld(), fakeDataPlane('hang')), { ...REQUEST, timeoutMs });
    expect(performance.now() - begin).toBeLessThan(timeoutMs * 1.1);
    expect(statuses(report)).toMatchObject({
      'aws.network-acl': 'pass',
      'dns.resolution': 'fail',
      'tcp.connect': 'skip',
    });
  });
});

describe('renderHuman', () => {
  it('prints one marked line per check, the fix under failures, and the summary', async () => {
    const world = healthyWorld();
    world.securityGroupRules = [];
    const text = renderHuman(await diagnose(deps(world), { ...REQUEST, source: { cidr: '10.0.0.0/16' } }));
    const lines = text.split('\n');
    expect(lines[0]).toBe(
      `tidb-privatelink doctor: cluster ${CLUSTER_ID}, node group ${NODE_GROUP_ID}, region us-east-1, vpc vpc-0aaa, endpoint ${VPCE_ID}`,
    );
    expect(lines.filter((line) => /^[✔!✘-] /.test(line))).toHaveLength(CHECK_IDS.length);
    const failure = lines.findIndex((line) => line.startsWith(`${MARKS.fail} aws.security-group-ingress`));
    expect(lines[failure + 1]).toBe(
      '    fix: aws ec2 authorize-security-group-ingress --group-id sg-0abc --protocol tcp --port 4000 --cidr 10.0.0.0/16',
    );
    expect(text.trimEnd().split('\n').at(-1)).toBe(
      'UNHEALTHY: 12 passed, 0 warnings, 1 failed, 1 skipped (0 ms)',
    );
  });
});
