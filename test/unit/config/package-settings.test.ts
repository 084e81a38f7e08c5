/**
 * settings.cjs, the package-time resolver, in-process: the deployer's settings with the catalogue's defaults,
 * or one error listing every problem. It runs the settings module bundled by esbuild, as `serverless package`
 * does.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { Problem } from '../../../functions/settings/index.ts';

type Resolve = (env: Record<string, string | undefined>) => Record<string, string>;
const { resolveSettings } = createRequire(import.meta.url)('../../../settings.cjs') as {
  resolveSettings: Resolve;
};

const CI = {
  PRIVATELINK_VPC_ID: 'vpc-0123456789abcdef0',
  PRIVATELINK_SUBNET_IDS: 'subnet-0aaa,subnet-0bbb',
  TIDB_CLOUD_API_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:tidb-cloud-api-key',
  AWS_REGION: 'us-east-1',
};

/** The refusal of `env`: its message and its problems. */
function refusal(env: Record<string, string | undefined>): { message: string; problems: Problem[] } {
  try {
    resolveSettings(env);
  } catch (error) {
    const { message, problems } = error as Error & { problems: Problem[] };
    return { message, problems };
  }
  throw new Error('the settings were accepted');
}

describe('the package-time settings', () => {
  it("are the CI's values with every default applied", () => {
    const values = resolveSettings(CI);
    expect(values).toMatchObject({
      ...CI,
      vpcId: CI.PRIVATELINK_VPC_ID,
      subnetIds: CI.PRIVATELINK_SUBNET_IDS,
      probeSubnetIds: CI.PRIVATELINK_SUBNET_IDS,
      PRIVATELINK_STACK_NAME: 'tidb-privatelink',
      PRIVATELINK_EVENT_BUS: 'default',
      PRIVATELINK_PENDING_TIMEOUT_MIN: '30',
      TIDB_CLOUD_REQUESTS_PER_MINUTE: '95',
      RECONCILE_RATE: 'rate(5 minutes)',
      PROBE_RATE: 'rate(5 minutes)',
      TIDB_SQL_SECRET_ARN: '',
      PRIVATELINK_DELETE_ORPHANS_AFTER_H: '',
    });
    expect(values).not.toHaveProperty('sqlSecretArn');
    expect(resolveSettings({ ...CI, AWS_REGION: undefined }).AWS_REGION).toBe('us-east-1');
  });

  it('take the first VPC of the list form, and trim what they pass on', () => {
    const values = resolveSettings({
      ...CI,
      PRIVATELINK_VPC_ID: '',
      PRIVATELINK_SUBNET_IDS: '',
      PRIVATELINK_VPCS: JSON.stringify([
        { vpcId: 'vpc-0aaa', subnetIds: ['subnet-0a1', 'subnet-0a2'] },
        { vpcId: 'vpc-0bbb', subnetIds: ['subnet-0b1'] },
      ]),
      PRIVATELINK_STACK_NAME: '  blue  ',
      TIDB_SQL_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:sql',
    });
    expect(values).toMatchObject({
      vpcId: 'vpc-0aaa',
      subnetIds: 'subnet-0a1,subnet-0a2',
      probeSubnetIds: 'subnet-0a1,subnet-0a2',
      PRIVATELINK_STACK_NAME: 'blue',
      sqlSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:sql',
    });
  });

  it("place the stack's own resources in its first own VPC, never a spoke's", () => {
    const spoke = {
      vpcId: 'vpc-0ccc',
      subnetIds: ['subnet-0c1'],
      roleArn: 'arn:aws:iam::222233334444:role/spoke',
    };
    const values = resolveSettings({
      ...CI,
      PRIVATELINK_VPC_ID: '',
      PRIVATELINK_SUBNET_IDS: '',
      PRIVATELINK_VPCS: JSON.stringify([spoke, { vpcId: 'vpc-0aaa', subnetIds: ['subnet-0a1'] }]),
    });
    expect(values).toMatchObject({ vpcId: 'vpc-0aaa', subnetIds: 'subnet-0a1' });
  });

  it("refuse a spoke's data plane outside the deploy region (us-east-1 when AWS_REGION is unset)", () => {
    const spoke = {
      vpcId: 'vpc-0ccc',
      subnetIds: ['subnet-0c1'],
      roleArn: 'arn:aws:iam::222233334444:role/spoke',
      dataPlaneFunctionArn: 'arn:aws:lambda:eu-west-1:222233334444:function:dp',
    };
    const { problems } = refusal({
      ...CI,
      AWS_REGION: undefined,
      PRIVATELINK_VPC_ID: '',
      PRIVATELINK_SUBNET_IDS: '',
      PRIVATELINK_VPCS: JSON.stringify([{ vpcId: 'vpc-0aaa', subnetIds: ['subnet-0a1'] }, spoke]),
    });
    expect(problems.map((item) => item.message)).toEqual([
      'PRIVATELINK_VPCS[1] "dataPlaneFunctionArn" is in eu-west-1, not the stack\'s region us-east-1',
    ]);
  });

  it('refuse a secret ARN the cold start would refuse (the package once accepted any name)', () => {
    const { problems } = refusal({
      ...CI,
      TIDB_CLOUD_API_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:my key',
    });
    expect(problems.map((item) => item.names)).toEqual([['TIDB_CLOUD_API_KEY_SECRET_ARN']]);
  });

  it('list every problem, of every kind, in one message', () => {
    const { message, problems } = refusal({
      PRIVATELINK_SUBNET_IDS: 'subnet-0aaa subnet-0bbb',
      RECONCILE_RATE: 'cron(0 * * * ? *)',
      PRIVATELINK_TROUBLESHOOT_SOURCES: 'aws.events',
      PRIVATELINK_ALARM_EMAIL: 'oncall',
      PRIVATELINK_PENDING_TIMEOUT_MIN: '0',
    });
    expect(problems.flatMap((item) => item.names)).toEqual([
      'TIDB_CLOUD_API_KEY_SECRET_ARN',
      'PRIVATELINK_VPC_ID',
      'PRIVATELINK_SUBNET_IDS',
      'PRIVATELINK_PENDING_TIMEOUT_MIN',
      'RECONCILE_RATE',
      'PRIVATELINK_TROUBLESHOOT_SOURCES',
      'PRIVATELINK_ALARM_EMAIL',
    ]);
    expect(message).toMatch(/^Cannot resolve variable at "custom\.settings": deploy settings: /);
    expect(message.split('; ')).toHaveLength(problems.length);
    expect(message).toMatch(/Export them \(docs\/configuration\.md\) and run again\.$/);
  });

  it('ignore what only the CLI reads: the deployed stack never gets it', () => {
    expect(() =>
      resolveSettings({ ...CI, TIDB_CLOUD_API_URL: 'ftp://x', PRIVATELINK_EVENT_SOURCE: 'aws.x' }),
    ).not.toThrow();
  });
});

describe('package-time refusals name the setting in one sentence', () => {
  it.each([
    ['PROBE_RATE', 'cron(0/5 * * * ? *)', /^PROBE_RATE is ".*": the alarms follow its period, so it must be/],
    ['RECONCILE_RATE', 'rate(1 day)', /^RECONCILE_RATE is "rate\(1 day\)"/],
    ['PROBE_RATE', 'rate(13 hours)', /from 1 minute to 12 hours$/],
    ['PROBE_RATE', 'rate(0 minutes)', /^PROBE_RATE/],
    ['PRIVATELINK_TROUBLESHOOT_SOURCES', 'has space', /^PRIVATELINK_TROUBLESHOOT_SOURCES lists "has space"/],
    ['PRIVATELINK_TROUBLESHOOT_SOURCES', 'x'.repeat(257), /a source is up to 256 letters/],
    ['PRIVATELINK_ALARM_TOPIC_ARN', 'arn:aws:sqs:us-east-1:123456789012:queue', /not an SNS topic ARN/],
    ['PRIVATELINK_ALARM_EMAIL', 'a@example.com,b@example.com', /not one e-mail address$/],
    ['TIDB_SQL_SECRET_ARN', '{"user":"u"}', /^TIDB_SQL_SECRET_ARN is not a Secrets Manager secret ARN/],
    ['PRIVATELINK_DELETE_ORPHANS_AFTER_H', 'two days', /not a whole number of hours/],
  ])('%s = %s', (name, value, message) => {
    const { problems } = refusal({ ...CI, [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.names).toEqual([name]);
    expect(problems[0]?.message).toMatch(message);
  });

  it.each([
    ['PROBE_RATE', 'rate(1 minute)'],
    ['RECONCILE_RATE', 'rate(12 hours)'],
    ['PRIVATELINK_TROUBLESHOOT_SOURCES', 'my-platform.oncall, ops/runbook'],
    ['PRIVATELINK_ALARM_TOPIC_ARN', 'arn:aws:sns:us-east-1:123456789012:oncall'],
    ['PRIVATELINK_ALARM_EMAIL', 'oncall@example.com'],
  ])('%s = %s is accepted', (name, value) => {
    expect(resolveSettings({ ...CI, [name]: value })[name]).toBe(value);
  });
});
