import { ConfigError } from './core/errors.ts';
import { type ClusterSelection, parseSelection } from './core/selection.ts';
import {
  check,
  type DataPlaneSite,
  defaultedValue,
  type Env,
  isSpoke,
  listOf,
  type Needs,
  parseDataPlanes,
  readVpcs,
  regionOf,
  setValue,
  type VpcTarget,
} from './settings/index.ts';

/** Typed configuration, read once at cold start (or CLI start). Names are a public contract (docs/contracts.md). */
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
  /** `functionName`: Lambda's own `AWS_LAMBDA_FUNCTION_NAME` (the session name of a spoke's role); absent in the CLI. */
  aws: { region: string; endpointUrl?: string; functionName?: string };
  privateLink: {
    /** Every VPC of the stack (`PRIVATELINK_VPCS`, or the short form as one entry); empty without a VPC. */
    vpcs: VpcTarget[];
    /** The first of `vpcs` in the stack's own account (the short form's own values): code that serves one VPC reads these. */
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

export type { DataPlaneSite } from './settings/index.ts';
export { DEFAULT_API_URL, DEFAULT_REQUESTS_PER_MINUTE, DEFAULT_STACK_NAME } from './settings/index.ts';

/** What a caller needs: the CLI's `status` needs no VPC, `provision` does. */
export type ConfigNeeds = Needs;

/** A number setting the check has accepted, or its default. */
const numberOf = (env: Env, name: string) => Number(defaultedValue(env, name));

/**
 * Reads the environment through the settings module's check. Throws one ConfigError listing every problem,
 * so a user fixes them all in one go.
 * @example loadConfig(process.env, { apiKeys: 'env', vpc: true })
 */
export function loadConfig(env: NodeJS.ProcessEnv, needs: ConfigNeeds = {}): Config {
  const problems = check(env, 'run', needs);
  if (problems.length > 0) throw new ConfigError(problems.map((item) => item.message));
  const vpcs = readVpcs(env).vpcs;
  // The first VPC of the stack's own account: a spoke's is another account's (the settings require one).
  const own = vpcs.find((vpc) => !isSpoke(vpc));
  const orphanGrace = setValue(env, 'PRIVATELINK_DELETE_ORPHANS_AFTER_H');
  return {
    tidbCloud: {
      apiUrl: defaultedValue(env, 'TIDB_CLOUD_API_URL').replace(/\/+$/, ''),
      publicKey: setValue(env, 'TIDB_CLOUD_PUBLIC_KEY'),
      privateKey: setValue(env, 'TIDB_CLOUD_PRIVATE_KEY'),
      apiKeySecretArn: setValue(env, 'TIDB_CLOUD_API_KEY_SECRET_ARN'),
      projectId: setValue(env, 'TIDB_CLOUD_PROJECT_ID'),
      requestsPerMinute: numberOf(env, 'TIDB_CLOUD_REQUESTS_PER_MINUTE'),
    },
    aws: {
      region: regionOf(env) ?? '',
      endpointUrl: setValue(env, 'AWS_ENDPOINT_URL'),
      functionName: setValue(env, 'AWS_LAMBDA_FUNCTION_NAME'),
    },
    privateLink: {
      vpcs,
      vpcId: own?.vpcId,
      subnetIds: own?.subnetIds ?? [],
      securityGroupIds: own?.securityGroupIds ?? [],
      eventBus: defaultedValue(env, 'PRIVATELINK_EVENT_BUS'),
      eventSource: defaultedValue(env, 'PRIVATELINK_EVENT_SOURCE'),
      stackName: defaultedValue(env, 'PRIVATELINK_STACK_NAME'),
      pendingTimeoutMin: numberOf(env, 'PRIVATELINK_PENDING_TIMEOUT_MIN'),
      // Checked above, so the parse cannot throw.
      clusters: parseSelection(env.PRIVATELINK_CLUSTERS),
      stateTable: setValue(env, 'PRIVATELINK_STATE_TABLE'),
      ...(orphanGrace === undefined ? {} : { deleteOrphansAfterH: Number(orphanGrace) }),
    },
    probe: {
      dataPlaneFunction: setValue(env, 'PRIVATELINK_DATA_PLANE_FUNCTION'),
      dataPlanes: parseDataPlanes(setValue(env, 'PRIVATELINK_DATA_PLANES') ?? '[]') ?? [],
      securityGroupIds: listOf(env.PRIVATELINK_PROBE_SECURITY_GROUP_IDS),
      subnetIds: listOf(env.PRIVATELINK_PROBE_SUBNET_IDS),
      sqlSecretArn: setValue(env, 'TIDB_SQL_SECRET_ARN'),
      dnsServer: setValue(env, 'PRIVATELINK_DNS_SERVER'),
    },
  };
}
