import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { recordClustersByPhase } from '../adapters/powertools-metrics.ts';
import { PHASES, type Phase, type ProvisionOutcome, type ReconcileDeps } from '../core/reconcile/types.ts';
import { provisionStack, reconcileStack } from '../core/reconcile/vpcs.ts';
import { clusterKeyOf, PROVISION_TRIGGERS } from './inbound-events.ts';
import { rejectInvalidEvents } from './reject-invalid-events.ts';
import { meteringTidbApi } from './tidb-api-metrics.ts';

/** Stop converging this long before the Lambda deadline, leaving time to publish events and return. */
export const DEADLINE_MARGIN_MS = 10_000;

type DepsSource = () => Promise<ReconcileDeps>;

function deadlineOf(context: Context, now: number): number {
  return now + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS;
}

function logOutcome(logger: Logger, outcome: ProvisionOutcome): void {
  const fields = {
    clusterId: outcome.clusterId,
    ...(outcome.vpcId ? { vpcId: outcome.vpcId } : {}),
    phase: outcome.phase,
    actions: outcome.actions.map((a) => a.type),
  };
  switch (outcome.phase) {
    case 'Blocked':
      logger.warn('cluster blocked', { ...fields, reason: outcome.reason, message: outcome.message });
      break;
    case 'Error':
      // This cluster only, retried next tick: reported, never thrown (DESIGN "Transient errors").
      logger.error('cluster reconcile failed', { ...fields, error: outcome.error });
      break;
    case 'Orphaned':
      logger.warn('endpoint orphaned', {
        ...fields,
        vpcEndpointId: outcome.vpcEndpointId,
        message: outcome.message,
      });
      break;
    default:
      logger.info('cluster reconciled', fields);
  }
}

/** How many clusters ended in each phase: one log line a metric filter or a person can read. */
function phaseCounts(outcomes: ProvisionOutcome[]): Record<Phase, number> {
  const counts = Object.fromEntries(PHASES.map((phase) => [phase, 0])) as Record<Phase, number>;
  for (const outcome of outcomes) counts[outcome.phase] += 1;
  return counts;
}

/**
 * The scheduled reconcile: every cluster in scope, converging Progressing ones until near the deadline.
 * Per-cluster errors are logged and counted (metric `Clusters`, dimension `Phase`), never thrown: only a pass that
 * cannot run at all (configuration, authentication, the cluster listing) fails the invocation.
 */
export function createReconcileHandler(getDeps: DepsSource, logger: Logger, metrics?: Metrics) {
  const handler = middy(async (_event: unknown, context: Context, { signal }: { signal: AbortSignal }) => {
    const deps = await getDeps();
    const clusters = await meteringTidbApi(metrics, deps.tidb, () =>
      reconcileStack(deps, { signal, deadline: deadlineOf(context, deps.clock.now()) }),
    );
    for (const outcome of clusters) logOutcome(logger, outcome);
    const phases = phaseCounts(clusters);
    logger.info('reconcile pass finished', { phases });
    if (metrics) recordClustersByPhase(metrics, phases);
    return { clusters };
  }).use(injectLambdaContext(logger));
  return metrics ? handler.use(logMetrics(metrics)) : handler;
}

/** The event-driven path: `TiDB Cluster Detected` (or a direct `{ clusterId }`) → one cluster to Ready in every VPC. */
export function createProvisionHandler(getDeps: DepsSource, logger: Logger, metrics?: Metrics) {
  const handler = middy(async (event: unknown, context: Context, { signal }: { signal: AbortSignal }) => {
    const key = clusterKeyOf(event, PROVISION_TRIGGERS);
    const deps = await getDeps();
    const outcomes = await meteringTidbApi(metrics, deps.tidb, () =>
      provisionStack(
        deps,
        { clusterId: key.clusterId, tidbNodeGroupId: key.tidbNodeGroupId },
        { signal, deadline: deadlineOf(context, deps.clock.now()) },
      ),
    );
    for (const outcome of outcomes) logOutcome(logger, outcome);
    // One VPC: the outcome itself, as before; several: one per VPC, shaped like the reconcile's answer.
    return outcomes.length === 1 ? outcomes[0] : { clusters: outcomes };
  })
    .use(injectLambdaContext(logger))
    .use(rejectInvalidEvents(logger));
  return metrics ? handler.use(logMetrics(metrics)) : handler;
}
