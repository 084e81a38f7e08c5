/**
 * resources/variables.cjs: the values serverless.yml computes from the settings (lists, alarm periods).
 * Called as the framework calls them, with a `resolveVariable` answering from a table. The refusals of
 * settings the alarms or rules cannot follow are settings.cjs's (test/unit/config/package-settings.test.ts).
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

type Resolve = { resolveVariable: (address: string) => Promise<unknown> };
type Variable = (context: Resolve) => Promise<unknown>;
const variables = createRequire(import.meta.url)('../../../resources/variables.cjs') as Record<
  string,
  Variable
>;

const DEFAULTS: Record<string, string> = {
  'self:custom.eventSource': 'tidb-privatelink',
  'self:custom.probeSubnetIds': 'subnet-0aaa,subnet-0bbb',
  'self:custom.troubleshootSources': '',
  'self:custom.alarmTopicArn': '',
  'self:custom.alarmEmail': '',
  'self:custom.probeRate': 'rate(5 minutes)',
  'self:custom.reconcileRate': 'rate(5 minutes)',
};

function resolve(name: string, settings: Record<string, string> = {}): Promise<unknown> {
  const variable = variables[name];
  if (!variable) throw new Error(`resources/variables.cjs exports no ${name}`);
  const table = { ...DEFAULTS, ...settings };
  return variable({
    resolveVariable: async (address) => {
      if (!(address in table)) throw new Error(`unexpected variable ${address}`);
      return table[address];
    },
  });
}

describe('alarm periods follow the schedules', () => {
  it.each([
    ['rate(1 minute)', 60, 15],
    ['rate(5 minutes)', 300, 3],
    ['rate(10 minutes)', 600, 2],
    ['rate(2 hours)', 7200, 1],
  ])('%s: %i s per period, Blocked for 15 minutes = %i periods', async (rate, seconds, periods) => {
    expect(await resolve('probePeriodSeconds', { 'self:custom.probeRate': rate })).toBe(seconds);
    expect(await resolve('reconcilePeriodSeconds', { 'self:custom.reconcileRate': rate })).toBe(seconds);
    expect(await resolve('blockedEvaluationPeriods', { 'self:custom.reconcileRate': rate })).toBe(periods);
  });
});

describe('scheduled ticks do not pile up', () => {
  it.each([
    ['rate(1 minute)', 60],
    ['rate(5 minutes)', 300],
    ['rate(90 minutes)', 5400],
    ['rate(6 hours)', 21_600],
    // Lambda keeps an event at most six hours, whatever the period.
    ['rate(12 hours)', 21_600],
  ])('%s: Lambda keeps a tick it could not run for %i s', async (rate, seconds) => {
    expect(await resolve('reconcileMaxEventAgeSeconds', { 'self:custom.reconcileRate': rate })).toBe(seconds);
    expect(await resolve('probeMaxEventAgeSeconds', { 'self:custom.probeRate': rate })).toBe(seconds);
  });

  it('follows each schedule on its own', async () => {
    const settings = {
      'self:custom.reconcileRate': 'rate(10 minutes)',
      'self:custom.probeRate': 'rate(2 minutes)',
    };
    expect(await resolve('reconcileMaxEventAgeSeconds', settings)).toBe(600);
    expect(await resolve('probeMaxEventAgeSeconds', settings)).toBe(120);
  });
});

describe('troubleshoot sources', () => {
  it('are the app itself by default', async () => {
    expect(await resolve('troubleshootSources')).toEqual(['tidb-privatelink']);
  });

  it('add PRIVATELINK_TROUBLESHOOT_SOURCES, trimmed, without duplicates', async () => {
    const sources = await resolve('troubleshootSources', {
      'self:custom.troubleshootSources':
        ' my-platform.oncall ,ops/runbook,, tidb-privatelink,my-platform.oncall',
    });
    expect(sources).toEqual(['tidb-privatelink', 'my-platform.oncall', 'ops/runbook']);
  });
});

describe('alarm notifications', () => {
  it('go nowhere by default, to the topic and/or the e-mail topic when set', async () => {
    const arn = 'arn:aws:sns:us-east-1:123456789012:oncall';
    expect(await resolve('alarmActions')).toEqual([]);
    expect(await resolve('alarmActions', { 'self:custom.alarmTopicArn': arn })).toEqual([arn]);
    expect(await resolve('alarmActions', { 'self:custom.alarmEmail': 'a@example.com' })).toEqual([
      { Ref: 'AlarmEmailTopic' },
    ]);
  });
});

describe('the data plane network interfaces', () => {
  it('name each probe subnet, the probe group and new interfaces, all in this account and region', async () => {
    const resources = await resolve('dataPlaneInterfaceResources', {
      'self:custom.probeSubnetIds': 'subnet-0aaa, subnet-0bbb',
    });
    expect(JSON.stringify(resources)).toBe(
      JSON.stringify(
        [
          'network-interface/*',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub placeholder.
          'security-group/${ProbeSecurityGroup}',
          'subnet/subnet-0aaa',
          'subnet/subnet-0bbb',
        ].map((resource) => ({
          'Fn::Sub': `arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:${resource}`,
        })),
      ),
    );
  });
});
