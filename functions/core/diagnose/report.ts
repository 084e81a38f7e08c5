/**
 * The diagnostic report: a public contract (docs/contracts.md "Diagnostic report"). `doctor --json`, the troubleshoot
 * function's result and the probe's event detail all carry exactly this shape; the JSON Schema in
 * `schema/diagnostic-report.schema.json` describes it for other tools.
 */

/** Check ids in contract order: reports list checks in this order. */
export const CHECK_IDS = [
  'tidb.cluster-state',
  'tidb.service-ready',
  'aws.region-match',
  'aws.vpc-dns-attributes',
  'aws.endpoint-state',
  'tidb.connection-state',
  'aws.az-coverage',
  'aws.private-dns',
  'aws.security-group-ingress',
  'aws.network-acl',
  'aws.return-route',
  'dns.resolution',
  'tcp.connect',
  'tidb.handshake',
] as const;

export type CheckId = (typeof CHECK_IDS)[number];

/** `skip`: a prerequisite failed or was skipped, or the check cannot run here; the reason is the summary. */
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

interface CheckResultBase<Id extends string> {
  id: Id;
  /** One sentence a person reads first. */
  summary: string;
  /** What was observed, JSON-serialisable. */
  evidence?: Record<string, unknown>;
}

/**
 * A `fail` always carries the exact fix (an AWS CLI command where one exists); the type enforces it. Generic
 * over the check ids, so `preflight` reports its own checks in the same shape.
 */
export type CheckResultOf<Id extends string> =
  | (CheckResultBase<Id> & { status: 'fail'; remediation: string })
  | (CheckResultBase<Id> & { status: Exclude<CheckStatus, 'fail'>; remediation?: string });

export type CheckResult = CheckResultOf<CheckId>;

export interface DiagnosticReport {
  clusterId: string;
  /** Null when the cluster has no node group or could not be read. */
  tidbNodeGroupId: string | null;
  region: string;
  vpcId: string | null;
  vpcEndpointId: string | null;
  /** Null until the private link service (or the connection) names a host. */
  host: string | null;
  port: number;
  /** True exactly when no check is `fail`. */
  healthy: boolean;
  checks: CheckResult[];
  startedAt: string;
  durationMs: number;
}

export function isHealthy(checks: readonly CheckResultOf<string>[]): boolean {
  return checks.every((check) => check.status !== 'fail');
}
