import { mapLimited } from '../concurrency.ts';
import { AppError, errorCodeOf, failureKind, SpokeAccessDeniedError, UsageError } from '../errors.ts';
import { awsRegionOf, type Cluster, defaultNodeGroup } from '../model.ts';
import type { CallOptions } from '../ports.ts';
import * as fix from '../remediation.ts';
import { selects } from '../selection.ts';
import { apply } from './apply.ts';
import { type Bookkeeper, keepBooks } from './bookkeeping.ts';
import { PlanRecorder, type Step } from './dry-run.ts';
import { eventsFor } from './events.ts';
import {
  DetailReader,
  newRunMemory,
  observationOf,
  observeAll,
  observeOne,
  type RunMemory,
  resolveNodeGroup,
  type Snapshot,
} from './observe.ts';
import { handleOrphans, mergeOrphanResults } from './orphans.ts';
import { plan, zoneNotes } from './plan.ts';
import { retryPassRead } from './retry-read.ts';
import type {
  AppliedAction,
  Decision,
  Observation,
  ProvisionOutcome,
  ReconcileDeps,
  ReconcileKey,
  ReconcileSettings,
} from './types.ts';

/** More actions than the guide has steps means a bug, not progress: stop rather than loop. */
const MAX_STEPS = 6;
/** Concurrent clusters per pass: EC2's CreateVpcEndpoint bucket holds 4 tokens. */
const CONCURRENCY = 4;

export interface RunOptions extends CallOptions {
  /** Keep re-observing while Progressing, until this instant (clock ms). Absent: one pass. */
  deadline?: number;
  /** Plan mode: observe and plan, record every action with its equivalent, change nothing (dry-run.ts). */
  dryRun?: boolean;
  /**
   * Told every cluster each listing of a full reconcile answered (`reconcileAll`), so the caller can tell a
   * cluster gone from the listing from one merely not reconciled (see functions/app/provisioning.ts).
   */
  onListing?: (clusters: Cluster[]) => void;
}

function outcomeOf(
  observed: Observation,
  decision: Decision,
  actions: AppliedAction[],
  moreNotes: string[] = [],
): ProvisionOutcome {
  const notes = [...zoneNotes(observed), ...moreNotes];
  const base = {
    clusterId: observed.cluster.clusterId,
    tidbNodeGroupId: observed.tidbNodeGroupId,
    vpcEndpointId: observed.endpoint?.vpcEndpointId ?? null,
    actions,
    ...(notes.length > 0 ? { notes } : {}),
  };
  const subnetChoice = actions.findLast(
    (action) => action.type === 'create-endpoint' || action.type === 'modify-endpoint-subnets',
  );
  const skippedSubnets =
    subnetChoice && 'skippedSubnets' in subnetChoice && subnetChoice.skippedSubnets.length > 0
      ? subnetChoice.skippedSubnets
      : undefined;
  switch (decision.kind) {
    case 'ready':
      return { ...base, phase: 'Ready', skippedSubnets };
    case 'idle':
      return { ...base, phase: 'Idle', message: decision.why };
    case 'blocked':
      return {
        ...base,
        phase: 'Blocked',
        reason: decision.reason,
        message: decision.message,
        remediation: decision.remediation,
      };
    default:
      return {
        ...base,
        phase: 'Progressing',
        waitingFor: decision.kind === 'wait' ? decision.waitingFor : 'next step',
        skippedSubnets,
      };
  }
}

/** How a run acts: `apply` and bookkeeping, or the dry run's recorder and none. */
interface Executor {
  act: Step;
  keepBooks?: Bookkeeper;
}

/**
 * observe details → plan → act, until the plan says wait, ready or blocked; then the bookkeeping, which
 * changes neither the verdict nor the actions.
 */
async function converge(
  deps: ReconcileDeps,
  start: Observation,
  reader: DetailReader,
  { act, keepBooks }: Executor,
  options: CallOptions,
): Promise<{ outcome: ProvisionOutcome; last: Observation }> {
  const actions: AppliedAction[] = [];
  let observed = start;
  for (let step = 0; step < MAX_STEPS; step++) {
    observed = await reader.complete(observed);
    const decision = plan(observed, deps.settings, deps.clock.now());
    if (decision.kind !== 'act') {
      const notes = keepBooks ? await keepBooks(deps, observed, options) : [];
      return { outcome: outcomeOf(observed, decision, actions, notes), last: observed };
    }
    const result = await act(deps, observed, decision.action, options);
    if (result.kind === 'blocked') return { outcome: outcomeOf(observed, result, actions), last: observed };
    actions.push(result.applied);
    observed = result.observed;
    reader.remember(observed);
  }
  const waiting = { kind: 'wait', waitingFor: 'the next reconcile (step limit reached)' } as const;
  return { outcome: outcomeOf(observed, waiting, actions), last: observed };
}

/** Clusters this stack looks after: AWS, this region, not gone or going (their endpoints may be orphans). */
export function inScope(cluster: Cluster, region: string): boolean {
  return awsRegionOf(cluster.regionId) === region && !['DELETING', 'DELETED'].includes(cluster.state);
}

/** Combines the passes of one run: all actions taken, and the latest verdict. */
function mergeRuns(previous: ProvisionOutcome | undefined, latest: ProvisionOutcome): ProvisionOutcome {
  if (!previous) return latest;
  const actions = [...previous.actions, ...latest.actions];
  return { ...latest, actions, skippedSubnets: latest.skippedSubnets ?? previous.skippedSubnets };
}

interface KeyResult {
  outcome: ProvisionOutcome;
  /** What the pass started from; absent when the cluster failed before it could be observed. */
  start?: Observation;
  /** What the pass ended with (what `Endpoint Ready` passes on to the probe). */
  last?: Observation;
  /** Not reached before the deadline: an earlier pass's outcome, if any, stands. */
  deferred?: true;
}

async function reconcileKey(
  deps: ReconcileDeps,
  snapshot: Snapshot,
  key: ReconcileKey,
  reader: DetailReader,
  executor: Executor,
  options: CallOptions,
): Promise<KeyResult> {
  const cluster = snapshot.clusters.find((candidate) => candidate.clusterId === key.clusterId);
  if (!cluster) throw new AppError('CLUSTER_VANISHED', `Cluster ${key.clusterId} vanished from the listing.`);
  const nodeGroupId = await resolveNodeGroup(deps, cluster, key.tidbNodeGroupId, options).catch(
    (error: unknown) => {
      // A cluster TiDB is still building has no node group yet: that is waiting, not failing.
      if (error instanceof UsageError && !key.tidbNodeGroupId) return undefined;
      throw error;
    },
  );
  if (nodeGroupId === undefined) {
    const waiting = {
      kind: 'wait',
      waitingFor: `cluster ${cluster.clusterId} to have a TiDB node group`,
    } as const;
    const observed = { cluster, tidbNodeGroupId: '' };
    return { outcome: outcomeOf(observed, waiting, []) };
  }
  const start = observationOf(cluster, nodeGroupId, snapshot, deps.settings);
  const { outcome, last } = await converge(deps, start, reader, executor, options);
  return { outcome, start, last: reader.withKnownService(last) };
}

/**
 * One cluster's failure is that cluster's outcome, never the pass's (docs/contracts.md): a refusal is Blocked with the
 * API's text, anything else Error for this pass. Only what stops every cluster alike is rethrown.
 */
export function failedOutcome(
  key: ReconcileKey,
  snapshot: Snapshot,
  error: unknown,
  options: CallOptions,
): ProvisionOutcome {
  const kind = failureKind(error);
  if (kind === 'pass' || options.signal?.aborted) throw error;
  const message = error instanceof Error ? error.message : String(error);
  const cluster = snapshot.clusters.find((candidate) => candidate.clusterId === key.clusterId);
  const base = {
    clusterId: key.clusterId,
    tidbNodeGroupId: key.tidbNodeGroupId ?? (cluster && defaultNodeGroup(cluster)?.tidbNodeGroupId) ?? '',
    vpcEndpointId: null,
    actions: [],
  };
  if (error instanceof SpokeAccessDeniedError) {
    return {
      ...base,
      phase: 'Blocked',
      reason: 'SPOKE_ACCESS_DENIED',
      message,
      remediation: error.remediation,
    };
  }
  if (kind === 'refused') {
    return {
      ...base,
      phase: 'Blocked',
      reason: 'API_REFUSED',
      message,
      remediation: fix.apiRefused(key.clusterId, key.tidbNodeGroupId),
    };
  }
  return { ...base, phase: 'Error', error: { code: errorCodeOf(error), message } };
}

/**
 * A cluster the pass did not reach before the run's deadline: Progressing, from the listing alone (no call),
 * for the next run. Without a `start` it raises no `TiDB Cluster Detected`: the run that handles it does.
 */
function deferredOutcome(key: ReconcileKey, snapshot: Snapshot, settings: ReconcileSettings): KeyResult {
  const cluster = snapshot.clusters.find((candidate) => candidate.clusterId === key.clusterId);
  const tidbNodeGroupId =
    key.tidbNodeGroupId ?? (cluster && defaultNodeGroup(cluster)?.tidbNodeGroupId) ?? '';
  const waiting = { kind: 'wait', waitingFor: 'the next reconcile (this one ran out of time)' } as const;
  if (!cluster) {
    const outcome = { clusterId: key.clusterId, tidbNodeGroupId, vpcEndpointId: null, actions: [] };
    return { outcome: { ...outcome, phase: 'Progressing', waitingFor: waiting.waitingFor }, deferred: true };
  }
  const observed = observationOf(cluster, tidbNodeGroupId, snapshot, settings);
  return { outcome: outcomeOf(observed, waiting, []), deferred: true };
}

/**
 * No cluster starts this close to the deadline: one started then still takes its requests from the shared
 * budget, behind the rest of the stack's, and at 1,000 clusters (the budget full) such clusters ran up to
 * 19 s past a deadline 10 s before the Lambda timeout.
 */
export const CLUSTER_START_MARGIN_MS = 20_000;

/**
 * One pass over `keys`, each cluster's result handed to `settle` as soon as it is known, so its events go out
 * then rather than after the slowest cluster. With a deadline, a cluster not started by then is deferred: at
 * 1,000 new clusters one pass needs the quota for 20 minutes, and a pass that outran the Lambda timeout
 * would lose every event it had earned.
 */
async function pass(
  deps: ReconcileDeps,
  snapshot: Snapshot,
  keys: ReconcileKey[],
  executor: Executor,
  options: RunOptions,
  memory: RunMemory,
  settle: (result: KeyResult) => Promise<void>,
): Promise<KeyResult[]> {
  const reader = new DetailReader(deps, options, memory);
  const outOfTime = () => deps.clock.now() >= lastStart(options);
  // A cluster whose events could not be sent must not starve the clusters after it: the pass goes on, and
  // the run fails with that error once every cluster has had its turn (a lost event is never silent).
  let unsettled: { error: unknown } | undefined;
  const results = await mapLimited(keys, CONCURRENCY, async (key) => {
    const result = outOfTime()
      ? deferredOutcome(key, snapshot, deps.settings)
      : await reconcileKey(deps, snapshot, key, reader, executor, options).catch((error: unknown) => ({
          outcome: failedOutcome(key, snapshot, error, options),
        }));
    await settle(result).catch((error: unknown) => {
      unsettled ??= { error };
    });
    return result;
  });
  if (unsettled) throw unsettled.error;
  return results;
}

/** `provision --cluster` of a paused cluster: Blocked with the resume command (docs/contracts.md). */
function pausedAsBlocked({ outcome, start }: KeyResult): ProvisionOutcome {
  if (outcome.phase !== 'Idle' || !start) return outcome;
  const { clusterId, state } = start.cluster;
  return {
    ...outcome,
    phase: 'Blocked',
    reason: 'CLUSTER_PAUSED',
    remediation: fix.clusterNotActive(clusterId, state),
  };
}

/** Items per page of the API's list calls. */
const PAGE_SIZE = 100;
/** Polling may use at most this share of the stack's quota, leaving the rest to registrations. */
export const POLL_SHARE = 1 / 3;

/**
 * The wait before the next pass: the poll interval, or longer when a pass's listings (pages of clusters
 * and of connections) would otherwise spend more than a third of the quota, so with 1,000 waiting
 * clusters the registrations still get two thirds of every minute.
 */
export function pollIntervalFor(settings: ReconcileSettings, snapshot: Snapshot): number {
  if (!settings.requestsPerMinute) return settings.pollIntervalMs;
  const pages = (items: number) => Math.max(1, Math.ceil(items / PAGE_SIZE));
  const perPass = pages(snapshot.clusters.length) + pages(snapshot.connections.length);
  const adaptive = Math.ceil((perPass * 60_000) / (settings.requestsPerMinute * POLL_SHARE));
  return Math.max(settings.pollIntervalMs, adaptive);
}

/** The longest a run waits between passes in which nothing happened. */
export const QUIET_POLL_CAP_MS = 20_000;

/**
 * The wait after `quietPasses` passes in a row took no step: doubled each time, up to QUIET_POLL_CAP_MS (or
 * the interval itself, if longer). TiDB's System Checking takes minutes; a pass that only sees it continue
 * costs its listings all the same, so a run that keeps waiting looks less often, and a step resets the pace.
 */
export function quietInterval(intervalMs: number, quietPasses: number): number {
  const doubled = intervalMs * 2 ** Math.max(0, quietPasses - 1);
  return Math.min(doubled, Math.max(intervalMs, QUIET_POLL_CAP_MS));
}

/**
 * Whether a pass counts towards the quiet back-off: it took no step, and no cluster in it waits for its
 * private link service. The back-off is for the long waits a pass only sees continue (System Checking, a
 * cluster still CREATING), where a later look delays one cluster by at most the interval. A service's arrival
 * starts the quota-bound part instead (a service read and a registration per cluster, through the one
 * budget): seen 15 s late, it made every cluster of a fleet created at once 15 s later, and at 100 clusters
 * the last registrations then missed the run's last pass. While services are pending the budget has nothing
 * else to do, and `pollIntervalFor` still keeps the listings within their third of it.
 */
export function isQuietPass(
  results: Array<{ outcome: ProvisionOutcome; last?: Observation }>,
  watchServices: boolean,
): boolean {
  return !results.some(
    ({ outcome, last }) => outcome.actions.length > 0 || (watchServices && awaitsService(outcome, last)),
  );
}

function awaitsService(outcome: ProvisionOutcome, last: Observation | undefined): boolean {
  return (
    outcome.phase === 'Progressing' &&
    last !== undefined &&
    last.endpoint === undefined &&
    last.cluster.state === 'ACTIVE' &&
    last.service?.state !== 'ACTIVE'
  );
}

/** The last instant a cluster or a pass may start (no deadline: any time). */
function lastStart({ deadline }: RunOptions): number {
  return deadline === undefined ? Number.POSITIVE_INFINITY : deadline - CLUSTER_START_MARGIN_MS;
}

/** Sleeps one poll interval if the deadline leaves room for another pass after it. */
async function waitForNextPass(
  deps: ReconcileDeps,
  options: RunOptions,
  intervalMs: number,
): Promise<boolean> {
  const { deadline, signal } = options;
  if (deadline === undefined || deps.clock.now() + intervalMs >= lastStart(options) || signal?.aborted) {
    return false;
  }
  await deps.clock.sleep(intervalMs, signal);
  return true;
}

/**
 * The next pass's snapshot. Only the first pass's failure is the run's (nothing was done yet); a later pass
 * whose listing fails for good ends the run with what the earlier passes did, the clusters it would have
 * followed marked with the failure (Error, or Blocked for a refusal), so the outcomes already earned, and the
 * orphan handling after them, are not lost to one failed read. Returns undefined when the run ends.
 */
async function observeOrSettle(
  observe: () => Promise<Snapshot>,
  last: Snapshot | undefined,
  pending: ReconcileKey[] | undefined,
  merged: Map<string, ProvisionOutcome>,
  options: CallOptions,
): Promise<Snapshot | undefined> {
  try {
    return await observe();
  } catch (error) {
    if (!last || !pending) throw error;
    for (const key of pending) {
      const previous = merged.get(key.clusterId);
      const failed = failedOutcome(key, last, error, options);
      // The endpoint the earlier passes found or made is still the cluster's.
      const kept = previous && {
        tidbNodeGroupId: previous.tidbNodeGroupId,
        vpcEndpointId: previous.vpcEndpointId,
      };
      merged.set(key.clusterId, mergeRuns(previous, { ...failed, ...kept }));
    }
    return undefined;
  }
}

async function runPasses(
  deps: ReconcileDeps,
  observe: () => Promise<Snapshot>,
  selectKeys: (snapshot: Snapshot) => ReconcileKey[],
  options: RunOptions & {
    detect: boolean;
    idleIsBlocked?: boolean;
    /**
     * No back-off while a cluster waits for its private link service (`isQuietPass`): for the scheduled
     * reconcile, whose fleet's registrations the service's arrival starts. One cluster (`provision --wait`)
     * is no fleet, and its pass costs three reads, not two listings.
     */
    watchServices?: boolean;
  },
): Promise<ProvisionOutcome[]> {
  const merged = new Map<string, ProvisionOutcome>();
  // A dry run records instead of acting, publishes nothing and makes one pass: nothing it waits for can change.
  const recorder = options.dryRun ? new PlanRecorder() : undefined;
  const executor: Executor = recorder ? { act: recorder.step } : { act: apply, keepBooks };
  // A service once ACTIVE is read once per run, not once per pass while its cluster waits; an endpoint is
  // registered once per run.
  const memory = newRunMemory(deps.services);
  let pending: ReconcileKey[] | undefined;
  let last: Snapshot | undefined;
  let intervalMs = deps.settings.pollIntervalMs;
  let quietPasses = 0;
  const settle = async (result: KeyResult) => {
    const outcome = options.idleIsBlocked ? pausedAsBlocked(result) : result.outcome;
    if (recorder) {
      merged.set(outcome.clusterId, recorder.outcomeOf(outcome));
      return;
    }
    const previous = merged.get(outcome.clusterId);
    if (result.deferred && previous) return;
    merged.set(outcome.clusterId, mergeRuns(previous, outcome));
    const events = eventsFor(outcome, result, options.detect && previous === undefined);
    // Safe to send again after a transient failure: every event carries its full state, and the rules'
    // targets are level-triggered (a batch sent before the failure may arrive twice, never wrong).
    if (events.length > 0) {
      await retryPassRead(() => deps.events.publish(events, options), deps.clock, options);
    }
  };
  do {
    const snapshot = await observeOrSettle(observe, last, pending, merged, options);
    if (!snapshot) break;
    last = snapshot;
    const keys = pending ?? selectKeys(snapshot);
    const results = await pass(deps, snapshot, keys, executor, options, memory, settle);
    quietPasses = isQuietPass(results, options.watchServices === true) ? quietPasses + 1 : 0;
    intervalMs = quietInterval(pollIntervalFor(deps.settings, snapshot), quietPasses);
    if (recorder) break;
    // A cluster in Error met a transient failure (a refusal is Blocked): it is tried again next pass, as one
    // still Progressing is, rather than waiting for the next tick.
    pending = results
      .filter(({ outcome }) => outcome.phase === 'Progressing' || outcome.phase === 'Error')
      .map(({ outcome }) => ({
        clusterId: outcome.clusterId,
        tidbNodeGroupId: outcome.tidbNodeGroupId,
      }));
  } while (pending.length > 0 && (await waitForNextPass(deps, options, intervalMs)));
  return [...merged.values()];
}

/** The clusters the scheduled reconcile acts on: in the stack's region and selected. */
export function selectedKeys(settings: ReconcileSettings, clusters: Cluster[]): ReconcileKey[] {
  return clusters
    .filter((cluster) => inScope(cluster, settings.region))
    .filter((cluster) => selects(settings.selection, cluster))
    .map((cluster) => ({ clusterId: cluster.clusterId }));
}

/**
 * What the schedule runs: every cluster in scope, from one batch of list calls, then this stack's endpoints
 * whose cluster is gone (marked, reported, deleted after the configured grace period; orphans.ts). With a
 * deadline, keeps converging Progressing clusters without waiting for the next tick. One cluster's failure
 * is that cluster's `Error`; only a pass that cannot run at all throws.
 */
export async function reconcileAll(
  deps: ReconcileDeps,
  options: RunOptions = {},
): Promise<ProvisionOutcome[]> {
  let first: Snapshot | undefined;
  const outcomes = await runPasses(
    deps,
    async () => {
      const snapshot = await observeAll(deps, options);
      first ??= snapshot;
      options.onListing?.(snapshot.clusters);
      return snapshot;
    },
    (snapshot) => selectedKeys(deps.settings, snapshot.clusters),
    { ...options, detect: true, watchServices: true },
  );
  const orphans = first ? await handleOrphans(deps, first, options) : [];
  return mergeOrphanResults(outcomes, orphans);
}

/**
 * One cluster (CLI `provision`, event-driven path). Out-of-scope clusters come back Blocked with the fix, and
 * so does a paused one: the user asked for that cluster, so the resume command is the answer, not silence.
 */
export async function provision(
  deps: ReconcileDeps,
  key: ReconcileKey,
  options: RunOptions = {},
): Promise<ProvisionOutcome> {
  const [outcome] = await runPasses(
    deps,
    () => observeOne(deps, key, options),
    () => [key],
    { ...options, detect: false, idleIsBlocked: true },
  );
  if (!outcome) throw new Error(`no outcome for cluster ${key.clusterId}`);
  return outcome;
}
