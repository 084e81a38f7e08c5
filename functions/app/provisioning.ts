import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { provision, reconcileAll } from '../core/reconcile/reconcile.ts';
import type { ProvisionOutcome, ReconcileDeps } from '../core/reconcile/types.ts';
import { clusterKeyOf, PROVISION_TRIGGERS } from './inbound-events.ts';
import { oncePerEvent } from './once-per-event.ts';

/** Stop converging this long before the Lambda deadline, leaving time to publish events and return. */
export const DEADLINE_MARGIN_MS = 10_000;

type DepsSource = () => Promise<ReconcileDeps>;

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
    return { clusters };
  }).use(injectLambdaContext(logger));
}

/** The event-driven path: `TiDB Cluster Detected` (or a direct `{ clusterId }`) → one cluster to Ready. */
export function createProvisionHandler(
  getDeps: DepsSource,
  logger: Logger,
  idempotency?: BasePersistenceLayer,
) {
  const store = idempotency && { persistenceStore: idempotency, keyPrefix: 'provision' };
  const run = oncePerEvent(
    async (event: unknown, context: Context, signal: AbortSignal) => {
      const key = clusterKeyOf(event, PROVISION_TRIGGERS);
      const deps = await getDeps();
      const outcome = await provision(
        deps,
        { clusterId: key.clusterId, tidbNodeGroupId: key.tidbNodeGroupId },
        { signal, deadline: deadlineOf(context, deps.clock.now()) },
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
