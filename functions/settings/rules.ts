/**
 * The shapes a setting's value may take, each a function from the (trimmed, non-empty) value to its problems,
 * one sentence each (no final stop: messages are joined into one). The catalogue picks one per setting; nothing here knows which setting it serves beyond
 * the name it is given for the message.
 */

export type Rule = (name: string, value: string) => string[];

/** `a, b,,c` → `['a','b','c']`. */
export function listOf(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** A Secrets Manager secret ARN, any partition; the name part may be anything Secrets Manager allows. */
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z]{2}(-[a-z]+)+-\d{1,2}:\d{12}:secret:[\w/+=.@-]+$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const RATE = /^rate\(\s*(\d+)\s+(minute|minutes|hour|hours)\s*\)$/;
/** The slowest schedule the alarms can follow: two periods (heartbeat, unhealthy) must fit in a day. */
const MAX_PERIOD_SECONDS = 12 * 3600;
const EVENT_SOURCE = /^[\w.\-/:]{1,256}$/;
const SNS_TOPIC_ARN = /^arn:aws[\w-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/;
const EMAIL = /^[^@\s,]+@[^@\s,]+\.[^@\s,]+$/;

/** An AWS resource id with this prefix (`vpc`, `subnet`, `sg`): the one id pattern of every setting. */
export const isId = (prefix: string, id: unknown): boolean =>
  typeof id === 'string' && new RegExp(`^${prefix}-[0-9a-f]+$`).test(id);

/** A comma-separated id list: each must have the prefix, none may repeat (a copy-paste slip). */
export const idList =
  (prefix: string, what: string): Rule =>
  (name, value) => {
    const ids = listOf(value);
    const problems = ids
      .filter((id) => !isId(prefix, id))
      .map((id) =>
        /\s/.test(id)
          ? `${name} must separate ids with commas, not spaces ("${id}")`
          : `"${id}" in ${name} is not a ${what} id (${prefix}-…)`,
      );
    const repeated = ids.filter((id, index) => ids.indexOf(id) !== index);
    if (repeated.length > 0)
      problems.push(`${name} lists ${[...new Set(repeated)].join(', ')} more than once`);
    return problems;
  };

export const vpcId: Rule = (name, value) =>
  isId('vpc', value) ? [] : [`${name} "${value}" is not a VPC id (vpc-…)`];

export const secretArn: Rule = (name, value) =>
  SECRET_ARN.test(value)
    ? []
    : [
        `${name} is not a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)`,
      ];

export const region: Rule = (name, value) =>
  REGION.test(value) ? [] : [`${name} "${value}" is not an AWS region (e.g. us-east-1)`];

/** A whole number in [min, max]; `unit` and `hint` complete the sentence. */
export const wholeNumber =
  (min: number, max: number, unit = '', hint = ''): Rule =>
  (name, value) =>
    /^\d{1,16}$/.test(value) && Number(value) >= min && Number(value) <= max
      ? []
      : [`${name} "${value}" is not a whole number ${unit}from ${min} to ${max}${hint}`];

export const digits: Rule = (name, value) =>
  /^\d{1,24}$/.test(value) ? [] : [`${name} "${value}" is not numeric`];

export const httpUrl: Rule = (name, value) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return [`${name} "${value}" is not a URL`];
  }
  // Not echoed: whatever is in it would be printed, and it is in every message naming the API.
  if (url.username || url.password)
    return [`${name} may not carry credentials (user:password@); the key pair has its own variables`];
  return url.protocol === 'https:' || url.protocol === 'http:'
    ? []
    : [`${name} "${value}" is not an http(s) URL`];
};

/** An EventBridge source of this app's events: `aws.*` is reserved by AWS. */
export const ownEventSource: Rule = (name, value) =>
  value.startsWith('aws.') ? [`${name} "${value}" may not start with "aws." (reserved by AWS)`] : [];

/** `PRIVATELINK_CLUSTERS` entries: cluster ids or display-name globs, no spaces (functions/core/selection.ts). */
export const clusterSelection: Rule = (name, value) => {
  const bad = listOf(value).filter((item) => item.length > 255 || /\s/.test(item));
  return bad.length > 0
    ? [
        `${name} entries are cluster ids or display-name globs without spaces; got ${bad
          .map((item) => JSON.stringify(item))
          .join(', ')}`,
      ]
    : [];
};

/** Seconds of a `rate(N minutes|hours)` schedule, or 0 when it has no fixed period the alarms can follow. */
export function periodSecondsOf(schedule: string): number {
  const match = RATE.exec(schedule.trim());
  const seconds = match ? Number(match[1]) * (match[2]?.startsWith('hour') ? 3600 : 60) : 0;
  return seconds >= 60 && seconds <= MAX_PERIOD_SECONDS ? seconds : 0;
}

/** A schedule the alarms can follow: a cron schedule has no fixed period, and a guessed one would lie. */
export const alarmableRate: Rule = (name, value) =>
  periodSecondsOf(value)
    ? []
    : [
        `${name} is "${value}": the alarms follow its period, so it must be rate(N minutes) or rate(N hours), from 1 minute to 12 hours`,
      ];

/** Event sources allowed on the bus; `aws.*` sources are AWS's own and PutEvents refuses them. */
export const eventSources: Rule = (name, value) => {
  const bad = listOf(value).filter((source) => source.startsWith('aws.') || !EVENT_SOURCE.test(source));
  return bad.length > 0
    ? [
        `${name} lists ${bad.map((s) => `"${s}"`).join(', ')}: a source is up to 256 letters, digits and . - _ / :, never starting with "aws."`,
      ]
    : [];
};

export const snsTopicArn: Rule = (name, value) =>
  SNS_TOPIC_ARN.test(value)
    ? []
    : [`${name} is "${value}", not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)`];

export const email: Rule = (name, value) =>
  EMAIL.test(value) ? [] : [`${name} is "${value}", not one e-mail address`];
