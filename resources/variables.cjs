/**
 * Values serverless.yml cannot compute with its own variables: lists built from comma-separated settings and
 * schedule periods for the alarms. Each export is resolved by the framework as `${file(./resources/variables.cjs):name}`
 * and reads the stack's settings through `resolveVariable`, so the defaults stay in serverless.yml.
 */
'use strict';

// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders, not JavaScript.
const EC2_ARN = 'arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}';

/** `a, b,,c` → `['a','b','c']`. */
function listOf(value) {
  return String(value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** Seconds of a `rate(N unit)` schedule; a cron schedule has no fixed period, so alarms assume five minutes. */
function periodSecondsOf(schedule) {
  const match = /^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$/.exec(String(schedule).trim());
  if (!match) return 300;
  const unit = { minute: 60, hour: 3600, day: 86400 }[match[2].replace(/s$/, '')];
  // CloudWatch alarm periods are 10, 30 or a multiple of 60 seconds, at most a day.
  return Math.min(Number(match[1]) * unit, 86400);
}

/** The data plane's network interfaces: only in its own subnets, with its own security group. */
module.exports.dataPlaneInterfaceResources = async ({ resolveVariable }) => [
  { 'Fn::Sub': `${EC2_ARN}:network-interface/*` },
  { 'Fn::Sub': `${EC2_ARN}:security-group/\${ProbeSecurityGroup}` },
  ...listOf(await resolveVariable('self:custom.probeSubnetIds')).map((subnetId) => ({
    'Fn::Sub': `${EC2_ARN}:subnet/${subnetId}`,
  })),
];

/** Who may request a troubleshoot run on the bus: the app itself plus PRIVATELINK_TROUBLESHOOT_SOURCES. */
module.exports.troubleshootSources = async ({ resolveVariable }) => [
  ...new Set([
    await resolveVariable('self:custom.eventSource'),
    ...listOf(await resolveVariable('self:custom.troubleshootSources')),
  ]),
];

/** Where alarms notify: the topic PRIVATELINK_ALARM_TOPIC_ARN names and/or the stack's e-mail topic. */
module.exports.alarmActions = async ({ resolveVariable }) => {
  const topicArn = String(await resolveVariable('self:custom.alarmTopicArn')).trim();
  const email = String(await resolveVariable('self:custom.alarmEmail')).trim();
  return [...(topicArn ? [topicArn] : []), ...(email ? [{ Ref: 'AlarmEmailTopic' }] : [])];
};

module.exports.probePeriodSeconds = async ({ resolveVariable }) =>
  periodSecondsOf(await resolveVariable('self:custom.probeRate'));

module.exports.reconcilePeriodSeconds = async ({ resolveVariable }) =>
  periodSecondsOf(await resolveVariable('self:custom.reconcileRate'));

/** "Blocked or Error for 15 minutes": that many consecutive reconcile periods (at least one). */
module.exports.blockedEvaluationPeriods = async ({ resolveVariable }) =>
  Math.max(1, Math.ceil(900 / periodSecondsOf(await resolveVariable('self:custom.reconcileRate'))));
