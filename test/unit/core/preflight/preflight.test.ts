import { describe, expect, it } from 'vitest';
import { AwsError, TidbCloudAuthError } from '../../../../functions/core/errors.ts';
import type { Cluster } from '../../../../functions/core/model.ts';
import type { PreflightPorts, PreflightSettings } from '../../../../functions/core/preflight/ports.ts';
import { preflight, renderPreflight } from '../../../../functions/core/preflight/preflight.ts';
import { Ec2Fake, type Ec2FakeWithWorld } from '../../../../testing/ec2-fake.ts';
import { fakePreflightPorts, type PreflightFakeOptions } from '../../../../testing/preflight-fakes.ts';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:tidb-cloud-api-key-AbCdEf';
const GOOD_SECRET = JSON.stringify({ publicKey: 'pub', privateKey: 'priv' });

const cluster = (regionId: string): Cluster => ({
  clusterId: '1379661944646413143',
  displayName: 'prod',
  regionId,
  cloudProvider: 'aws',
  state: 'ACTIVE',
  port: 4000,
  labels: {},
  nodeGroups: [],
});

function setup(options: Partial<PreflightFakeOptions> & { clusters?: Cluster[] | Error } = {}) {
  const ec2: Ec2FakeWithWorld = Ec2Fake.withDefaultWorld({ region: 'us-east-1' });
  const { clusters = [cluster('aws-us-east-1')], ...rest } = options;
  const ports: PreflightPorts = {
    ...fakePreflightPorts({ ec2, tidbUrl: 'http://127.0.0.1:1', secrets: { [ARN]: GOOD_SECRET }, ...rest }),
    tidb: () => ({
      listClusters: async () => {
        if (clusters instanceof Error) throw clusters;
        return clusters;
      },
    }),
  };
  const settings: PreflightSettings = {
    region: 'us-east-1',
    vpcId: ec2.world.vpcId,
    subnetIds: ec2.world.subnetIds,
    apiKeySecretArn: ARN,
    eventBus: 'default',
  };
  return { ec2, ports, settings };
}

const run = (ports: PreflightPorts, settings: PreflightSettings) =>
  preflight(ports, settings, { timeoutMs: 5000 });

const byId = (report: Awaited<ReturnType<typeof run>>) =>
  Object.fromEntries(report.checks.map((check) => [check.id, check]));

describe('preflight', () => {
  it('passes every check on a ready account, listing the AZ IDs and the quota headroom', async () => {
    const { ports, settings } = setup();
    const report = await run(ports, settings);
    expect(report.checks.map((check) => [check.id, check.status])).toEqual([
      ['aws.credentials', 'pass'],
      ['aws.region', 'pass'],
      ['aws.vpc', 'pass'],
      ['aws.vpc-dns-attributes', 'pass'],
      ['aws.subnets', 'pass'],
      ['aws.endpoint-quota', 'pass'],
      ['aws.lambda-concurrency', 'pass'],
      ['tidb.api-key-secret', 'pass'],
      ['tidb.api-key', 'pass'],
      ['aws.event-bus', 'pass'],
    ]);
    expect(report.ready).toBe(true);
    const checks = byId(report);
    expect(checks['aws.subnets']?.summary).toMatch(/in use1-az1.*in use1-az2.*in use1-az4/);
    expect(checks['aws.endpoint-quota']?.summary).toBe(
      `50 more interface endpoints fit in ${settings.vpcId} (0 of 50 in use).`,
    );
    expect(checks['tidb.api-key']?.summary).toBe(
      'The key works: it sees 1 cluster, 1 on AWS us-east-1 (prod).',
    );
  });

  it('uses the default quota of 50 with a warning when Service Quotas denies the call', async () => {
    const { ports, settings } = setup({
      quota: new AwsError('AccessDeniedException', 'not authorized to perform servicequotas:GetServiceQuota'),
    });
    const report = await run(ports, settings);
    const quota = byId(report)['aws.endpoint-quota'];
    expect(quota).toMatchObject({
      status: 'warn',
      evidence: { quota: 50, quotaKnown: false, used: 0, left: 50 },
    });
    expect(quota?.summary).toMatch(
      /assuming the default quota: Service Quotas did not answer \(not authorized/,
    );
    expect(report.ready).toBe(true);
  });

  it('uses the default quota with a warning, by the deadline, when Service Quotas never answers', async () => {
    const { ports, settings } = setup({ quota: 'hang' });
    const begin = performance.now();
    const report = await preflight(ports, settings, { timeoutMs: 1000 });
    expect(performance.now() - begin).toBeLessThan(1000);
    expect(byId(report)['aws.endpoint-quota']).toMatchObject({
      status: 'warn',
      summary: expect.stringContaining('Service Quotas did not answer (no answer before the deadline)'),
      evidence: { quota: 50, quotaKnown: false },
    });
    expect(report.ready).toBe(true);
  });

  it('fails the quota check when the VPC has no room left, with the quota-increase command', async () => {
    const { ec2, ports, settings } = setup({ quota: 2 });
    const serviceName = 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0';
    ec2.registerService(serviceName, ['use1-az1']);
    for (const token of ['a', 'b']) {
      await ec2.createInterfaceEndpoint({
        vpcId: settings.vpcId,
        serviceName,
        subnetIds: [ec2.world.subnetIdByZoneId['use1-az1'] ?? ''],
        securityGroupIds: [ec2.world.securityGroupId],
        clientToken: token,
        tags: {},
      });
    }
    const quota = byId(await run(ports, settings))['aws.endpoint-quota'];
    expect(quota).toMatchObject({ status: 'fail', evidence: { quota: 2, used: 2, left: 0 } });
    expect(quota?.remediation).toContain('--service-code vpc --quota-code L-29B6F2EB --desired-value 12');
  });

  it('names a subnet outside the VPC, and warns when every subnet is in one zone', async () => {
    const { ec2, ports, settings } = setup();
    const otherVpc = ec2.createVpc({ cidrBlocks: ['10.9.0.0/16'] });
    const foreign = ec2.createSubnet({
      vpcId: otherVpc,
      availabilityZoneId: 'use1-az1',
      cidrBlock: '10.9.0.0/20',
    });
    const wrong = byId(await run(ports, { ...settings, subnetIds: [...settings.subnetIds, foreign] }));
    expect(wrong['aws.subnets']).toMatchObject({
      status: 'fail',
      summary: `${foreign} is not a subnet of ${settings.vpcId}.`,
    });
    const lonely = byId(
      await run(ports, { ...settings, subnetIds: [ec2.world.subnetIdByZoneId['use1-az2'] ?? ''] }),
    );
    expect(lonely['aws.subnets']).toMatchObject({ status: 'warn' });
    expect(lonely['aws.subnets']?.remediation).toMatch(/another availability zone/);
  });

  it('skips everything after rejected credentials, with one fix for them', async () => {
    const { ports, settings } = setup({
      credentialsError: new AwsError(
        'InvalidClientTokenId',
        'The security token included in the request is invalid.',
      ),
    });
    const report = await run(ports, settings);
    expect(report.ready).toBe(false);
    expect(report.checks[0]).toMatchObject({ id: 'aws.credentials', status: 'fail' });
    expect(report.checks[0]?.remediation).toMatch(/aws sts get-caller-identity/);
    expect(report.checks.slice(1).every((check) => check.status === 'skip')).toBe(true);
  });

  it('warns when the key sees no cluster of this region, and fails when TiDB Cloud rejects it', async () => {
    const elsewhere = setup({ clusters: [cluster('aws-eu-west-1')] });
    const none = byId(await run(elsewhere.ports, elsewhere.settings))['tidb.api-key'];
    expect(none).toMatchObject({
      status: 'warn',
      summary: 'The key works: it sees 1 cluster, none on AWS us-east-1.',
    });
    const rejected = setup({
      clusters: new TidbCloudAuthError('digest authentication failed', { status: 401 }),
    });
    const report = await run(rejected.ports, rejected.settings);
    expect(byId(report)['tidb.api-key']).toMatchObject({
      status: 'fail',
      summary: 'TiDB Cloud rejected the API key.',
    });
    expect(report.ready).toBe(false);
  });

  it('accepts keys from the environment for local use, warning that the stack needs the secret', async () => {
    const { ports, settings } = setup();
    const local = { ...settings, apiKeySecretArn: undefined, envKeys: { publicKey: 'p', privateKey: 'q' } };
    const checks = byId(await run(ports, local));
    expect(checks['tidb.api-key-secret']).toMatchObject({ status: 'warn' });
    expect(checks['tidb.api-key-secret']?.remediation).toMatch(
      /aws secretsmanager create-secret --name tidb-cloud-api-key/,
    );
    expect(checks['tidb.api-key']).toMatchObject({ status: 'pass' });
  });

  it('passes the default bus without a call; a missing custom bus is a warning (the stack creates it)', async () => {
    const { ports, settings } = setup({ buses: ['default', 'ops'] });
    expect(byId(await run(ports, { ...settings, eventBus: 'ops' }))['aws.event-bus']).toMatchObject({
      status: 'pass',
    });
    const missing = byId(await run(ports, { ...settings, eventBus: 'privatelink' }))['aws.event-bus'];
    expect(missing).toMatchObject({
      status: 'warn',
      summary: 'The event bus privatelink does not exist yet.',
    });
  });

  it('renders like the doctor: marks, the fix under a failure, and a verdict', async () => {
    const { ec2, ports, settings } = setup();
    ec2.setVpcDnsAttributes(settings.vpcId, { enableDnsHostnames: false });
    const text = renderPreflight(await run(ports, settings));
    expect(text).toMatch(/^✔ aws\.credentials {2,}Deploying as arn:aws:iam::123456789012:user\/deployer/m);
    expect(text).toMatch(/^✘ aws\.vpc-dns-attributes {2}.*enableDnsHostnames off/m);
    expect(text).toContain(
      `    fix: aws ec2 modify-vpc-attribute --vpc-id ${settings.vpcId} --enable-dns-hostnames '{"Value":true}'`,
    );
    expect(text).toMatch(/^NOT READY: 9 passed, 0 warnings, 1 failed, 0 skipped \(\d+ ms\)$/m);
  });
});
