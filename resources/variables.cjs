/**
 * Values serverless.yml cannot compute with its own variables: lists built from comma-separated settings and
 * the alarms' periods. Each export is resolved by the framework as `${file(./resources/variables.cjs):name}`
 * and reads the stack's settings through `resolveVariable` (`self:custom.…`, which settings.cjs resolved and
 * checked: bad values have failed the package before these run). Parsing is the settings module's.
 */
'use strict';

const { settingsModule } = require('./settings-module.cjs');
const { interfaceResources } = require('./vpcs.cjs');

/** The period the alarms assume when a schedule has none (never reached: settings.cjs refuses such a one). */
const FALLBACK_PERIOD_SECONDS = 300;

async function settingsOf(resolveVariable) {
  const { listOf } = settingsModule();
  return {
    probeRate: String(await resolveVariable('self:custom.probeRate')),
    reconcileRate: String(await resolveVariable('self:custom.reconcileRate')),
    troubleshootSources: listOf(String(await resolveVariable('self:custom.troubleshootSources'))),
    alarmTopicArn: String(await resolveVariable('self:custom.alarmTopicArn')).trim(),
    alarmEmail: String(await resolveVariable('self:custom.alarmEmail')).trim(),
  };
}

const periodOf = (schedule) => settingsModule().periodSecondsOf(schedule) || FALLBACK_PERIOD_SECONDS;

/** The data plane's network interfaces: only in its own subnets, with its own security group. */
module.exports.dataPlaneInterfaceResources = async ({ resolveVariable }) =>
  interfaceResources(
    'ProbeSecurityGroup',
    settingsModule().listOf(String(await resolveVariable('self:custom.probeSubnetIds'))),
  );

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

module.exports.probePeriodSeconds = async ({ resolveVariable }) =>
  periodOf((await settingsOf(resolveVariable)).probeRate);

module.exports.reconcilePeriodSeconds = async ({ resolveVariable }) =>
  periodOf((await settingsOf(resolveVariable)).reconcileRate);

/**
 * How long Lambda keeps a scheduled tick it could not run (throttled) or that failed: one period, since the
 * next tick does the same work, and never more than Lambda's maximum of six hours.
 */
const MAX_EVENT_AGE_SECONDS = 6 * 3600;
const tickMaxEventAge = (rate) => Math.min(periodOf(rate), MAX_EVENT_AGE_SECONDS);

module.exports.reconcileMaxEventAgeSeconds = async ({ resolveVariable }) =>
  tickMaxEventAge((await settingsOf(resolveVariable)).reconcileRate);

module.exports.probeMaxEventAgeSeconds = async ({ resolveVariable }) =>
  tickMaxEventAge((await settingsOf(resolveVariable)).probeRate);

/** "Blocked or Error for 15 minutes": that many consecutive reconcile periods (at least one). */
module.exports.blockedEvaluationPeriods = async ({ resolveVariable }) =>
  Math.max(1, Math.ceil(900 / periodOf((await settingsOf(resolveVariable)).reconcileRate)));
