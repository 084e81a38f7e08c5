/**
 * The doctor: gather the control plane, probe the data plane, run every check, and return the report.
 * It always returns a full report by the deadline (timeoutMs, plus a little for assembling it); it throws only
 * when the request itself is wrong (bad input, credentials, unknown cluster or node group).
 */
import { UsageError } from '../errors.ts';
import { parseCidr } from '../network/cidr.ts';
import type { Clock, Ec2Port, TidbCloudPort } from '../ports.ts';
import { checkCrashed, timedOut } from '../remediation.ts';
import { CHECKS } from './checks/index.ts';
import { type DiagnoseContext, deriveTarget, type Target } from './context.ts';
import { deadlineSignal } from './deadline.ts';
import { gather } from './gather.ts';
import type { NetworkPathDeps } from './gather-network.ts';
import { type GatherRequest, type Observed, observer } from './observation.ts';
import type { DataPlanePort, DataPlaneResult, DbCredentials } from './ports.ts';
import { type DiagnosticReport, isHealthy } from './report.ts';
import { runChecks } from './runner.ts';

/** `hostedZones` and `resolver` are optional: without them their part of the DNS cause is unknown. */
export interface DiagnoseDeps extends NetworkPathDeps {
  tidb: TidbCloudPort;
  ec2: Ec2Port;
  dataPlane: DataPlanePort;
  /** For `startedAt` and `durationMs`; the deadline itself runs on real time. */
  clock?: Pick<Clock, 'now'>;
}

export interface DiagnoseRequest extends GatherRequest {
  /** `ip[:port]` of the resolver the data plane asks; the system's when absent. */
  dnsServer?: string;
  /** The whole run's budget. Default 15 s. */
  timeoutMs?: number;
  /** The most the data plane may take, when it runs where a timeout of its own kills it (a Lambda). */
  dataPlaneTimeoutMs?: number;
  /** With credentials, tidb.handshake also logs in over TLS and times `SELECT 1`. */
  credentials?: DbCredentials;
  signal?: AbortSignal;
}

export const DEFAULT_TIMEOUT_MS = 15_000;

/** Left between the data plane's own timeouts and the deadline, so it reports "timeout" itself. */
const PROBE_MARGIN = 0.05;

function validate(request: DiagnoseRequest): number {
  const timeoutMs = request.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new UsageError(`--timeout-ms must be a positive whole number of milliseconds, not ${timeoutMs}.`);
  }
  const source = request.source;
  if (source && 'cidr' in source && !parseCidr(source.cidr)) {
    throw new UsageError(`--source-cidr ${source.cidr} is not a CIDR (e.g. 10.0.0.0/16).`);
  }
  if (source && 'securityGroupId' in source && !/^sg-[0-9a-f]+$/.test(source.securityGroupId)) {
    throw new UsageError(
      `--source-sg ${source.securityGroupId} is not a security group id (e.g. sg-0abc1234).`,
    );
  }
  return timeoutMs;
}

function report(
  request: DiagnoseRequest,
  target: Target,
  vpcId: string | undefined,
  nodeGroupId: string | undefined,
) {
  return {
    clusterId: request.clusterId,
    tidbNodeGroupId: nodeGroupId ?? null,
    region: request.region,
    vpcId: vpcId ?? null,
    vpcEndpointId: target.endpoint?.vpcEndpointId ?? null,
    host: target.host ?? null,
    port: target.port,
  };
}

/**
 * Runs the whole check suite for one cluster.
 * @example const report = await diagnose({ tidb, ec2, dataPlane: new LocalDataPlane() }, { clusterId, region: 'us-east-1', vpcId });
 */
export async function diagnose(deps: DiagnoseDeps, request: DiagnoseRequest): Promise<DiagnosticReport> {
  const now = () => deps.clock?.now() ?? Date.now();
  const timeoutMs = validate(request);
  const startedAt = now();
  const deadlineAt = startedAt + timeoutMs;
  const signal = deadlineSignal(timeoutMs, request.signal);
  // The signal runs on real time, and so does the deadline the ports compare their waits with.
  const observation = await gather(deps, request, signal, Date.now() + timeoutMs);
  const target = deriveTarget(observation);
  const observe = observer(signal);

  let probe: Promise<Observed<DataPlaneResult>> | undefined;
  const probeBudget = () =>
    Math.max(
      1,
      Math.floor(
        Math.min(
          request.dataPlaneTimeoutMs ?? Number.POSITIVE_INFINITY,
          (deadlineAt - now()) * (1 - PROBE_MARGIN),
        ),
      ),
    );
  const startProbe = () =>
    observe('data-plane probe', (options) =>
      deps.dataPlane.probe(
        {
          host: target.host ?? '',
          port: target.port,
          expectedAddresses: target.expectedAddresses,
          timeoutMs: probeBudget(),
          ...(request.dnsServer ? { dnsServer: request.dnsServer } : {}),
          ...(request.credentials ? { credentials: request.credentials } : {}),
        },
        options,
      ),
    );
  const context: DiagnoseContext = {
    observation,
    target,
    dnsServer: request.dnsServer,
    dataPlane: () => {
      probe ??= startProbe();
      return probe;
    },
  };
  const checks = await runChecks(CHECKS, context, {
    signal,
    onTimeout: (id) => ({
      status: 'fail',
      summary: `${id} did not finish within ${timeoutMs} ms.`,
      remediation: timedOut(`The ${id} check`),
    }),
    onCrash: (id, error) => ({
      status: 'fail',
      summary: `${id} failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`,
      remediation: checkCrashed(id),
    }),
  });
  return {
    ...report(request, target, observation.vpcId, observation.nodeGroupId),
    healthy: isHealthy(checks),
    checks,
    startedAt: new Date(startedAt).toISOString(),
    durationMs: now() - startedAt,
  };
}
