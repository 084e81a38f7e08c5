import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { mapLimited } from '../core/concurrency.ts';
import { type ClusterRegistry, DETAIL_TYPES } from '../core/ports.ts';
import { provision, reconcileAll } from '../core/reconcile/reconcile.ts';
import type { ProvisionOutcome, ReconcileDeps } from '../core/reconcile/types.ts';
import { clusterKeyOf, PROVISION_TRIGGERS } from './inbound-events.ts';
import { oncePerEvent } from './once-per-event.ts';

/** Stop converging this long before the Lambda deadline, leaving time to publish events and return. */
export const DEADLINE_MARGIN_MS = 10_000;

type DepsSource = () => Promise<ReconcileDeps & { registry?: ClusterRegistry }>;

function deadlineOf(context: Context, now: number): number {
  return now + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS;
}

function logOutcome(logger: Logger, outcome: ProvisionOutcome): void {
  const fields = {
    clusterId: outcome.clusterId,
    phase: outcome.phase,
    actions: outcome.actions.map((a) => a.type),
  };
  if (outcome.phase === 'Blocked') logger.warn('cluster blocked', { ...fields, reason: outcome.reason });
  else logger.info('cluster reconciled', fields);
}

/** The scheduled reconcile: every cluster in scope, converging Progressing ones until near the deadline. */
export function createReconcileHandler(getDeps: DepsSource, logger: Logger) {
  return middy(async (_event: unknown, context: Context, { signal }: { signal: AbortSignal }) => {
    const deps = await getDeps();
    const clusters = await reconcileAll(deps, { signal, deadline: deadlineOf(context, deps.clock.now()) });
    for (const outcome of clusters) logOutcome(logger, outcome);
    if (deps.registry) await recordPhases(deps.registry, clusters, deps.clock.now(), signal);
    return { clusters };
  }).use(injectLambdaContext(logger));
}

/** Each cluster's phase and since when, for `status` and operators; unchanged phases write nothing new. */
async function recordPhases(
  registry: ClusterRegistry,
  outcomes: ProvisionOutcome[],
  now: number,
  signal: AbortSignal,
): Promise<void> {
  await mapLimited(outcomes, 8, (outcome) =>
    registry.setPhase(outcome.clusterId, outcome.phase, now, { signal }),
  );
}

/**
 * The reconcile publishes `TiDB Cluster Detected` after the pass in which it took the cluster's immediate
 * steps, and records the sighting first: a Detected event for a cluster the registry has seen needs no
 * second pass (which would only repeat three TiDB reads, from the one quota, for the same answer).
 */
async function alreadyInHand(deps: Awaited<ReturnType<DepsSource>>, event: unknown, clusterId: string) {
  const detected =
    typeof event === 'object' &&
    event !== null &&
    (event as Record<string, unknown>)['detail-type'] === DETAIL_TYPES.clusterDetected;
  return detected && deps.registry !== undefined && (await deps.registry.get(clusterId)) !== undefined;
}

/** The event-driven path: `TiDB Cluster Detected` (or a direct `{ clusterId }`) → one cluster to Ready. */
export function createProvisionHandler(
  getDeps: DepsSource,
  logger: Logger,
  idempotency?: BasePersistenceLayer,
) {
  const store = idempotency && { persistenceStore: idempotency, keyPrefix: 'provision' };
  const run = oncePerEvent(
    async (event: unknown, _context: Context, signal: AbortSignal) => {
      const key = clusterKeyOf(event, PROVISION_TRIGGERS);
      const deps = await getDeps();
      if (await alreadyInHand(deps, event, key.clusterId)) {
        logger.info('cluster already in hand: the reconcile that detected it took its first steps', {
          clusterId: key.clusterId,
        });
        return { clusterId: key.clusterId, inHand: true };
      }
      // Only the immediate steps, in one pass: the scheduled reconcile is the one poller for every waiting
      // cluster (one connections listing per pass for all of them), so this never polls on its own.
      const outcome = await provision(
        deps,
        { clusterId: key.clusterId, tidbNodeGroupId: key.tidbNodeGroupId },
        { signal },
      );
      logOutcome(logger, outcome);
      return outcome;
    },
    store,
    logger,
  );
  return middy(async (event: unknown, context: Context, { signal }: { signal: AbortSignal }) => {
    // Validated before the idempotency record: a malformed event leaves nothing behind.
    clusterKeyOf(event, PROVISION_TRIGGERS);
    return run(event, context, signal);
  }).use(injectLambdaContext(logger));
}
