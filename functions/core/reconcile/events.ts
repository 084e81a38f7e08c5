import type { ReadyFacts } from '../model.ts';
import { type AppEvent, DETAIL_TYPES } from '../ports.ts';
import type { Observation, ProvisionOutcome } from './types.ts';

/** `handledBy` of a `TiDB Cluster Detected` the reconcile itself acts on in the same pass. */
export const HANDLED_BY_RECONCILE = 'reconcile';

/**
 * The events one pass emits for one cluster. `detect` is true only for the scheduled reconcile: the
 * event-driven provision path is triggered by `TiDB Cluster Detected`, so it must never emit it again.
 */
export function eventsFor(
  outcome: ProvisionOutcome,
  { start, last }: { start?: Observation; last?: Observation },
  detect: boolean,
): AppEvent[] {
  const ids = { clusterId: outcome.clusterId, tidbNodeGroupId: outcome.tidbNodeGroupId };
  const events: AppEvent[] = [];
  if (detect && start && !start.endpoint && start.cluster.state === 'ACTIVE') {
    events.push({
      detailType: DETAIL_TYPES.clusterDetected,
      // Handled in this very pass: the provision rule leaves these out (docs/contracts.md "Events"), so
      // the detection costs no second invocation, while subscribers still see every new cluster.
      detail: {
        ...ids,
        displayName: start.cluster.displayName,
        regionId: start.cluster.regionId,
        handledBy: HANDLED_BY_RECONCILE,
      },
    });
  }
  for (const action of outcome.actions) {
    events.push({
      detailType: DETAIL_TYPES.provisioningProgressed,
      detail: { ...ids, action, phase: outcome.phase },
    });
  }
  if (outcome.phase === 'Ready' && outcome.actions.length > 0) events.push(endpointReady(outcome, last));
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

/**
 * What TiDB Cloud showed when the endpoint became Ready, for the probe that `Endpoint Ready` starts: it judges
 * from these instead of reading the cluster, its connections and its service again (docs/contracts.md
 * "Events"). Left out when the pass did not see all three.
 */
function knownOf(last: Observation | undefined): { known?: ReadyFacts } {
  const { cluster, service, connection } = last ?? {};
  return cluster && service && connection ? { known: { cluster, service, connection } } : {};
}

/**
 * `PrivateLink Endpoint Ready` for `outcome`: from the pass that made it Ready, with what that pass saw; or,
 * without `last`, for a cluster the registry shows turned Ready with no run announcing it (the run that took
 * the last step died before it could, and the next one found nothing to do).
 */
export function endpointReady(outcome: ProvisionOutcome, last?: Observation): AppEvent {
  return {
    detailType: DETAIL_TYPES.endpointReady,
    detail: {
      clusterId: outcome.clusterId,
      tidbNodeGroupId: outcome.tidbNodeGroupId,
      vpcEndpointId: outcome.vpcEndpointId,
      ...knownOf(last),
    },
  };
}
