import { isIP } from 'node:net';
import { type DataPlaneProbeInput, MAX_BATCH_TARGETS } from '../core/diagnose/ports.ts';
import { InvalidEventError } from '../core/errors.ts';
import type { ReadyFacts } from '../core/model.ts';
import { DETAIL_TYPES } from '../core/ports.ts';
import type { ReconcileKey } from '../core/reconcile/types.ts';

const DIGITS = /^\d{1,24}$/;

/** A bad value as quoted in a rejection: JSON (so a newline cannot forge a log line), at most 60 characters. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}… (${text.length} characters)` : text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The key of a request that names one cluster: an EventBridge event (`detail`) of one of the accepted detail
 * types, or a direct invoke `{ "clusterId": "…" }`. Anything else is rejected before any side effect.
 */
export function clusterKeyOf(
  event: unknown,
  acceptedDetailTypes: string[],
): ReconcileKey & Record<string, unknown> {
  if (!isRecord(event)) throw new InvalidEventError('The event must be a JSON object with a clusterId.');
  const detailType = event['detail-type'];
  let payload: Record<string, unknown> = event;
  if (detailType !== undefined) {
    if (typeof detailType !== 'string' || !acceptedDetailTypes.includes(detailType)) {
      throw new InvalidEventError(
        `Unexpected event detail-type ${shown(detailType)}; expected ${acceptedDetailTypes.join(' or ')}.`,
      );
    }
    if (!isRecord(event.detail))
      throw new InvalidEventError(`The ${shown(detailType)} event has no detail object.`);
    payload = event.detail;
  }
  const { clusterId, tidbNodeGroupId } = payload;
  if (typeof clusterId !== 'string' || !DIGITS.test(clusterId)) {
    throw new InvalidEventError(
      `The event's clusterId must be a TiDB Cloud cluster id as a string of digits; got ${shown(clusterId)}.`,
    );
  }
  if (
    tidbNodeGroupId !== undefined &&
    (typeof tidbNodeGroupId !== 'string' || !DIGITS.test(tidbNodeGroupId))
  ) {
    throw new InvalidEventError(
      `The event's tidbNodeGroupId must be a string of digits; got ${shown(tidbNodeGroupId)}.`,
    );
  }
  const { vpcEndpointId } = payload;
  if (
    vpcEndpointId !== undefined &&
    (typeof vpcEndpointId !== 'string' || !/^vpce-[0-9a-f]+$/.test(vpcEndpointId))
  ) {
    throw new InvalidEventError(
      `The event's vpcEndpointId must look like vpce-0a1b2c3d; got ${shown(vpcEndpointId)}.`,
    );
  }
  return { ...payload, clusterId, tidbNodeGroupId };
}

/** Whether `event` is an EventBridge delivery of `detailType`, as opposed to a direct invoke or another event. */
export function isDelivery(event: unknown, detailType: string): boolean {
  return (
    typeof event === 'object' &&
    event !== null &&
    (event as Record<string, unknown>)['detail-type'] === detailType
  );
}

/** How old an `Endpoint Ready` may be for its `known` facts to stand in for reading TiDB Cloud again. */
export const READY_FACTS_FRESH_MS = 5 * 60_000;

const strings = (value: unknown): boolean =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

/** Whether `value` has each named field, of the named type (`strings`: a list of strings). */
function hasFields(
  value: unknown,
  fields: Record<string, 'string' | 'number' | 'object' | 'strings'>,
): boolean {
  if (!isRecord(value)) return false;
  return Object.entries(fields).every(([name, type]) =>
    type === 'strings' ? strings(value[name]) : typeof value[name] === type && value[name] !== null,
  );
}

/**
 * The facts a fresh `PrivateLink Endpoint Ready` carries (`detail.known`, docs/contracts.md), when they are
 * whole, about the event's own cluster and endpoint, and younger than READY_FACTS_FRESH_MS; otherwise
 * undefined, and the probe reads TiDB Cloud as on a schedule (an event from an older version, a late retry).
 */
export function readyFactsOf(event: unknown, now: number): ReadyFacts | undefined {
  if (!isRecord(event) || !isRecord(event.detail)) return undefined;
  const { detail } = event;
  const known = detail.known;
  const age = now - Date.parse(String(event.time));
  if (!isRecord(known) || !(age >= -60_000 && age <= READY_FACTS_FRESH_MS)) return undefined;
  const { cluster, service, connection } = known;
  const whole =
    hasFields(cluster, {
      clusterId: 'string',
      state: 'string',
      port: 'number',
      regionId: 'string',
      labels: 'object',
    }) &&
    Array.isArray((cluster as Record<string, unknown>).nodeGroups) &&
    hasFields(service, {
      serviceName: 'string',
      serviceDnsName: 'string',
      state: 'string',
      availableZones: 'strings',
    }) &&
    hasFields(connection, {
      endpointId: 'string',
      endpointState: 'string',
      clusterId: 'string',
      tidbNodeGroupId: 'string',
    });
  if (!whole) return undefined;
  const ours =
    (cluster as Record<string, unknown>).clusterId === detail.clusterId &&
    (connection as Record<string, unknown>).endpointId === detail.vpcEndpointId;
  return ours ? (known as unknown as ReadyFacts) : undefined;
}

export const PROVISION_TRIGGERS = [DETAIL_TYPES.clusterDetected];
export const TROUBLESHOOT_TRIGGERS = [DETAIL_TYPES.troubleshootRequested];
export const PROBE_TRIGGERS = [DETAIL_TYPES.endpointReady];

function dataPlaneProblems(event: Record<string, unknown>): string[] {
  const { host, port, expectedAddresses, timeoutMs, dnsServer, credentials } = event;
  const problems: string[] = [];
  if (typeof host !== 'string' || host.length === 0 || host.length > 253)
    problems.push('host must be a DNS name');
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)
    problems.push('port must be 1–65535');
  if (
    !Array.isArray(expectedAddresses) ||
    !expectedAddresses.every((a) => typeof a === 'string' && isIP(a) !== 0)
  ) {
    problems.push('expectedAddresses must be a list of IP addresses');
  }
  if (typeof timeoutMs !== 'number' || timeoutMs < 1 || timeoutMs > 900_000)
    problems.push('timeoutMs must be 1–900000');
  if (dnsServer !== undefined && typeof dnsServer !== 'string') problems.push('dnsServer must be a string');
  if (
    credentials !== undefined &&
    !(
      isRecord(credentials) &&
      typeof credentials.user === 'string' &&
      typeof credentials.password === 'string'
    )
  ) {
    problems.push('credentials must be {"user","password"}');
  }
  return problems;
}

/** The data-plane function's input, checked before any socket opens. */
export function dataPlaneInputOf(event: unknown): DataPlaneProbeInput {
  if (!isRecord(event)) throw new InvalidEventError('The data-plane input must be a JSON object.');
  const problems = dataPlaneProblems(event);
  if (problems.length > 0) throw new InvalidEventError(`Invalid data-plane input: ${problems.join('; ')}.`);
  return event as unknown as DataPlaneProbeInput;
}

/** A data-plane request: one target (troubleshoot) or `{ targets: [...] }` (the probe's one trip). */
export type DataPlaneRequest = { one: DataPlaneProbeInput } | { many: DataPlaneProbeInput[] };

/** The data-plane function's input, either shape, every target checked before any socket opens. */
export function dataPlaneRequestOf(event: unknown): DataPlaneRequest {
  if (!isRecord(event) || !('targets' in event)) return { one: dataPlaneInputOf(event) };
  const { targets } = event;
  if (!Array.isArray(targets) || targets.length === 0 || targets.length > MAX_BATCH_TARGETS) {
    throw new InvalidEventError(
      `The data-plane input's targets must be a list of 1–${MAX_BATCH_TARGETS} probes.`,
    );
  }
  const problems = targets.flatMap((target, index) =>
    (isRecord(target) ? dataPlaneProblems(target) : ['not an object']).map((p) => `target ${index}: ${p}`),
  );
  if (problems.length > 0) throw new InvalidEventError(`Invalid data-plane input: ${problems.join('; ')}.`);
  return { many: targets as DataPlaneProbeInput[] };
}
