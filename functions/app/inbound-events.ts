import { UsageError } from '../core/errors.ts';
import { DETAIL_TYPES } from '../core/ports.ts';
import type { ReconcileKey } from '../core/reconcile/types.ts';

const DIGITS = /^\d{1,24}$/;

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
  if (!isRecord(event)) throw new UsageError('The event must be a JSON object with a clusterId.');
  const detailType = event['detail-type'];
  let payload: Record<string, unknown> = event;
  if (detailType !== undefined) {
    if (typeof detailType !== 'string' || !acceptedDetailTypes.includes(detailType)) {
      throw new UsageError(
        `Unexpected event detail-type "${String(detailType)}"; expected ${acceptedDetailTypes.join(' or ')}.`,
      );
    }
    if (!isRecord(event.detail)) throw new UsageError(`The "${detailType}" event has no detail object.`);
    payload = event.detail;
  }
  const { clusterId, tidbNodeGroupId } = payload;
  if (typeof clusterId !== 'string' || !DIGITS.test(clusterId)) {
    throw new UsageError(
      `The event's clusterId must be a TiDB Cloud cluster id as a string of digits; got ${JSON.stringify(clusterId)}.`,
    );
  }
  if (
    tidbNodeGroupId !== undefined &&
    (typeof tidbNodeGroupId !== 'string' || !DIGITS.test(tidbNodeGroupId))
  ) {
    throw new UsageError(
      `The event's tidbNodeGroupId must be a string of digits; got ${JSON.stringify(tidbNodeGroupId)}.`,
    );
  }
  return { ...payload, clusterId, tidbNodeGroupId };
}

export const PROVISION_TRIGGERS = [DETAIL_TYPES.clusterDetected];
export const TROUBLESHOOT_TRIGGERS = [DETAIL_TYPES.troubleshootRequested];
