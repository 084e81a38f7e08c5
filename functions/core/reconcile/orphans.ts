import { mapLimited } from '../concurrency.ts';
import { errorCodeOf, failureKind, TidbCloudNotFoundError } from '../errors.ts';
import {
  CLUSTER_ID_TAG,
  type Cluster,
  isOurs,
  NODE_GROUP_ID_TAG,
  ORPHANED_SINCE_TAG,
  type PrivateEndpointConnection,
  type VpcEndpoint,
} from '../model.ts';
import { type AppEvent, type CallOptions, DETAIL_TYPES } from '../ports.ts';
import * as fix from '../remediation.ts';
import { equivalentOf } from './equivalents.ts';
import { findConnection, GONE_STATES, type Snapshot } from './observe.ts';
import { deletesAt, deletionDue, planOrphan, type Verdict } from './orphan-plan.ts';
import type { AppliedAction, OrphanAction, PlannedAction, ProvisionOutcome, ReconcileDeps } from './types.ts';

/** A cluster in these states is gone or going: proof enough that what was made for it is no longer needed. */
export const CLUSTER_GONE: ReadonlySet<string> = new Set(['DELETING', 'DELETED']);
/** Clusters judged, and orphans handled, at once: a fleet-wide deletion stays within the APIs' pace. */
const CONCURRENCY = 4;

const groupOf = (endpoint: VpcEndpoint) => endpoint.tags[NODE_GROUP_ID_TAG] ?? '';
const clusterOf = (endpoint: VpcEndpoint) => endpoint.tags[CLUSTER_ID_TAG] ?? '';

function hasGroup(cluster: Cluster, tidbNodeGroupId: string): boolean {
  return cluster.nodeGroups.some((group) => group.tidbNodeGroupId === tidbNodeGroupId);
}

/**
 * From the listing alone: endpoints whose cluster is absent, going, or lacks the node group (not yet proof),
 * and every endpoint already marked (a GET decides whether its cluster came back). Only this stack's, only in
 * its VPC: another stack's endpoint and an unmanaged one are never judged.
 */
function suspects(deps: Pick<ReconcileDeps, 'settings'>, snapshot: Snapshot): Map<string, VpcEndpoint[]> {
  const { vpcId, stackName } = deps.settings;
  const listed = new Map(snapshot.clusters.map((cluster) => [cluster.clusterId, cluster]));
  const byCluster = new Map<string, VpcEndpoint[]>();
  for (const endpoint of snapshot.endpoints) {
    if (endpoint.vpcId !== vpcId || !isOurs(endpoint, stackName) || GONE_STATES.has(endpoint.state)) continue;
    const cluster = listed.get(clusterOf(endpoint));
    const suspicious =
      endpoint.tags[ORPHANED_SINCE_TAG] !== undefined ||
      !cluster ||
      CLUSTER_GONE.has(cluster.state) ||
      (cluster.nodeGroups.length > 0 && !hasGroup(cluster, groupOf(endpoint)));
    if (suspicious) {
      const id = clusterOf(endpoint);
      byCluster.set(id, [...(byCluster.get(id) ?? []), endpoint]);
    }
  }
  return byCluster;
}

/**
 * One GET of a cluster: `gone` (why) on proof (404, DELETING or DELETED), else the cluster as it answered;
 * undefined when the read failed, which proves nothing either way.
 */
export async function readCluster(
  deps: Pick<ReconcileDeps, 'tidb'>,
  clusterId: string,
  options: CallOptions,
): Promise<{ gone: string } | { cluster: Cluster } | undefined> {
  let cluster: Cluster;
  try {
    cluster = await deps.tidb.getCluster(clusterId, options);
  } catch (error) {
    if (error instanceof TidbCloudNotFoundError)
      return { gone: `TiDB Cloud has no cluster ${clusterId} (404)` };
    return undefined;
  }
  return CLUSTER_GONE.has(cluster.state) ? { gone: `cluster ${clusterId} is ${cluster.state}` } : { cluster };
}

/**
 * Verdicts for the endpoints of one cluster, from a GET of that cluster: 404, DELETING/DELETED or the node
 * group gone is proof; a cluster that answers and has the group is alive (a deselected cluster is alive).
 * Absence from a listing scoped by project is never proof, and a failed read judges nothing.
 */
async function judge(
  deps: Pick<ReconcileDeps, 'tidb'>,
  clusterId: string,
  endpoints: VpcEndpoint[],
  options: CallOptions,
): Promise<Verdict[]> {
  const read = await readCluster(deps, clusterId, options);
  if (!read) return [];
  if ('gone' in read) return endpoints.map((endpoint) => ({ kind: 'orphaned', endpoint, why: read.gone }));
  const { cluster } = read;
  const groups =
    cluster.nodeGroups.length > 0
      ? cluster.nodeGroups
      : await deps.tidb.listNodeGroups(clusterId, options).catch(() => undefined);
  if (!groups) return [];
  const known = { ...cluster, nodeGroups: groups };
  return endpoints.map((endpoint) =>
    hasGroup(known, groupOf(endpoint))
      ? { kind: 'alive', endpoint }
      : {
          kind: 'orphaned',
          endpoint,
          why: `cluster ${clusterId} has no TiDB node group ${groupOf(endpoint)}`,
        },
  );
}

/** Read only: a verdict for every suspect endpoint that could be judged (also what `status` shows). */
export async function judgeOrphans(
  deps: Pick<ReconcileDeps, 'tidb' | 'settings'>,
  snapshot: Snapshot,
  options: CallOptions,
): Promise<Verdict[]> {
  const verdicts = await mapLimited([...suspects(deps, snapshot)], CONCURRENCY, ([clusterId, endpoints]) =>
    judge(deps, clusterId, endpoints, options),
  );
  return verdicts.flat();
}

/** TiDB's connection for an orphan about to be deleted: from the pass's listing, else asked (404: none). */
async function connectionOf(
  deps: ReconcileDeps,
  snapshot: Snapshot,
  endpoint: VpcEndpoint,
  options: CallOptions,
): Promise<PrivateEndpointConnection | undefined> {
  const listed = findConnection(snapshot.connections, endpoint.vpcEndpointId);
  if (listed) return listed;
  const scope = { clusterId: clusterOf(endpoint), tidbNodeGroupId: groupOf(endpoint) };
  const connections = await deps.tidb.listConnections(scope, options).catch((error: unknown) => {
    if (error instanceof TidbCloudNotFoundError) return [];
    throw error;
  });
  return findConnection(connections, endpoint.vpcEndpointId);
}

/** Runs one orphan action for real, only ever on this stack's own endpoint. */
async function execute(
  deps: ReconcileDeps,
  endpoint: VpcEndpoint,
  action: OrphanAction,
  options: CallOptions,
): Promise<void> {
  if (!isOurs(endpoint, deps.settings.stackName) || endpoint.vpcEndpointId !== action.vpcEndpointId) {
    throw new Error(`Refusing to change ${action.vpcEndpointId}: it is not this stack's endpoint.`);
  }
  switch (action.type) {
    case 'mark-orphaned':
      return deps.ec2.tagResource(
        action.vpcEndpointId,
        { [ORPHANED_SINCE_TAG]: action.orphanedSince },
        options,
      );
    case 'clear-orphaned':
      return deps.ec2.deleteTags(action.vpcEndpointId, [ORPHANED_SINCE_TAG], options);
    case 'delete-connection':
      // Already gone (with its cluster, or by hand) is what was wanted.
      return deps.tidb
        .deleteConnection(clusterOf(endpoint), groupOf(endpoint), action.privateEndpointConnectionId, options)
        .catch((error: unknown) => {
          if (!(error instanceof TidbCloudNotFoundError)) throw error;
        });
    case 'delete-endpoint':
      return deps.ec2.deleteVpcEndpoints([action.vpcEndpointId], options);
  }
}

export interface OrphanOptions extends CallOptions {
  /** Plan only: record each action with its equivalent, change nothing, publish nothing. */
  dryRun?: boolean;
}

/** One endpoint's result: its outcome when orphaned, or a cleared mark to attach to its cluster's outcome. */
export type OrphanResult =
  | { kind: 'orphan'; outcome: ProvisionOutcome; events: AppEvent[] }
  | { kind: 'cleared'; clusterId: string; tidbNodeGroupId: string; action: AppliedAction | PlannedAction };

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

function eventsOf(
  verdict: Extract<Verdict, { kind: 'orphaned' }>,
  actions: OrphanAction[],
  deps: ReconcileDeps,
) {
  const { endpoint, why } = verdict;
  const base = {
    clusterId: clusterOf(endpoint),
    tidbNodeGroupId: groupOf(endpoint),
    vpcEndpointId: endpoint.vpcEndpointId,
    vpcId: endpoint.vpcId,
    reason: why,
  };
  const connection = actions.find((action) => action.type === 'delete-connection');
  return actions.flatMap((action): AppEvent[] => {
    if (action.type === 'mark-orphaned') {
      const due = deps.settings.deleteOrphansAfterMs;
      const at = due === undefined ? null : iso(Date.parse(action.orphanedSince) + due);
      return [
        {
          detailType: DETAIL_TYPES.endpointOrphaned,
          detail: { ...base, orphanedSince: action.orphanedSince, deletesAt: at },
        },
      ];
    }
    if (action.type !== 'delete-endpoint') return [];
    return [
      {
        detailType: DETAIL_TYPES.endpointDeleted,
        detail: {
          ...base,
          orphanedSince: endpoint.tags[ORPHANED_SINCE_TAG] ?? null,
          privateEndpointConnectionId: connection?.privateEndpointConnectionId ?? null,
        },
      },
    ];
  });
}

function orphanOutcome(
  deps: ReconcileDeps,
  verdict: Extract<Verdict, { kind: 'orphaned' }>,
  actions: OrphanAction[],
  done: { actions: AppliedAction[]; plannedActions?: PlannedAction[] },
): ProvisionOutcome {
  const { endpoint, why } = verdict;
  const mark = actions.find((action) => action.type === 'mark-orphaned');
  const since = mark?.orphanedSince ?? endpoint.tags[ORPHANED_SINCE_TAG];
  const deleted = actions.some((action) => action.type === 'delete-endpoint');
  const due = deletesAt(
    { ...endpoint, tags: { ...endpoint.tags, [ORPHANED_SINCE_TAG]: since ?? '' } },
    deps.settings.deleteOrphansAfterMs,
  );
  const outcome: ProvisionOutcome = {
    clusterId: clusterOf(endpoint),
    tidbNodeGroupId: groupOf(endpoint),
    phase: 'Orphaned',
    vpcEndpointId: endpoint.vpcEndpointId,
    ...done,
    message: `Endpoint ${endpoint.vpcEndpointId} belongs to this stack but ${why}.${deleted ? ' Its grace period is over: deleting it, its TiDB connection first.' : ''}`,
    ...(deleted ? {} : { remediation: fix.orphanedEndpoint(endpoint.vpcEndpointId, iso(due)) }),
  };
  if (since) outcome.orphanedSince = since;
  if (!deleted && due !== undefined) outcome.deletesAt = iso(due);
  return outcome;
}

/** A step that failed: this endpoint's outcome, as for a cluster (docs/contracts.md "Transient errors"). */
function failed(endpoint: VpcEndpoint, error: unknown, options: CallOptions): ProvisionOutcome {
  const kind = failureKind(error);
  if (kind === 'pass' || options.signal?.aborted) throw error;
  const message = error instanceof Error ? error.message : String(error);
  const base = {
    clusterId: clusterOf(endpoint),
    tidbNodeGroupId: groupOf(endpoint),
    vpcEndpointId: endpoint.vpcEndpointId,
    actions: [],
  };
  if (kind === 'refused') {
    const remediation = fix.orphanStepRefused(endpoint.vpcEndpointId);
    return { ...base, phase: 'Blocked', reason: 'API_REFUSED', message, remediation };
  }
  return { ...base, phase: 'Error', error: { code: errorCodeOf(error), message } };
}

async function handle(
  deps: ReconcileDeps,
  snapshot: Snapshot,
  verdict: Verdict,
  options: OrphanOptions,
): Promise<OrphanResult[]> {
  const now = deps.clock.now();
  const after = deps.settings.deleteOrphansAfterMs;
  const { endpoint } = verdict;
  try {
    const connection = deletionDue(verdict, now, after)
      ? await connectionOf(deps, snapshot, endpoint, options)
      : undefined;
    const actions = planOrphan(verdict, now, after, connection);
    const context = {
      region: deps.settings.region,
      clusterId: clusterOf(endpoint),
      tidbNodeGroupId: groupOf(endpoint),
    };
    const applied: AppliedAction[] = [];
    const planned: PlannedAction[] = [];
    for (const action of actions) {
      if (options.dryRun) {
        planned.push({ ...action, equivalent: equivalentOf(action, context) });
      } else {
        await execute(deps, endpoint, action, options);
        applied.push({ ...action, at: new Date(deps.clock.now()).toISOString() });
      }
    }
    if (verdict.kind === 'alive') {
      const action = options.dryRun ? planned[0] : applied[0];
      return action ? [{ kind: 'cleared', ...context, action }] : [];
    }
    const done = options.dryRun ? { actions: [], plannedActions: planned } : { actions: applied };
    const outcome = orphanOutcome(deps, verdict, actions, done);
    return [{ kind: 'orphan', outcome, events: options.dryRun ? [] : eventsOf(verdict, actions, deps) }];
  } catch (error) {
    return [{ kind: 'orphan', outcome: failed(endpoint, error, options), events: [] }];
  }
}

/**
 * This stack's endpoints whose cluster or node group is gone, from the EC2 listing the pass already made:
 * marked `orphaned-since` when first proven, deleted with their TiDB connection once
 * `PRIVATELINK_DELETE_ORPHANS_AFTER_H` has passed (only if set), unmarked when their cluster comes back.
 * Costs TiDB calls only for suspects and marked endpoints, none on a healthy fleet. Publishes its events.
 */
export async function handleOrphans(
  deps: ReconcileDeps,
  snapshot: Snapshot,
  options: OrphanOptions,
): Promise<OrphanResult[]> {
  const verdicts = await judgeOrphans(deps, snapshot, options);
  const results = (
    await mapLimited(verdicts, CONCURRENCY, (verdict) => handle(deps, snapshot, verdict, options))
  ).flat();
  const events = results.flatMap((result) => (result.kind === 'orphan' ? result.events : []));
  if (events.length > 0) await deps.events.publish(events, options);
  return results;
}

/** The orphans' outcomes, and each cleared mark attached to the outcome of its (live) cluster. */
export function mergeOrphanResults(
  outcomes: ProvisionOutcome[],
  results: OrphanResult[],
): ProvisionOutcome[] {
  const merged = outcomes.map((outcome) => ({ ...outcome }));
  for (const result of results) {
    if (result.kind !== 'cleared') continue;
    const owner = merged.find(
      (o) => o.clusterId === result.clusterId && o.tidbNodeGroupId === result.tidbNodeGroupId,
    );
    if (!owner) continue;
    if ('equivalent' in result.action)
      owner.plannedActions = [...(owner.plannedActions ?? []), result.action];
    else owner.actions = [...owner.actions, result.action];
  }
  return [...merged, ...results.flatMap((result) => (result.kind === 'orphan' ? [result.outcome] : []))];
}
