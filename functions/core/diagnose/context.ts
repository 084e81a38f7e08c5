/**
 * What every check receives: the control-plane observation, the target derived from it once (host, port,
 * endpoint, connection, ENI addresses), and the data-plane probe, started by the first check that needs it.
 */
import {
  type Cluster,
  type PrivateEndpointConnection,
  type PrivateLinkService,
  tidbPortOf,
  type VpcEndpoint,
} from '../model.ts';
import { apiCallFailed, tidbQuotaExhausted, timedOut } from '../remediation.ts';
import type { Observation } from './gather.ts';
import type { ObservationError, Observed } from './observation.ts';
import type { DataPlaneResult } from './ports.ts';
import { type CheckOutcome, CheckOutcomeError, type Dependency } from './runner.ts';

export interface Target {
  cluster: Cluster | undefined;
  service: PrivateLinkService | undefined;
  endpoint: VpcEndpoint | undefined;
  /** TiDB's connection for the endpoint, if registered. */
  connection: PrivateEndpointConnection | undefined;
  /** The connection's host when set (a PENDING one has `""`), else the service's DNS name. */
  host: string | undefined;
  /** The connection's port, else the cluster's, else 4000. */
  port: number;
  /** The endpoint's ENI addresses: the only ones probes may connect to. */
  expectedAddresses: string[];
}

export interface DiagnoseContext {
  observation: Observation;
  target: Target;
  /** The resolver the data plane asks, when not the system's. */
  dnsServer: string | undefined;
  /** Memoised: the first caller starts the probe, later callers share its result. */
  dataPlane(): Promise<Observed<DataPlaneResult>>;
}

const valueIn = <T>(observed: Observed<T> | undefined): T | undefined =>
  observed?.ok ? observed.value : undefined;

export function deriveTarget(observation: Observation): Target {
  const cluster = valueIn(observation.cluster);
  const service = valueIn(observation.service);
  const endpoint = valueIn(observation.endpoint)?.endpoint;
  const connection = endpoint
    ? valueIn(observation.connections)?.find((candidate) => candidate.endpointId === endpoint.vpcEndpointId)
    : undefined;
  const host = connection?.host || service?.serviceDnsName || undefined;
  const port = tidbPortOf(connection, cluster);
  const expectedAddresses = (valueIn(observation.networkInterfaces) ?? []).map((eni) => eni.privateIpAddress);
  return { cluster, service, endpoint, connection, host, port, expectedAddresses };
}

/** The outcome of a check that could not read what it needs. Always `fail`, so it carries a fix. */
export function unobservable(error: ObservationError, what: string): CheckOutcome {
  if (error.quotaResetsAt) {
    return {
      status: 'fail',
      summary: `Could not read ${what}: the TiDB Cloud API quota of this key is exhausted until ${error.quotaResetsAt}, after the doctor's deadline.`,
      evidence: { action: error.action, rateLimitResetsAt: error.quotaResetsAt },
      remediation: tidbQuotaExhausted(error.quotaResetsAt),
    };
  }
  if (error.timedOut) {
    return {
      status: 'fail',
      summary: `Timed out reading ${what} (${error.action}).`,
      evidence: { action: error.action },
      remediation: timedOut(`Reading ${what}`),
    };
  }
  return {
    status: 'fail',
    summary: `Could not read ${what}: ${error.message}`,
    evidence: { action: error.action, error: error.message },
    remediation: apiCallFailed(error.action, error.message),
  };
}

/**
 * The observed value, or ends the check: `skip` when it was never looked up (what it needs is unknown),
 * `fail` when the lookup failed.
 */
export function need<T>(observed: Observed<T> | undefined, what: string): T {
  if (!observed) throw new CheckOutcomeError({ status: 'skip', summary: `Skipped: ${what} is unknown.` });
  if (!observed.ok) throw new CheckOutcomeError(unobservable(observed.error, what));
  return observed.value;
}

/** The prerequisite of every check that inspects the endpoint. */
export const ENDPOINT_EXISTS: Dependency = {
  id: 'aws.endpoint-state',
  reason: 'Skipped: there is no usable VPC endpoint (see aws.endpoint-state).',
};

/** The endpoint, which checks depending on ENDPOINT_EXISTS may take for granted. */
export function endpointOf(target: Target): VpcEndpoint {
  if (!target.endpoint) throw new CheckOutcomeError({ status: 'skip', summary: 'Skipped: no endpoint.' });
  return target.endpoint;
}
