import { readVpcs, VPCS_VARIABLE, type VpcTarget } from './config-vpcs.ts';
import { ConfigError, UsageError } from './core/errors.ts';
import { ALL_CLUSTERS, type ClusterSelection, parseSelection } from './core/selection.ts';

/** Typed configuration, read once at cold start (or CLI start). Names are a public contract (DESIGN.md). */
export interface Config {
  tidbCloud: {
    apiUrl: string;
    /** Present in the CLI (env); in Lambda the pair comes from Secrets Manager via `apiKeySecretArn`. */
    publicKey?: string;
    privateKey?: string;
    apiKeySecretArn?: string;
    projectId?: string;
    /** Client-side pace for this key; raise it only if PingCAP raised the key's quota above 100/min. */
    requestsPerMinute: number;
  };
  aws: { region: string; endpointUrl?: string };
  privateLink: {
    /** Every VPC of the stack (`PRIVATELINK_VPCS`, or the short form as one entry); empty without a VPC. */
    vpcs: VpcTarget[];
    /** The first of `vpcs` (the short form's own values): code that serves one VPC reads these. */
    vpcId?: string;
    subnetIds: string[];
    securityGroupIds: string[];
    eventBus: string;
    eventSource: string;
    /** `PRIVATELINK_STACK_NAME` (default `tidb-privatelink`): two stacks may share a VPC. */
    stackName: string;
    /** `PRIVATELINK_PENDING_TIMEOUT_MIN` (default 30). */
    pendingTimeoutMin: number;
    /** `PRIVATELINK_DELETE_ORPHANS_AFTER_H`: absent (the default) means orphans are only reported. */
    deleteOrphansAfterH?: number;
    /** `PRIVATELINK_CLUSTERS`: only these clusters are managed; everything in scope when empty. */
    clusters: ClusterSelection;
    /** `PRIVATELINK_STATE_TABLE`: the registry and idempotency table; absent in the CLI by default. */
    stateTable?: string;
  };
  /** The in-VPC side of diagnostics (probe and troubleshoot functions); absent in the CLI. */
  probe: {
    /** The data-plane function (VPC-attached) the control plane invokes for DNS, TCP and the handshake. */
    dataPlaneFunction?: string;
    /** One data plane per VPC (`PRIVATELINK_DATA_PLANES`, set by the template); empty in the CLI. */
    dataPlanes: DataPlaneSite[];
    /** The data plane's own security group and subnets: the traffic source the SG/NACL checks evaluate. */
    securityGroupIds: string[];
    subnetIds: string[];
    /** Optional Secrets Manager secret {"user","password","ca"?} for a TLS login and SELECT 1 timing. */
    sqlSecretArn?: string;
    /** A custom resolver to test instead of the VPC's own (e.g. a Route 53 Resolver inbound endpoint). */
    dnsServer?: string;
  };
}

/** A VPC's own data-plane function and its placement (the traffic source the SG/NACL checks evaluate). */
export interface DataPlaneSite {
  vpcId: string;
  functionName: string;
  securityGroupIds: string[];
  subnetIds: string[];
}

/** The stack tag's value when `PRIVATELINK_STACK_NAME` is not set (DESIGN.md, Tags). */
export const DEFAULT_STACK_NAME = 'tidb-privatelink';
export const DEFAULT_API_URL = 'https://dedicated.tidbapi.com/v1beta1';
/** Under the API's 100 requests/minute per key, leaving room for a person's curl with the same key. */
export const DEFAULT_REQUESTS_PER_MINUTE = 95;

/** What a caller needs: the CLI's `status` needs no VPC, `provision` does. */
export interface ConfigNeeds {
  apiKeys?: 'env' | 'secret' | 'either';
  vpc?: boolean;
  /** The probe and troubleshoot functions: they need the data-plane function's name. */
  probe?: boolean;
}

const ID_LIST = /^[a-z]+-[0-9a-f]+$/;
/** A Secrets Manager secret ARN, any partition; the name part may be anything Secrets Manager allows. */
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z]{2}(-[a-z]+)+-\d{1,2}:\d{12}:secret:[\w/+=.@-]+$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
/** A year: a longer grace period is a typo, not a policy. */
const MAX_ORPHAN_GRACE_H = 8760;
/** Far above any quota PingCAP grants; beyond it a typo would switch the client's pacing off. */
const MAX_REQUESTS_PER_MINUTE = 1_000_000;

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function apiKeyProblems(env: NodeJS.ProcessEnv, needs: ConfigNeeds['apiKeys']): string[] {
  const hasEnv = nonEmpty(env.TIDB_CLOUD_PUBLIC_KEY) && nonEmpty(env.TIDB_CLOUD_PRIVATE_KEY);
  const hasSecret = nonEmpty(env.TIDB_CLOUD_API_KEY_SECRET_ARN);
  if (needs === 'secret' && !hasSecret) return ['TIDB_CLOUD_API_KEY_SECRET_ARN is not set'];
  if (needs === 'env' && !hasEnv) {
    return [
      'TIDB_CLOUD_PUBLIC_KEY and TIDB_CLOUD_PRIVATE_KEY must both be set (your TiDB Cloud API key pair)',
    ];
  }
  if (needs === 'either' && !hasEnv && !hasSecret) {
    return ['set TIDB_CLOUD_PUBLIC_KEY and TIDB_CLOUD_PRIVATE_KEY, or TIDB_CLOUD_API_KEY_SECRET_ARN'];
  }
  return [];
}

/** A comma-separated id list: each must have the prefix, none may repeat (a copy-paste slip). */
function idListProblems(env: NodeJS.ProcessEnv, name: string, prefix: string, what: string): string[] {
  const ids = list(env[name]);
  const problems = ids
    .filter((id) => !ID_LIST.test(id) || !id.startsWith(`${prefix}-`))
    .map((id) =>
      /\s/.test(id)
        ? `${name} must separate ids with commas, not spaces ("${id}")`
        : `"${id}" in ${name} is not a ${what} id (${prefix}-…)`,
    );
  const repeated = ids.filter((id, index) => ids.indexOf(id) !== index);
  if (repeated.length > 0) problems.push(`${name} lists ${[...new Set(repeated)].join(', ')} more than once`);
  return problems;
}

/** The list form is checked whenever it is set; the short form only when a VPC is needed. */
function vpcProblems(env: NodeJS.ProcessEnv, needed: boolean | undefined): string[] {
  if (nonEmpty(env[VPCS_VARIABLE])) return readVpcs(env).problems;
  return needed ? singleVpcProblems(env) : [];
}

function singleVpcProblems(env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  const vpcId = nonEmpty(env.PRIVATELINK_VPC_ID);
  if (!vpcId) problems.push('PRIVATELINK_VPC_ID is not set');
  else if (!/^vpc-[0-9a-f]+$/.test(vpcId))
    problems.push(`PRIVATELINK_VPC_ID "${vpcId}" is not a VPC id (vpc-…)`);
  if (list(env.PRIVATELINK_SUBNET_IDS).length === 0)
    problems.push('PRIVATELINK_SUBNET_IDS is not set (comma-separated subnet-… ids)');
  return [
    ...problems,
    ...idListProblems(env, 'PRIVATELINK_SUBNET_IDS', 'subnet', 'subnet'),
    ...idListProblems(env, 'PRIVATELINK_SECURITY_GROUP_IDS', 'sg', 'security group'),
  ];
}

const SITE_FIELDS = ['vpcId', 'functionName', 'securityGroupIds', 'subnetIds'] as const;

function isSite(value: unknown): value is DataPlaneSite {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  const strings = (item: unknown) => Array.isArray(item) && item.every((id) => typeof id === 'string');
  return (
    typeof record.vpcId === 'string' &&
    typeof record.functionName === 'string' &&
    strings(record.securityGroupIds) &&
    strings(record.subnetIds)
  );
}

/** `PRIVATELINK_DATA_PLANES`: written by the template (resources/plugins/vpcs.cjs), not by people. */
function dataPlanesOf(env: NodeJS.ProcessEnv): { sites: DataPlaneSite[]; problems: string[] } {
  const text = nonEmpty(env.PRIVATELINK_DATA_PLANES);
  if (!text) return { sites: [], problems: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || !parsed.every(isSite)) {
    return {
      sites: [],
      problems: [`PRIVATELINK_DATA_PLANES is not a JSON list of {${SITE_FIELDS.join(',')}}`],
    };
  }
  return { sites: parsed, problems: [] };
}

/** Values that are checked whenever they are set, whatever the caller needs. */
function shapeProblems(env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  for (const name of ['TIDB_CLOUD_API_KEY_SECRET_ARN', 'TIDB_SQL_SECRET_ARN']) {
    const arn = nonEmpty(env[name]);
    if (arn && !SECRET_ARN.test(arn))
      problems.push(
        `${name} is not a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)`,
      );
  }
  const region = nonEmpty(env.AWS_REGION);
  if (region && !REGION.test(region))
    problems.push(`AWS_REGION "${region}" is not an AWS region (e.g. us-east-1)`);
  problems.push(...idListProblems(env, 'PRIVATELINK_PROBE_SUBNET_IDS', 'subnet', 'subnet'));
  problems.push(...idListProblems(env, 'PRIVATELINK_PROBE_SECURITY_GROUP_IDS', 'sg', 'security group'));
  return problems;
}

function urlProblems(apiUrl: string): string[] {
  try {
    const url = new URL(apiUrl);
    // Not echoed: whatever is in it would be printed, and it is in every message naming the API.
    if (url.username || url.password)
      return [
        'TIDB_CLOUD_API_URL may not carry credentials (user:password@); the key pair has its own variables',
      ];
    return url.protocol === 'https:' || url.protocol === 'http:'
      ? []
      : [`TIDB_CLOUD_API_URL "${apiUrl}" is not an http(s) URL`];
  } catch {
    return [`TIDB_CLOUD_API_URL "${apiUrl}" is not a URL`];
  }
}

/**
 * Reads and validates the environment. Throws one ConfigError listing every problem, so a user fixes them
 * all in one go.
 * @example loadConfig(process.env, { apiKeys: 'env', vpc: true })
 */
export function loadConfig(env: NodeJS.ProcessEnv, needs: ConfigNeeds = {}): Config {
  const apiUrl = nonEmpty(env.TIDB_CLOUD_API_URL) ?? DEFAULT_API_URL;
  const region = nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
  const problems = [
    ...urlProblems(apiUrl),
    ...(needs.apiKeys ? apiKeyProblems(env, needs.apiKeys) : []),
    ...(region ? [] : ['AWS_REGION is not set']),
    ...vpcProblems(env, needs.vpc),
    ...dataPlanesOf(env).problems,
    ...shapeProblems(env),
    ...(needs.probe && !nonEmpty(env.PRIVATELINK_DATA_PLANE_FUNCTION)
      ? ['PRIVATELINK_DATA_PLANE_FUNCTION is not set']
      : []),
  ];
  const source = nonEmpty(env.PRIVATELINK_EVENT_SOURCE);
  if (source?.startsWith('aws.'))
    problems.push(`PRIVATELINK_EVENT_SOURCE "${source}" may not start with "aws." (reserved by AWS)`);
  const projectId = nonEmpty(env.TIDB_CLOUD_PROJECT_ID);
  const rate = nonEmpty(env.TIDB_CLOUD_REQUESTS_PER_MINUTE) ?? String(DEFAULT_REQUESTS_PER_MINUTE);
  if (!/^\d+$/.test(rate) || Number(rate) < 1 || Number(rate) > MAX_REQUESTS_PER_MINUTE) {
    problems.push(
      `TIDB_CLOUD_REQUESTS_PER_MINUTE "${rate}" is not a whole number from 1 to ${MAX_REQUESTS_PER_MINUTE}`,
    );
  }
  const pendingTimeout = nonEmpty(env.PRIVATELINK_PENDING_TIMEOUT_MIN) ?? '30';
  // TiDB's check takes about 5 minutes; a week is far beyond any wait worth keeping a cluster in.
  if (!/^\d{1,5}$/.test(pendingTimeout) || Number(pendingTimeout) < 1 || Number(pendingTimeout) > 10_080) {
    problems.push(
      `PRIVATELINK_PENDING_TIMEOUT_MIN "${pendingTimeout}" is not a whole number of minutes from 1 to 10080`,
    );
  }
  const orphanGrace = nonEmpty(env.PRIVATELINK_DELETE_ORPHANS_AFTER_H);
  if (
    orphanGrace !== undefined &&
    (!/^\d{1,4}$/.test(orphanGrace) || Number(orphanGrace) < 1 || Number(orphanGrace) > MAX_ORPHAN_GRACE_H)
  ) {
    problems.push(
      `PRIVATELINK_DELETE_ORPHANS_AFTER_H "${orphanGrace}" is not a whole number of hours from 1 to ${MAX_ORPHAN_GRACE_H} (unset it to never delete)`,
    );
  }
  if (projectId && !/^\d{1,24}$/.test(projectId))
    problems.push(`TIDB_CLOUD_PROJECT_ID "${projectId}" is not numeric`);
  let clusters = ALL_CLUSTERS;
  try {
    clusters = parseSelection(env.PRIVATELINK_CLUSTERS);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    problems.push(error.message.replace(/\.$/, ''));
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const vpcs = readVpcs(env).vpcs;
  return {
    tidbCloud: {
      apiUrl: apiUrl.replace(/\/+$/, ''),
      publicKey: nonEmpty(env.TIDB_CLOUD_PUBLIC_KEY),
      privateKey: nonEmpty(env.TIDB_CLOUD_PRIVATE_KEY),
      apiKeySecretArn: nonEmpty(env.TIDB_CLOUD_API_KEY_SECRET_ARN),
      projectId,
      requestsPerMinute: Number(rate),
    },
    aws: { region: region ?? '', endpointUrl: nonEmpty(env.AWS_ENDPOINT_URL) },
    privateLink: {
      vpcs,
      vpcId: vpcs[0]?.vpcId,
      subnetIds: vpcs[0]?.subnetIds ?? [],
      securityGroupIds: vpcs[0]?.securityGroupIds ?? [],
      eventBus: nonEmpty(env.PRIVATELINK_EVENT_BUS) ?? 'default',
      eventSource: source ?? 'tidb-privatelink',
      stackName: nonEmpty(env.PRIVATELINK_STACK_NAME) ?? 'tidb-privatelink',
      pendingTimeoutMin: Number(pendingTimeout),
      clusters,
      stateTable: nonEmpty(env.PRIVATELINK_STATE_TABLE),
      ...(orphanGrace === undefined ? {} : { deleteOrphansAfterH: Number(orphanGrace) }),
    },
    probe: {
      dataPlaneFunction: nonEmpty(env.PRIVATELINK_DATA_PLANE_FUNCTION),
      dataPlanes: dataPlanesOf(env).sites,
      securityGroupIds: list(env.PRIVATELINK_PROBE_SECURITY_GROUP_IDS),
      subnetIds: list(env.PRIVATELINK_PROBE_SUBNET_IDS),
      sqlSecretArn: nonEmpty(env.TIDB_SQL_SECRET_ARN),
      dnsServer: nonEmpty(env.PRIVATELINK_DNS_SERVER),
    },
  };
}
