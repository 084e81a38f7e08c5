import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { recordClustersByPhase } from '../adapters/powertools-metrics.ts';
import { describeHeld, RECONCILE_LEASE, withLease } from '../core/lease.ts';
import type { Cluster } from '../core/model.ts';
import { type ClusterRegistry, DETAIL_TYPES, type EventsPort, type LeaseStore } from '../core/ports.ts';
import { endpointReady } from '../core/reconcile/events.ts';
import { PHASES, type Phase, type ProvisionOutcome, type ReconcileDeps } from '../core/reconcile/types.ts';
import { perCluster, provisionStack, reconcileStack } from '../core/reconcile/vpcs.ts';
import { expireGoneRows, recordPhases } from '../core/registry/phases.ts';
import { clusterKeyOf, isDelivery, PROVISION_TRIGGERS } from './inbound-events.ts';
import { perInvocation } from './invocation-signal.ts';
import { oncePerEvent, type PersistenceSource } from './once-per-event.ts';
import { rejectInvalidEvents } from './reject-invalid-events.ts';
import { meteringTidbApi } from './tidb-api-metrics.ts';

/** Stop converging this long before the Lambda deadline, leaving time to publish events and return. */
export const DEADLINE_MARGIN_MS = 10_000;

type DepsSource = () => Promise<ReconcileDeps & { registry?: ClusterRegistry; lease?: LeaseStore }>;

function deadlineOf(context: Context, now: number): number {
  return now + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS;
}

function logOutcome(logger: Logger, outcome: ProvisionOutcome): void {
  const fields = {
    clusterId: outcome.clusterId,
    ...(outcome.vpcId ? { vpcId: outcome.vpcId } : {}),
    phase: outcome.phase,
    actions: outcome.actions.map((a) => a.type),
    // Bookkeeping that failed (retried next pass) and other facts that change nothing: logged, never alarmed.
    ...(outcome.notes?.length ? { notes: outcome.notes } : {}),
  };
  switch (outcome.phase) {
    case 'Blocked':
      logger.warn('cluster blocked', { ...fields, reason: outcome.reason, message: outcome.message });
      break;
    case 'Error':
      // This cluster only, retried next tick: reported, never thrown (docs/contracts.md "Transient errors").
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
 * With the state table, one invocation at a time: each takes the reconcile lease until its own timeout, and
 * one that finds it held logs who holds it until when and returns without doing anything (not an error).
 */
export function createReconcileHandler(getDeps: DepsSource, logger: Logger, metrics?: Metrics) {
  const handler = middy((_event: unknown, context: Context, { signal }: { signal: AbortSignal }) =>
    perInvocation(signal, (own) => leasedPass(getDeps, context, own, logger, metrics)),
  ).use(injectLambdaContext(logger));
  return metrics ? handler.use(logMetrics(metrics)) : handler;
}

/** One reconcile pass, under the lease when the stack has the state table. */
async function leasedPass(
  getDeps: DepsSource,
  context: Context,
  signal: AbortSignal,
  logger: Logger,
  metrics: Metrics | undefined,
) {
  const deps = await getDeps();
  if (!deps.lease) return reconcilePass(deps, context, signal, logger, metrics);
  const now = deps.clock.now();
  const run = await withLease(
    deps.lease,
    deps.clock,
    {
      name: RECONCILE_LEASE,
      holder: `${context.functionName} request ${context.awsRequestId}`,
      // Lambda stops the invocation here whatever it is doing: the lease can end no later.
      until: now + context.getRemainingTimeInMillis(),
    },
    () => reconcilePass(deps, context, signal, logger, metrics),
    signal,
  );
  if (!run.ran) {
    logger.info(`reconcile lease held by ${describeHeld(run.heldBy, now)}: this tick does nothing`, {
      leaseHolder: run.heldBy.holder,
      leaseUntil: new Date(run.heldBy.until).toISOString(),
    });
    return { clusters: [], leaseHeldBy: run.heldBy };
  }
  if (!run.released) logger.warn('the reconcile lease had been taken over before this pass released it');
  return run.result;
}

/** One pass over every cluster, logged, counted and recorded in the registry. */
async function reconcilePass(
  deps: Awaited<ReturnType<DepsSource>>,
  context: Context,
  signal: AbortSignal,
  logger: Logger,
  metrics: Metrics | undefined,
): Promise<{ clusters: ProvisionOutcome[] }> {
  const announced = new Set<string>();
  const watched = { ...deps, events: noticingReady(deps.events, announced) };
  // What the run's listings showed of each cluster (none: no listing answered, nothing can look gone).
  let listed: Map<string, Cluster> | undefined;
  const onListing = (seen: Cluster[]) => {
    listed ??= new Map();
    for (const cluster of seen) listed.set(cluster.clusterId, cluster);
  };
  // Metered to the end: proving a gone cluster's row (keepRegistry) may GET the cluster.
  return meteringTidbApi(metrics, deps.tidb, async () => {
    const deadline = deadlineOf(context, deps.clock.now());
    const clusters = await reconcileStack(watched, { signal, deadline, onListing });
    for (const outcome of clusters) logOutcome(logger, outcome);
    const phases = phaseCounts(clusters);
    logger.info('reconcile pass finished', { phases });
    if (metrics) recordClustersByPhase(metrics, phases);
    if (deps.registry) {
      await keepRegistry({ ...deps, registry: deps.registry }, clusters, listed, announced, signal, logger);
    }
    return { clusters };
  });
}

/**
 * The registry after a run, from one read of its rows: phases (several VPCs: the cluster's row shows its most
 * pressing VPC), the rows of gone clusters given their expiry, and `Endpoint Ready` for a cluster whose row
 * turned Ready without any run announcing it.
 */
async function keepRegistry(
  deps: Awaited<ReturnType<DepsSource>> & { registry: ClusterRegistry },
  clusters: ProvisionOutcome[],
  listed: ReadonlyMap<string, Cluster> | undefined,
  announced: ReadonlySet<string>,
  signal: AbortSignal,
  logger: Logger,
): Promise<void> {
  const { registry, clock } = deps;
  const rows = new Map((await registry.list({ signal })).map((row) => [row.clusterId, row]));
  const becameReady = await recordPhases(registry, rows, perCluster(clusters), clock.now(), { signal });
  if (listed) {
    const reconciled = new Set(clusters.map((outcome) => outcome.clusterId));
    const expired = await expireGoneRows(deps, rows, { listed, reconciled }, clock.now(), { signal });
    if (expired.length > 0)
      logger.info('registry rows of gone clusters set to expire', { clusterIds: expired });
  }
  const unannounced = becameReady.filter((outcome) => !announced.has(outcome.clusterId));
  if (unannounced.length > 0)
    await deps.events.publish(
      unannounced.map((o) => endpointReady(o)),
      { signal },
    );
}

/** `events`, noting each cluster a `PrivateLink Endpoint Ready` goes out for. */
function noticingReady(events: EventsPort, announced: Set<string>): EventsPort {
  return {
    publish: async (published, options) => {
      await events.publish(published, options);
      for (const event of published)
        if (event.detailType === DETAIL_TYPES.endpointReady) announced.add(event.detail.clusterId);
    },
  };
}

/**
 * The reconcile publishes `TiDB Cluster Detected` after the pass in which it took the cluster's immediate
 * steps, and records the sighting first: a Detected event for a cluster the registry has seen needs no
 * second pass (which would only repeat three TiDB reads, from the one quota, for the same answer).
 */
async function alreadyInHand(deps: Awaited<ReturnType<DepsSource>>, event: unknown, clusterId: string) {
  return isEvent(event) && deps.registry !== undefined && (await deps.registry.get(clusterId)) !== undefined;
}

/** A `TiDB Cluster Detected` delivery, as opposed to a direct `{ clusterId }` invoke. */
const isEvent = (event: unknown): boolean => isDelivery(event, DETAIL_TYPES.clusterDetected);

/** The event-driven path: `TiDB Cluster Detected` (or a direct `{ clusterId }`) → one cluster to Ready in every VPC. */
export function createProvisionHandler(
  getDeps: DepsSource,
  logger: Logger,
  metrics?: Metrics,
  idempotency?: PersistenceSource,
) {
  const store = idempotency && { persistenceStore: idempotency, keyPrefix: 'provision' };
  const run = oncePerEvent(
    async (event: unknown, context: Context, signal: AbortSignal) => {
      const key = clusterKeyOf(event, PROVISION_TRIGGERS);
      const deps = await getDeps();
      if (await alreadyInHand(deps, event, key.clusterId)) {
        logger.info('cluster already in hand: the reconcile that detected it took its first steps', {
          clusterId: key.clusterId,
        });
        return { clusterId: key.clusterId, inHand: true };
      }
      // An event takes only the immediate steps, in one pass: the scheduled reconcile is the one poller for
      // every waiting cluster (one connections listing per pass for all of them). A person's direct invoke
      // is one request, not a fleet's worth: it keeps converging until the deadline.
      const outcomes = await meteringTidbApi(metrics, deps.tidb, () =>
        provisionStack(
          deps,
          { clusterId: key.clusterId, tidbNodeGroupId: key.tidbNodeGroupId },
          isEvent(event) ? { signal } : { signal, deadline: deadlineOf(context, deps.clock.now()) },
        ),
      );
      for (const outcome of outcomes) logOutcome(logger, outcome);
      // One VPC: the outcome itself, as before; several: one per VPC, shaped like the reconcile's answer.
      return outcomes.length === 1 ? outcomes[0] : { clusters: outcomes };
    },
    store,
    logger,
  );
  const handler = middy(async (event: unknown, context: Context, { signal }: { signal: AbortSignal }) => {
    // Validated before the idempotency record: a malformed event leaves nothing behind.
    clusterKeyOf(event, PROVISION_TRIGGERS);
    return perInvocation(signal, (own) => run(event, context, own));
  })
    .use(injectLambdaContext(logger))
    .use(rejectInvalidEvents(logger));
  return metrics ? handler.use(logMetrics(metrics)) : handler;
}
