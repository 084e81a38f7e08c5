import { type AppEvent, DETAIL_TYPES } from '../ports.ts';
import type { Observation, ProvisionOutcome } from './types.ts';

/**
 * The events one pass emits for one cluster. `detect` is true only for the scheduled reconcile: the
 * event-driven provision path is triggered by `TiDB Cluster Detected`, so it must never emit it again.
 */
export function eventsFor(
  outcome: ProvisionOutcome,
  start: Observation | undefined,
  detect: boolean,
): AppEvent[] {
  const ids = { clusterId: outcome.clusterId, tidbNodeGroupId: outcome.tidbNodeGroupId };
  const events: AppEvent[] = [];
  if (detect && start && !start.endpoint && start.cluster.state === 'ACTIVE') {
    events.push({
      detailType: DETAIL_TYPES.clusterDetected,
      detail: { ...ids, displayName: start.cluster.displayName, regionId: start.cluster.regionId },
    });
  }
  for (const action of outcome.actions) {
    events.push({
      detailType: DETAIL_TYPES.provisioningProgressed,
      detail: { ...ids, action, phase: outcome.phase },
    });
  }
  if (outcome.phase === 'Ready' && outcome.actions.length > 0) {
    events.push({
      detailType: DETAIL_TYPES.endpointReady,
      detail: { ...ids, vpcEndpointId: outcome.vpcEndpointId },
    });
  }
  if (outcome.phase === 'Blocked') {
    events.push({
      detailType: DETAIL_TYPES.provisioningBlocked,
      detail: {
        ...ids,
        vpcEndpointId: outcome.vpcEndpointId,
        reason: outcome.reason,
        message: outcome.message,
        remediation: outcome.remediation,
      },
    });
  }
  return events;
}
