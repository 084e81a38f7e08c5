/**
 * Every setting of tidb-privatelink, in one table: its name (a public contract), what it means, its form, its
 * default, the check of its value, and who reads it: the CLI, the deployed functions at cold start (through
 * the environment the template gives them), and `serverless package` (the deployer's environment). check.ts
 * checks it, the CLI's help and docs/configuration.md are generated from it, and the package-time resolver
 * (settings.cjs) bundles this folder, so the three readers cannot drift apart.
 */
import { dataPlaneSites } from './data-planes.ts';
import {
  alarmableRate,
  clusterSelection,
  digits,
  email,
  eventSources,
  httpUrl,
  idList,
  ownEventSource,
  type Rule,
  region,
  secretArn,
  snsTopicArn,
  vpcId,
  wholeNumber,
} from './rules.ts';

/** The deployed functions that read settings at cold start (the data plane reads none). */
export type FunctionName = 'reconcile' | 'provision' | 'probe' | 'troubleshoot';

/**
 * Who gives the deployed stack its value: the person deploying (`deployer`: read from their environment by
 * `serverless package`, checked then, defaults applied) or the template itself (`template`: a resource's name
 * or id). Absent: the setting is not part of a deployment.
 */
export type DeploySource = 'deployer' | 'template';

export interface Setting {
  readonly name: string;
  /** One line, Markdown: what it is for. */
  readonly meaning: string;
  /** The value's form, for messages and the docs (`vpc-…`). */
  readonly form?: string;
  /** Used when unset (or set to only spaces), everywhere. */
  readonly default?: string;
  /** Used when unset at package time only (the deployed functions get the resolved value). */
  readonly deployDefault?: string;
  /** When a default is not a literal: the sentence the docs show. */
  readonly defaultNote?: string;
  /** When it must be set, for the docs (requiredness itself is checked by check.ts's needs). */
  readonly required?: string;
  readonly cli: boolean;
  readonly functions: readonly FunctionName[];
  readonly deploy?: DeploySource;
  /** Never echoed, never given a default, never in the deployed stack's plain environment. */
  readonly secret?: boolean;
  /** The check of a set value; none when any text will do. */
  readonly rule?: Rule;
}

const ALL: readonly FunctionName[] = ['reconcile', 'provision', 'probe', 'troubleshoot'];
const PROBING: readonly FunctionName[] = ['probe', 'troubleshoot'];
const STATEFUL: readonly FunctionName[] = ['reconcile', 'provision', 'probe', 'troubleshoot'];

/** The stack tag's value when `PRIVATELINK_STACK_NAME` is not set (docs/contracts.md "Tags"). */
export const DEFAULT_STACK_NAME = 'tidb-privatelink';
export const DEFAULT_API_URL = 'https://dedicated.tidbapi.com/v1beta1';
/** Under the API's 100 requests/minute per key, leaving room for a person's curl with the same key. */
export const DEFAULT_REQUESTS_PER_MINUTE = 95;
/** Far above any quota PingCAP grants; beyond it a typo would switch the client's pacing off. */
const MAX_REQUESTS_PER_MINUTE = 1_000_000;
/** A year: a longer grace period is a typo, not a policy. */
const MAX_ORPHAN_GRACE_H = 8760;
/** TiDB's check takes about 5 minutes; a week is far beyond any wait worth keeping a cluster in. */
const MAX_PENDING_MIN = 10_080;

/** In the order check.ts reports problems and the docs list them. */
export const SETTINGS: readonly Setting[] = [
  {
    name: 'TIDB_CLOUD_PUBLIC_KEY',
    meaning:
      'public half of the TiDB Cloud API key pair (CLI and local runs only; never in a deployed stack)',
    required: 'CLI, with `TIDB_CLOUD_PRIVATE_KEY`',
    cli: true,
    functions: [],
    secret: true,
  },
  {
    name: 'TIDB_CLOUD_PRIVATE_KEY',
    meaning: 'private half of that key pair; never logged',
    required: 'CLI, with `TIDB_CLOUD_PUBLIC_KEY`',
    cli: true,
    functions: [],
    secret: true,
  },
  {
    name: 'TIDB_CLOUD_API_KEY_SECRET_ARN',
    meaning:
      'ARN of the Secrets Manager secret `{"publicKey","privateKey"}` the deployed functions read the key pair from (`preflight` checks it)',
    form: 'arn:aws:secretsmanager:<region>:<account>:secret:<name>',
    required: 'deploy',
    cli: true,
    functions: ALL,
    deploy: 'deployer',
    rule: secretArn,
  },
  {
    name: 'TIDB_CLOUD_API_URL',
    meaning: 'the TiDB Cloud API; tests and the demo point it at a local simulator',
    form: 'http(s) URL',
    default: DEFAULT_API_URL,
    cli: true,
    functions: [],
    rule: httpUrl,
  },
  {
    name: 'TIDB_CLOUD_PROJECT_ID',
    meaning: "only this project's clusters (without it the API lists the key's default project)",
    form: 'digits',
    cli: true,
    functions: ALL,
    deploy: 'deployer',
    rule: digits,
  },
  {
    name: 'AWS_REGION',
    meaning:
      "the AWS SDK's own: the region of the VPC and the clusters (`AWS_DEFAULT_REGION` also works in the CLI; Lambda sets it itself)",
    form: 'e.g. us-east-1',
    deployDefault: 'us-east-1',
    required: 'CLI',
    cli: true,
    functions: ALL,
    deploy: 'deployer',
    rule: region,
  },
  {
    name: 'AWS_ENDPOINT_URL',
    meaning: "the AWS SDK's own: points every client at a local sandbox (moto, LocalStack)",
    form: 'URL',
    cli: true,
    functions: [],
  },
  {
    name: 'AWS_LAMBDA_FUNCTION_NAME',
    meaning:
      "Lambda's own: the function's name, the session name when it assumes a spoke's role (the CLI's is `tidb-privatelink-cli`)",
    cli: false,
    functions: ALL,
  },
  {
    name: 'PRIVATELINK_VPC_ID',
    meaning: 'the VPC the endpoints go in (the short form of one `PRIVATELINK_VPCS` entry)',
    form: 'vpc-…',
    required: 'deploy, `provision`, `reconcile`, `doctor`, `preflight` (unless `PRIVATELINK_VPCS`)',
    cli: true,
    functions: ALL,
    deploy: 'deployer',
    rule: vpcId,
  },
  {
    name: 'PRIVATELINK_SUBNET_IDS',
    meaning: "the endpoints' subnets, in that VPC",
    form: 'subnet-…,subnet-…',
    required: 'with `PRIVATELINK_VPC_ID`',
    cli: true,
    functions: ALL,
    deploy: 'deployer',
    rule: idList('subnet', 'subnet'),
  },
  {
    name: 'PRIVATELINK_SECURITY_GROUP_IDS',
    meaning: "the endpoints' security groups (default: the VPC's default group)",
    form: 'sg-…,sg-…',
    cli: true,
    functions: ALL,
    deploy: 'deployer',
    rule: idList('sg', 'security group'),
  },
  {
    name: 'PRIVATELINK_VPCS',
    meaning:
      "several VPCs in one stack, a data plane each; replaces the three single-VPC variables and `PRIVATELINK_PROBE_SUBNET_IDS`. `roleArn` (an IAM role of another account) makes the entry a spoke: the stack assumes that role (with `externalId` when given) for every AWS call about that VPC, and probes through `dataPlaneFunctionArn` (default: the spoke template's `<service>-<stage>-dataPlane-<vpcId>` in that account). At least one entry must be of the stack's own account",
    form: '[{"vpcId","subnetIds":[…],"securityGroupIds":[…],"roleArn"?,"externalId"?,"dataPlaneFunctionArn"?}]',
    cli: true,
    functions: ALL,
    deploy: 'deployer',
  },
  {
    name: 'TIDB_CLOUD_REQUESTS_PER_MINUTE',
    meaning:
      "the key's quota (the API allows 100): with the state table, every function draws on one budget, kept in every sliding 60 s; without it (the CLI), the pace of this one process. Raise it only if PingCAP raised the key's quota",
    form: `1 to ${MAX_REQUESTS_PER_MINUTE}`,
    default: String(DEFAULT_REQUESTS_PER_MINUTE),
    cli: true,
    functions: ALL,
    deploy: 'deployer',
    rule: wholeNumber(1, MAX_REQUESTS_PER_MINUTE),
  },
  {
    name: 'PRIVATELINK_EVENT_BUS',
    meaning: "EventBridge bus for the app's events (another name than `default`: a bus the stack creates)",
    default: 'default',
    cli: true,
    functions: ALL,
    deploy: 'deployer',
  },
  {
    name: 'PRIVATELINK_EVENT_SOURCE',
    meaning: "the `source` of the CLI's events on the bus",
    default: 'tidb-privatelink',
    cli: true,
    functions: [],
    rule: ownEventSource,
  },
  {
    name: 'PRIVATELINK_STACK_NAME',
    meaning:
      "the `tidb-privatelink:stack` tag of new endpoints (deployed and CLI alike); a second stack or stage sharing a VPC must set its own name, and a CLI run meant to act on that stack's endpoints sets the same one",
    default: DEFAULT_STACK_NAME,
    cli: true,
    functions: ALL,
    deploy: 'deployer',
  },
  {
    name: 'PRIVATELINK_CLUSTERS',
    meaning:
      'cluster ids and display-name globs (`prod-*,1379661944646413143`): only these clusters are provisioned, the others are never touched; `status` still lists every cluster, with a `selected` column. All when unset',
    form: 'comma-separated, no spaces',
    cli: true,
    functions: [],
    rule: clusterSelection,
  },
  {
    name: 'PRIVATELINK_PENDING_TIMEOUT_MIN',
    meaning:
      "a connection TiDB keeps `PENDING` longer than this (from the endpoint's creation) is Blocked `PENDING_TOO_LONG`",
    form: `minutes, 1 to ${MAX_PENDING_MIN}`,
    default: '30',
    cli: true,
    functions: ALL,
    deploy: 'deployer',
    rule: wholeNumber(1, MAX_PENDING_MIN, 'of minutes '),
  },
  {
    name: 'PRIVATELINK_DELETE_ORPHANS_AFTER_H',
    meaning:
      'delete an orphaned endpoint (and its TiDB connection) this long after it was first seen orphaned (its cluster or node group gone); unset: only mark and report',
    form: `hours, 1 to ${MAX_ORPHAN_GRACE_H}`,
    cli: true,
    functions: ['reconcile'],
    deploy: 'deployer',
    rule: wholeNumber(1, MAX_ORPHAN_GRACE_H, 'of hours ', ' (unset it to never delete)'),
  },
  {
    name: 'PRIVATELINK_STATE_TABLE',
    meaning:
      "the stack's DynamoDB table (cluster registry, idempotency, the shared request budget); the CLI uses it when given one (shared quota, recorded services for `status`) and works without it",
    cli: true,
    functions: STATEFUL,
    deploy: 'template',
  },
  {
    name: 'PRIVATELINK_PROBE_SUBNET_IDS',
    meaning: 'where the in-VPC data-plane function runs',
    form: 'subnet-…,subnet-…',
    defaultNote: 'the endpoint subnets',
    cli: true,
    functions: PROBING,
    deploy: 'deployer',
    rule: idList('subnet', 'subnet'),
  },
  {
    name: 'PRIVATELINK_PROBE_SECURITY_GROUP_IDS',
    meaning:
      "the data plane's own security group: the traffic source the security-group and NACL checks evaluate",
    form: 'sg-…',
    cli: true,
    functions: PROBING,
    deploy: 'template',
    rule: idList('sg', 'security group'),
  },
  {
    name: 'PRIVATELINK_DATA_PLANE_FUNCTION',
    meaning: 'the data-plane function probe and troubleshoot invoke',
    required: 'probe and troubleshoot functions',
    cli: true,
    functions: PROBING,
    deploy: 'template',
  },
  {
    name: 'PRIVATELINK_DATA_PLANES',
    meaning: 'with `PRIVATELINK_VPCS`: which data plane runs in which VPC',
    form: '[{"vpcId","functionName","securityGroupIds","subnetIds"}]',
    cli: true,
    functions: PROBING,
    deploy: 'template',
    rule: dataPlaneSites,
  },
  {
    name: 'TIDB_SQL_SECRET_ARN',
    meaning:
      'Secrets Manager secret `{"user","password","ca"?}`: the probe also logs in over TLS and times `SELECT 1` (`ca`: a PEM bundle for the server certificate)',
    form: 'arn:aws:secretsmanager:<region>:<account>:secret:<name>',
    cli: true,
    functions: PROBING,
    deploy: 'deployer',
    rule: secretArn,
  },
  {
    name: 'PRIVATELINK_DNS_SERVER',
    meaning: "a resolver to test instead of the VPC's own (e.g. a Route 53 Resolver inbound endpoint)",
    form: 'ip[:port]',
    cli: true,
    functions: PROBING,
    deploy: 'deployer',
  },
  {
    name: 'TIDB_USER',
    meaning: '`doctor`: a TiDB user for a TLS login and `SELECT 1` timing',
    cli: true,
    functions: [],
  },
  {
    name: 'TIDB_PASSWORD',
    meaning: "`doctor`: that user's password; never logged",
    cli: true,
    functions: [],
    secret: true,
  },
  {
    name: 'TIDB_CA_FILE',
    meaning: "`doctor`: a CA bundle for the TLS login (default: Node's)",
    cli: true,
    functions: [],
  },
  {
    name: 'TIDB_PRIVATELINK_DEBUG',
    meaning: 'any value: an unexpected error prints its stack trace',
    cli: true,
    functions: [],
  },
  {
    name: 'RECONCILE_RATE',
    meaning:
      "the reconcile's schedule; the alarms follow its period, so a cron expression is refused at package time",
    form: 'rate(N minutes) or rate(N hours), 1 minute to 12 hours',
    default: 'rate(5 minutes)',
    cli: false,
    functions: [],
    deploy: 'deployer',
    rule: alarmableRate,
  },
  {
    name: 'PROBE_RATE',
    meaning:
      "the probe's schedule; the alarms follow its period, so a cron expression is refused at package time",
    form: 'rate(N minutes) or rate(N hours), 1 minute to 12 hours',
    default: 'rate(5 minutes)',
    cli: false,
    functions: [],
    deploy: 'deployer',
    rule: alarmableRate,
  },
  {
    name: 'PRIVATELINK_TROUBLESHOOT_SOURCES',
    meaning:
      "event sources that may send `PrivateLink Troubleshoot Requested`, besides the app's own (`tidb-privatelink`); any other source is ignored",
    form: 'comma-separated, never aws.…',
    cli: false,
    functions: [],
    deploy: 'deployer',
    rule: eventSources,
  },
  {
    name: 'PRIVATELINK_ALARM_TOPIC_ARN',
    meaning: 'your own SNS topic the alarms notify (alarm and recovery)',
    form: 'arn:aws:sns:<region>:<account>:<name>',
    cli: false,
    functions: [],
    deploy: 'deployer',
    rule: snsTopicArn,
  },
  {
    name: 'PRIVATELINK_ALARM_EMAIL',
    meaning: 'an e-mail address the alarms notify (through a topic the stack creates)',
    form: 'one address',
    cli: false,
    functions: [],
    deploy: 'deployer',
    rule: email,
  },
];

/** The catalogue entry of a name; throws on a name it does not know (a typo in code, not in input). */
export function settingOf(name: string): Setting {
  const setting = SETTINGS.find((item) => item.name === name);
  if (!setting) throw new Error(`no setting ${name} in the catalogue`);
  return setting;
}
