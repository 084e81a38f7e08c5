/**
 * Values serverless.yml cannot compute with its own variables: lists built from comma-separated settings and
 * the alarms' periods. Each export is resolved by the framework as `${file(./resources/variables.cjs):name}`
 * and reads the stack's settings through `resolveVariable`, so the defaults stay in serverless.yml.
 * `checkSettings` (resolved once, from `custom`) refuses bad values in one message; the other exports then
 * never see them.
 */
'use strict';

const { interfaceResources } = require('./vpcs.cjs');

/** The slowest schedule the alarms can follow: two periods (heartbeat, unhealthy) must fit in a day. */
const MAX_PERIOD_SECONDS = 12 * 3600;
const RATE = /^rate\(\s*(\d+)\s+(minute|minutes|hour|hours)\s*\)$/;
const EVENT_SOURCE = /^[\w.\-/:]{1,256}$/;
const SNS_TOPIC_ARN = /^arn:aws[\w-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/;
const EMAIL = /^[^@\s,]+@[^@\s,]+\.[^@\s,]+$/;

/** `a, b,,c` → `['a','b','c']`. */
function listOf(value) {
  return String(value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** Seconds of a `rate(N minutes|hours)` schedule, or 0 when it has no fixed period the alarms can follow. */
function periodSecondsOf(schedule) {
  const match = RATE.exec(String(schedule).trim());
  const seconds = match ? Number(match[1]) * (match[2].startsWith('hour') ? 3600 : 60) : 0;
  return seconds >= 60 && seconds <= MAX_PERIOD_SECONDS ? seconds : 0;
}

async function settingsOf(resolveVariable) {
  return {
    probeRate: String(await resolveVariable('self:custom.probeRate')),
    reconcileRate: String(await resolveVariable('self:custom.reconcileRate')),
    troubleshootSources: listOf(await resolveVariable('self:custom.troubleshootSources')),
    alarmTopicArn: String(await resolveVariable('self:custom.alarmTopicArn')).trim(),
    alarmEmail: String(await resolveVariable('self:custom.alarmEmail')).trim(),
  };
}

/** Every problem with the operations settings, one sentence each. */
function problemsOf(settings) {
  const problems = [];
  for (const [name, rate] of [
    ['PROBE_RATE', settings.probeRate],
    ['RECONCILE_RATE', settings.reconcileRate],
  ]) {
    // A cron schedule has no fixed period: a guessed one would make the heartbeat alarm lie.
    if (!periodSecondsOf(rate)) {
      problems.push(
        `${name} is "${rate}": the alarms follow its period, so it must be rate(N minutes) or rate(N hours), from 1 minute to 12 hours.`,
      );
    }
  }
  // `aws.*` sources are AWS's own; PutEvents refuses them, so listing one is a mistake.
  const badSources = settings.troubleshootSources.filter(
    (s) => s.startsWith('aws.') || !EVENT_SOURCE.test(s),
  );
  if (badSources.length > 0) {
    problems.push(
      `PRIVATELINK_TROUBLESHOOT_SOURCES lists ${badSources.map((s) => `"${s}"`).join(', ')}: a source is up to 256 letters, digits and . - _ / :, never starting with "aws.".`,
    );
  }
  if (settings.alarmTopicArn && !SNS_TOPIC_ARN.test(settings.alarmTopicArn)) {
    problems.push(
      `PRIVATELINK_ALARM_TOPIC_ARN is "${settings.alarmTopicArn}", not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>).`,
    );
  }
  if (settings.alarmEmail && !EMAIL.test(settings.alarmEmail)) {
    problems.push(`PRIVATELINK_ALARM_EMAIL is "${settings.alarmEmail}", not one e-mail address.`);
  }
  return problems;
}

/** Refuses bad operations settings at package time, all of them in one message. */
module.exports.checkSettings = async ({ resolveVariable }) => {
  const problems = problemsOf(await settingsOf(resolveVariable));
  if (problems.length === 0) return 'ok';
  const error = new Error(problems.join(' '));
  // The framework prints a rejection's stack; the sentences are all a user needs.
  error.stack = error.message;
  throw error;
};

/** The data plane's network interfaces: only in its own subnets, with its own security group. */
module.exports.dataPlaneInterfaceResources = async ({ resolveVariable }) =>
  interfaceResources('ProbeSecurityGroup', listOf(await resolveVariable('self:custom.probeSubnetIds')));

/** Who may request a troubleshoot run on the bus: the app itself plus PRIVATELINK_TROUBLESHOOT_SOURCES. */
module.exports.troubleshootSources = async ({ resolveVariable }) => [
  ...new Set([
    await resolveVariable('self:custom.eventSource'),
    ...(await settingsOf(resolveVariable)).troubleshootSources,
  ]),
];

/** Where alarms notify: the topic PRIVATELINK_ALARM_TOPIC_ARN names and/or the stack's e-mail topic. */
module.exports.alarmActions = async ({ resolveVariable }) => {
  const { alarmTopicArn, alarmEmail } = await settingsOf(resolveVariable);
  return [...(alarmTopicArn ? [alarmTopicArn] : []), ...(alarmEmail ? [{ Ref: 'AlarmEmailTopic' }] : [])];
};

// Invalid schedules never get here (checkSettings fails the package); 300 keeps the resolution total.
module.exports.probePeriodSeconds = async ({ resolveVariable }) =>
  periodSecondsOf((await settingsOf(resolveVariable)).probeRate) || 300;

module.exports.reconcilePeriodSeconds = async ({ resolveVariable }) =>
  periodSecondsOf((await settingsOf(resolveVariable)).reconcileRate) || 300;

/**
 * How long Lambda keeps a scheduled tick it could not run (throttled) or that failed: one period, since the
 * next tick does the same work, and never more than Lambda's maximum of six hours.
 */
const MAX_EVENT_AGE_SECONDS = 6 * 3600;
const tickMaxEventAge = (rate) => Math.min(periodSecondsOf(rate) || 300, MAX_EVENT_AGE_SECONDS);

module.exports.reconcileMaxEventAgeSeconds = async ({ resolveVariable }) =>
  tickMaxEventAge((await settingsOf(resolveVariable)).reconcileRate);

module.exports.probeMaxEventAgeSeconds = async ({ resolveVariable }) =>
  tickMaxEventAge((await settingsOf(resolveVariable)).probeRate);

/** "Blocked or Error for 15 minutes": that many consecutive reconcile periods (at least one). */
module.exports.blockedEvaluationPeriods = async ({ resolveVariable }) =>
  Math.max(1, Math.ceil(900 / (periodSecondsOf((await settingsOf(resolveVariable)).reconcileRate) || 300)));
