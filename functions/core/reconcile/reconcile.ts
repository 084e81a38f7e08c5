import { mapLimited } from '../concurrency.ts';
import { awsRegionOf, type Cluster } from '../model.ts';
import type { AppEvent, CallOptions } from '../ports.ts';
import { selects } from '../selection.ts';
import { apply } from './apply.ts';
import { eventsFor } from './events.ts';
import {
  DetailReader,
  observationOf,
  observeAll,
  observeOne,
  resolveNodeGroup,
  type Snapshot,
} from './observe.ts';
import { plan } from './plan.ts';
import type {
  AppliedAction,
  Decision,
  Observation,
  ProvisionOutcome,
  ReconcileDeps,
  ReconcileKey,
} from './types.ts';

/** More actions than the guide has steps means a bug, not progress: stop rather than loop. */
const MAX_STEPS = 6;
/** Concurrent clusters per pass: EC2's CreateVpcEndpoint bucket holds 4 tokens. */
const CONCURRENCY = 4;

export interface RunOptions extends CallOptions {
  /** Keep re-observing while Progressing, until this instant (clock ms). Absent: one pass. */
  deadline?: number;
}

function outcomeOf(observed: Observation, decision: Decision, actions: AppliedAction[]): ProvisionOutcome {
  const base = {
    clusterId: observed.cluster.clusterId,
    tidbNodeGroupId: observed.tidbNodeGroupId,
    vpcEndpointId: observed.endpoint?.vpcEndpointId ?? null,
    actions,
  };
  const skipped = actions.find((action) => action.type === 'create-endpoint');
  const skippedSubnets =
    skipped?.type === 'create-endpoint' && skipped.skippedSubnets.length > 0
      ? skipped.skippedSubnets
      : undefined;
  switch (decision.kind) {
    case 'ready':
      return { ...base, phase: 'Ready', skippedSubnets };
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

/** observe details → plan → apply, until the plan says wait, ready or blocked. */
async function converge(
  deps: ReconcileDeps,
  start: Observation,
  reader: DetailReader,
  options: CallOptions,
): Promise<ProvisionOutcome> {
  const actions: AppliedAction[] = [];
  let observed = start;
  for (let step = 0; step < MAX_STEPS; step++) {
    observed = await reader.complete(observed);
    const decision = plan(observed, deps.settings);
    if (decision.kind !== 'act') return outcomeOf(observed, decision, actions);
    const result = await apply(deps, observed, decision.action, options);
    if (result.kind === 'blocked') return outcomeOf(observed, result, actions);
    actions.push(result.applied);
    observed = result.observed;
  }
  return outcomeOf(
    observed,
    { kind: 'wait', waitingFor: 'the next reconcile (step limit reached)' },
    actions,
  );
}

/** Clusters this stack looks after: AWS, this region, not gone. */
export function inScope(cluster: Cluster, region: string): boolean {
  return awsRegionOf(cluster.regionId) === region && cluster.state !== 'DELETED';
}

/** Combines the passes of one run: all actions taken, and the latest verdict. */
function mergeRuns(previous: ProvisionOutcome | undefined, latest: ProvisionOutcome): ProvisionOutcome {
  if (!previous) return latest;
  const actions = [...previous.actions, ...latest.actions];
  return { ...latest, actions, skippedSubnets: latest.skippedSubnets ?? previous.skippedSubnets };
}

async function pass(
  deps: ReconcileDeps,
  snapshot: Snapshot,
  keys: ReconcileKey[],
  options: CallOptions,
): Promise<Array<{ outcome: ProvisionOutcome; start: Observation }>> {
  const reader = new DetailReader(deps, options);
  return mapLimited(keys, CONCURRENCY, async (key) => {
    const cluster = snapshot.clusters.find((candidate) => candidate.clusterId === key.clusterId);
    if (!cluster) throw new Error(`cluster ${key.clusterId} vanished from the snapshot`);
    const nodeGroupId = await resolveNodeGroup(deps, cluster, key.tidbNodeGroupId, options);
    const start = observationOf(cluster, nodeGroupId, snapshot, deps.settings.vpcId);
    return { outcome: await converge(deps, start, reader, options), start };
  });
}

/** Sleeps one poll interval if the deadline leaves room for another pass after it. */
async function waitForNextPass(deps: ReconcileDeps, options: RunOptions): Promise<boolean> {
  const { deadline, signal } = options;
  if (
    deadline === undefined ||
    deps.clock.now() + deps.settings.pollIntervalMs >= deadline ||
    signal?.aborted
  ) {
    return false;
  }
  await deps.clock.sleep(deps.settings.pollIntervalMs, signal);
  return true;
}

async function runPasses(
  deps: ReconcileDeps,
  observe: () => Promise<Snapshot>,
  selectKeys: (snapshot: Snapshot) => ReconcileKey[],
  options: RunOptions & { detect: boolean },
): Promise<ProvisionOutcome[]> {
  const merged = new Map<string, ProvisionOutcome>();
  let pending: ReconcileKey[] | undefined;
  do {
    const snapshot = await observe();
    const keys = pending ?? selectKeys(snapshot);
    const results = await pass(deps, snapshot, keys, options);
    const events: AppEvent[] = [];
    for (const { outcome, start } of results) {
      const previous = merged.get(outcome.clusterId);
      events.push(...eventsFor(outcome, start, options.detect && previous === undefined));
      merged.set(outcome.clusterId, mergeRuns(previous, outcome));
    }
    await deps.events.publish(events, options);
    pending = results
      .filter(({ outcome }) => outcome.phase === 'Progressing')
      .map(({ outcome }) => ({
        clusterId: outcome.clusterId,
        tidbNodeGroupId: outcome.tidbNodeGroupId,
      }));
  } while (pending.length > 0 && (await waitForNextPass(deps, options)));
  return [...merged.values()];
}

/**
 * What the schedule runs: every cluster in scope, from one batch of list calls. With a deadline, keeps
 * converging Progressing clusters without waiting for the next tick.
 */
export function reconcileAll(deps: ReconcileDeps, options: RunOptions = {}): Promise<ProvisionOutcome[]> {
  return runPasses(
    deps,
    () => observeAll(deps, options),
    (snapshot) =>
      snapshot.clusters
        .filter((cluster) => inScope(cluster, deps.settings.region))
        .filter((cluster) => selects(deps.settings.selection, cluster))
        .map((cluster) => ({ clusterId: cluster.clusterId })),
    { ...options, detect: true },
  );
}

/** One cluster (CLI `provision`, event-driven path). Out-of-scope clusters come back Blocked with the fix. */
export async function provision(
  deps: ReconcileDeps,
  key: ReconcileKey,
  options: RunOptions = {},
): Promise<ProvisionOutcome> {
  const [outcome] = await runPasses(
    deps,
    () => observeOne(deps, key, options),
    () => [key],
    { ...options, detect: false },
  );
  if (!outcome) throw new Error(`no outcome for cluster ${key.clusterId}`);
  return outcome;
}
