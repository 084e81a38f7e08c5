/**
 * Operations resources (resources/*.yml) on the packaged template: the alarms read the metrics the code
 * publishes (METRIC_NAMES, proven against the probe's real EMF output in handlers.test.ts), the dashboard
 * shows fleet health, latency, reconcile phases and the TiDB Cloud API, asynchronous invocations and rules
 * have their retries and dead-letter queues. moto skips alarms, dashboards and event-invoke configs, so this
 * template is where they are checked (README "Operations").
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC_NAMES, METRIC_NAMESPACE } from '../../../functions/adapters/powertools-metrics.ts';
import { resolveIntrinsics } from '../../../testing/iam-engine.ts';
import { type CfnResource, type PackagedStack, packageStack } from '../../../testing/serverless-package.ts';

const FUNCTIONS = ['Reconcile', 'Provision', 'Probe', 'Troubleshoot', 'DataPlane'];
/** Powertools' `service` dimension: POWERTOOLS_SERVICE_NAME, the stack's name. */
const SERVICE = 'tidb-privatelink-dev';
const SERVICE_DIMENSION = { Name: 'service', Value: SERVICE };
const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:oncall';
const EMAIL = 'oncall@example.com';

let stack: PackagedStack;
/** Packaged with every operations setting: notifications, extra troubleshoot sources, other schedules. */
let configured: PackagedStack;

beforeAll(async () => {
  // One after the other: serverless-esbuild builds into the project's own .esbuild folder.
  stack = await packageStack();
  configured = await packageStack({
    PRIVATELINK_ALARM_TOPIC_ARN: TOPIC_ARN,
    PRIVATELINK_ALARM_EMAIL: EMAIL,
    PRIVATELINK_TROUBLESHOOT_SOURCES: 'my-platform.oncall, ops.runbook',
    PROBE_RATE: 'rate(2 minutes)',
    RECONCILE_RATE: 'rate(10 minutes)',
  });
}, 240_000);

afterAll(async () => {
  for (const packaged of [stack, configured]) {
    if (packaged) await rm(packaged.dir, { recursive: true, force: true });
  }
});

type Props = Record<string, unknown>;

function ofType(of: PackagedStack, type: string): Array<[string, CfnResource]> {
  return Object.entries(of.template.Resources).filter(([, resource]) => resource.Type === type);
}

const alarms = (of: PackagedStack) => ofType(of, 'AWS::CloudWatch::Alarm');

/** The single alarm on `metric` (a plain metric or one of its metric-math inputs). */
function alarmOn(of: PackagedStack, metric: string): Props {
  const found = alarms(of).filter(([, alarm]) => {
    const inputs = (alarm.Properties.Metrics as Array<{ MetricStat?: { Metric: Props } }> | undefined) ?? [];
    return (
      alarm.Properties.MetricName === metric || inputs.some((m) => m.MetricStat?.Metric.MetricName === metric)
    );
  });
  expect(found, `alarms on ${metric}`).toHaveLength(1);
  return (found[0] as [string, CfnResource])[1].Properties;
}

describe('alarms on the fleet metrics the code publishes', () => {
  it('endpoints unhealthy in two consecutive probe runs', () => {
    expect(alarmOn(stack, METRIC_NAMES.endpointsUnhealthy)).toMatchObject({
      Namespace: METRIC_NAMESPACE,
      Dimensions: [SERVICE_DIMENSION],
      Statistic: 'Maximum',
      Period: 300,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('the probe not reporting: a missing heartbeat is breaching', () => {
    expect(alarmOn(stack, METRIC_NAMES.probeHeartbeat)).toMatchObject({
      Namespace: METRIC_NAMESPACE,
      Dimensions: [SERVICE_DIMENSION],
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 2,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  it('follows PROBE_RATE: one period per probe run', () => {
    expect(alarmOn(configured, METRIC_NAMES.endpointsUnhealthy).Period).toBe(120);
    expect(alarmOn(configured, METRIC_NAMES.probeHeartbeat).Period).toBe(120);
  });

  it('clusters Blocked or Error for 15 minutes, from the per-phase reconcile metric', () => {
    for (const [of, period, periods] of [
      [stack, 300, 3],
      [configured, 600, 2],
    ] as const) {
      const alarm = alarmOn(of, METRIC_NAMES.clustersByPhase);
      const inputs = (alarm.Metrics as Array<{ Id: string; MetricStat?: { Metric: Props; Period: number } }>)
        .filter((m) => m.MetricStat)
        .map((m) => m.MetricStat);
      expect(inputs.map((m) => m?.Metric)).toEqual(
        ['Blocked', 'Error'].map((phase) => ({
          Namespace: METRIC_NAMESPACE,
          MetricName: METRIC_NAMES.clustersByPhase,
          Dimensions: [SERVICE_DIMENSION, { Name: 'Phase', Value: phase }],
        })),
      );
      expect(inputs.map((m) => m?.Period)).toEqual([period, period]);
      expect(alarm).toMatchObject({ EvaluationPeriods: periods, DatapointsToAlarm: periods, Threshold: 1 });
      expect(periods * period).toBeGreaterThanOrEqual(900);
    }
  });

  it('any function error, one alarm per function', () => {
    const watched = alarms(stack)
      .filter(([, alarm]) => alarm.Properties.Namespace === 'AWS/Lambda')
      .map(([, alarm]) => {
        expect(alarm.Properties).toMatchObject({ MetricName: 'Errors', Statistic: 'Sum', Threshold: 1 });
        return (alarm.Properties.Dimensions as Array<{ Value: { Ref: string } }>)[0]?.Value.Ref;
      });
    expect(watched.sort()).toEqual(
      ofType(stack, 'AWS::Lambda::Function')
        .map(([id]) => id)
        .sort(),
    );
    expect(watched).toHaveLength(FUNCTIONS.length);
  });

  it('messages in every dead-letter queue', () => {
    const queues = ofType(stack, 'AWS::SQS::Queue').map(([id]) => id);
    expect(queues.sort()).toEqual(['AsyncFailureQueue', 'EventsDeadLetterQueue']);
    const watched = alarms(stack)
      .filter(([, alarm]) => alarm.Properties.Namespace === 'AWS/SQS')
      .map(([, alarm]) => {
        expect(alarm.Properties).toMatchObject({
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        });
        return (alarm.Properties.Dimensions as Array<{ Value: { 'Fn::GetAtt': string[] } }>)[0]?.Value[
          'Fn::GetAtt'
        ];
      });
    expect(watched).toEqual(expect.arrayContaining(queues.map((queue) => [queue, 'QueueName'])));
  });

  it('notifies nobody by default: no topic, no actions', () => {
    expect(ofType(stack, 'AWS::SNS::Topic').map(([, topic]) => topic)).toEqual([
      expect.objectContaining({ Condition: 'HasAlarmEmail' }),
    ]);
    const conditions = (stack.template as unknown as { Conditions: Props }).Conditions;
    expect(conditions.HasAlarmEmail).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] });
    for (const [, alarm] of alarms(stack)) {
      expect(alarm.Properties.AlarmActions).toEqual([]);
      expect(alarm.Properties.OKActions).toEqual([]);
    }
  });

  it('notifies PRIVATELINK_ALARM_TOPIC_ARN and PRIVATELINK_ALARM_EMAIL (an e-mail subscription), alarm and recovery', () => {
    const conditions = (configured.template as unknown as { Conditions: Props }).Conditions;
    expect(conditions.HasAlarmEmail).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [EMAIL, ''] }] });
    const [subscription] = ofType(configured, 'AWS::SNS::Subscription');
    expect(subscription?.[1].Properties).toEqual({
      TopicArn: { Ref: 'AlarmEmailTopic' },
      Protocol: 'email',
      Endpoint: EMAIL,
    });
    expect(alarms(configured)).toHaveLength(alarms(stack).length);
    for (const [, alarm] of alarms(configured)) {
      expect(alarm.Properties.AlarmActions).toEqual([TOPIC_ARN, { Ref: 'AlarmEmailTopic' }]);
      expect(alarm.Properties.OKActions).toEqual([TOPIC_ARN, { Ref: 'AlarmEmailTopic' }]);
    }
  });
});

describe('the dashboard', () => {
  interface Widget {
    type: string;
    properties: { title: string; alarms?: string[]; metrics?: unknown[] };
  }

  function widgets(): Widget[] {
    const [dashboard] = ofType(stack, 'AWS::CloudWatch::Dashboard');
    const body = resolveIntrinsics(stack.template, dashboard?.[1].Properties.DashboardBody) as string;
    return (JSON.parse(body) as { widgets: Widget[] }).widgets;
  }

  const text = (widget: Widget | undefined) => JSON.stringify(widget?.properties.metrics ?? []);
  const titled = (pattern: RegExp) => widgets().find((widget) => pattern.test(widget.properties.title));

  it('is valid JSON once CloudFormation substitutes it, and shows every alarm', () => {
    const alarmWidget = widgets().find((widget) => widget.type === 'alarm');
    expect(alarmWidget?.properties.alarms).toHaveLength(alarms(stack).length);
    for (const arn of alarmWidget?.properties.alarms ?? []) expect(arn).toMatch(/^arn:aws:cloudwatch:/);
  });

  it('fleet health: endpoints probed and unhealthy, heartbeats, and health per cluster', () => {
    const fleet = text(titled(/^Fleet health/));
    expect(fleet).toContain(`"service","${SERVICE}"`);
    for (const metric of [
      METRIC_NAMES.endpointsProbed,
      METRIC_NAMES.endpointsUnhealthy,
      METRIC_NAMES.probeHeartbeat,
    ])
      expect(fleet).toContain(`"${metric}"`);
    expect(text(titled(/^Healthy by cluster/))).toContain(
      `MIN(${METRIC_NAMES.healthy}) FROM SCHEMA(${METRIC_NAMESPACE}, ClusterId, service) WHERE service = '${SERVICE}' GROUP BY ClusterId`,
    );
  });

  it.each([
    [/^DNS/, METRIC_NAMES.dnsMs],
    [/^TCP/, METRIC_NAMES.tcpConnectMs],
    [/^TiDB handshake/, METRIC_NAMES.handshakeMs],
  ])('latency per cluster, p50 and p99: %s', (title, metric) => {
    const metrics = text(titled(title));
    for (const stat of ['p50', 'p99']) {
      expect(metrics).toContain(
        `SEARCH('{${METRIC_NAMESPACE},ClusterId,service} service=\\"${SERVICE}\\" MetricName=\\"${metric}\\"', '${stat}', 300)`,
      );
    }
  });

  it('reconcile outcomes by phase, and TiDB Cloud API requests and 429s', () => {
    expect(text(titled(/^Reconcile/))).toContain(
      `{${METRIC_NAMESPACE},Phase,service} service=\\"${SERVICE}\\" MetricName=\\"${METRIC_NAMES.clustersByPhase}\\"`,
    );
    const api = text(titled(/^TiDB Cloud API/));
    expect(api).toContain(`"service","${SERVICE}"`);
    expect(api).toContain(`"${METRIC_NAMES.tidbApiRequests}"`);
    expect(api).toContain(`"${METRIC_NAMES.tidbApiRateLimited}"`);
  });
});

describe('asynchronous invocations and rules', () => {
  it('provision and troubleshoot retry twice within an hour, then land in the failure queue', () => {
    const configs = ofType(stack, 'AWS::Lambda::EventInvokeConfig')
      .map(([, config]) => config.Properties)
      .filter((config) => /^(Provision|Troubleshoot)/.test((config.FunctionName as { Ref: string }).Ref));
    expect(configs).toHaveLength(2);
    for (const config of configs) {
      expect(config).toMatchObject({
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 3600,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['AsyncFailureQueue', 'Arn'] } } },
      });
    }
  });

  it('scheduled ticks are never retried and expire after one period (the next tick does the same work)', () => {
    const invokeConfigs = (packaged: PackagedStack) =>
      Object.fromEntries(
        ofType(packaged, 'AWS::Lambda::EventInvokeConfig').map(([, config]) => [
          (config.Properties.FunctionName as { Ref: string }).Ref,
          config.Properties,
        ]),
      );
    const defaults = invokeConfigs(stack);
    expect(Object.keys(defaults).sort()).toEqual([
      'ProbeLambdaFunction',
      'ProvisionLambdaFunction',
      'ReconcileLambdaFunction',
      'TroubleshootLambdaFunction',
    ]);
    for (const name of ['ReconcileLambdaFunction', 'ProbeLambdaFunction']) {
      expect(defaults[name], name).toEqual({
        FunctionName: { Ref: name },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 0,
        MaximumEventAgeInSeconds: 300,
        // No failure destination: a dropped tick is not worth keeping.
        DestinationConfig: {},
      });
    }
    // RECONCILE_RATE=rate(10 minutes), PROBE_RATE=rate(2 minutes): each follows its own schedule.
    const configuredInvoke = invokeConfigs(configured);
    expect(configuredInvoke.ReconcileLambdaFunction).toMatchObject({ MaximumEventAgeInSeconds: 600 });
    expect(configuredInvoke.ProbeLambdaFunction).toMatchObject({ MaximumEventAgeInSeconds: 120 });
  });

  it('every event rule targeting a function has a retry policy and the dead-letter queue', () => {
    const patternRules = ofType(stack, 'AWS::Events::Rule').filter(
      ([, rule]) => rule.Properties.EventPattern,
    );
    expect(patternRules).toHaveLength(3);
    for (const [, rule] of patternRules) {
      for (const target of rule.Properties.Targets as Props[]) {
        expect(target).toMatchObject({
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['EventsDeadLetterQueue', 'Arn'] } },
        });
      }
    }
  });

  it('keeps failed events 14 days, encrypted', () => {
    for (const [, queue] of ofType(stack, 'AWS::SQS::Queue')) {
      expect(queue.Properties).toEqual({ MessageRetentionPeriod: 1_209_600, SqsManagedSseEnabled: true });
    }
  });

  it('the troubleshoot rule admits the app and the sources PRIVATELINK_TROUBLESHOOT_SOURCES lists, nothing else', () => {
    const pattern = (of: PackagedStack) =>
      ofType(of, 'AWS::Events::Rule')
        .map(([, rule]) => rule.Properties.EventPattern as Props | undefined)
        .find((p) => p !== undefined && JSON.stringify(p).includes('Troubleshoot'));
    expect(pattern(stack)?.source).toEqual(['tidb-privatelink']);
    expect(pattern(configured)?.source).toEqual(['tidb-privatelink', 'my-platform.oncall', 'ops.runbook']);
  });
});
