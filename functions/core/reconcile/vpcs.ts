/**
 * Several VPCs in one stack (`PRIVATELINK_VPCS`): one endpoint per cluster per VPC. The core reconciles one
 * (cluster, VPC) key at a time; this runs the single-VPC reconcile once per VPC, side by side (each may keep
 * converging until the deadline), and keeps `TiDB Cluster Detected` once per cluster, not once per VPC.
 * A spoke VPC (another account's) runs on that account's EC2 port, so its zones, subnets, endpoints and
 * orphans are that account's; its events carry `accountId`; and a spoke whose role cannot be assumed fails
 * its own (cluster, VPC) pairs only, while the other VPCs are reconciled all the same.
 */
import { failureKind } from '../errors.ts';
import type { Cluster } from '../model.ts';
import { type AppEvent, type CallOptions, DETAIL_TYPES, type EventsPort } from '../ports.ts';
import { eventsFor } from './events.ts';
import { failedOutcome, provision, type RunOptions, reconcileAll, selectedKeys } from './reconcile.ts';
import type { Phase, ProvisionOutcome, ReconcileDeps, ReconcileKey, VpcPlacement } from './types.ts';

/** The stack's VPCs; the settings' own VPC alone when no list is configured. */
export function vpcsOf(deps: ReconcileDeps): VpcPlacement[] {
  const { vpcs, vpcId, subnetIds, securityGroupIds } = deps.settings;
  return vpcs && vpcs.length > 0 ? vpcs : [{ vpcId, subnetIds, securityGroupIds }];
}

/** Passes every event on, except a cluster's second `TiDB Cluster Detected` within one run. */
class DetectedOnce implements EventsPort {
  private readonly detected = new Set<string>();

  constructor(private readonly inner: EventsPort) {}

  async publish(events: AppEvent[], options?: CallOptions): Promise<void> {
    const claimed: string[] = [];
    const kept = events.filter((event) => {
      if (event.detailType !== DETAIL_TYPES.clusterDetected) return true;
      const clusterId = String(event.detail.clusterId);
      if (this.detected.has(clusterId)) return false;
      this.detected.add(clusterId);
      claimed.push(clusterId);
      return true;
    });
    try {
      await this.inner.publish(kept, options);
    } catch (error) {
      // Not sent: a retry of this publish (reconcile.ts) must send the detection again, not drop it.
      for (const clusterId of claimed) this.detected.delete(clusterId);
      throw error;
    }
  }
}

/** A spoke's events: each (cluster, VPC) event names the account; `TiDB Cluster Detected` is the cluster's. */
class InAccount implements EventsPort {
  constructor(
    private readonly inner: EventsPort,
    private readonly accountId: string,
  ) {}

  publish(events: AppEvent[], options?: CallOptions): Promise<void> {
    const tagged = events.map((event) =>
      event.detailType === DETAIL_TYPES.clusterDetected
        ? event
        : { ...event, detail: { ...event.detail, accountId: this.accountId } },
    );
    return this.inner.publish(tagged, options);
  }
}

/** The clusters a VPC's run was about, for outcomes when the run itself could not start. */
type KeysOf = (
  deps: ReconcileDeps,
  options: CallOptions,
) => Promise<{ keys: ReconcileKey[]; clusters: Cluster[] }>;

/**
 * A spoke's run that could not start (its role refused: Blocked `SPOKE_ACCESS_DENIED`; STS throttled or
 * down: Error): each of its pairs gets that failure as its outcome, and its Blocked event. What stops every
 * VPC alike (a TiDB key refused, an abort) is still the pass's.
 */
async function spokeFailed(
  deps: ReconcileDeps,
  keysOf: KeysOf,
  error: unknown,
  options: CallOptions,
): Promise<ProvisionOutcome[]> {
  if (failureKind(error) === 'pass' || options.signal?.aborted) throw error;
  const { keys, clusters } = await keysOf(deps, options);
  const snapshot = { clusters, connections: [], endpoints: [] };
  const outcomes = keys.map((key) => failedOutcome(key, snapshot, error, options));
  const events = outcomes.flatMap((outcome) => eventsFor(outcome, {}, false));
  if (events.length > 0) await deps.events.publish(events, options);
  return outcomes;
}

/** The deps of one VPC's run: its settings, its account's EC2 port, its events tagged with a spoke's account. */
function depsOfVpc(deps: ReconcileDeps, vpc: VpcPlacement, events: EventsPort): ReconcileDeps {
  const spoke = vpc.accountId !== undefined;
  return {
    ...deps,
    ec2: deps.accounts?.ec2Of(vpc.vpcId) ?? deps.ec2,
    events: spoke && vpc.accountId ? new InAccount(events, vpc.accountId) : events,
    settings: { ...deps.settings, ...vpc },
  };
}

/**
 * Runs `run` once per VPC with the settings and the EC2 port of that VPC; outcomes name their VPC when there
 * are several, and their account when it is a spoke's.
 */
async function perVpc(
  deps: ReconcileDeps,
  run: (vpcDeps: ReconcileDeps) => Promise<ProvisionOutcome[]>,
  keysOf: KeysOf,
  options: CallOptions,
): Promise<ProvisionOutcome[]> {
  const vpcs = vpcsOf(deps);
  const events = vpcs.length > 1 ? new DetectedOnce(deps.events) : deps.events;
  const results = await Promise.all(
    vpcs.map(async (vpc) => {
      const vpcDeps = depsOfVpc(deps, vpc, events);
      const outcomes = await run(vpcDeps).catch((error: unknown) => {
        if (vpc.accountId === undefined) throw error;
        return spokeFailed(vpcDeps, keysOf, error, options);
      });
      const where = {
        ...(vpcs.length > 1 ? { vpcId: vpc.vpcId } : {}),
        ...(vpc.accountId === undefined ? {} : { accountId: vpc.accountId }),
      };
      return outcomes.map((outcome) => ({ ...outcome, ...where }));
    }),
  );
  return results.flat();
}

/** The scheduled reconcile of every VPC of the stack: one outcome per (cluster, VPC), then the orphans. */
export function reconcileStack(deps: ReconcileDeps, options: RunOptions = {}): Promise<ProvisionOutcome[]> {
  const keysOf: KeysOf = async (vpcDeps, callOptions) => {
    const clusters = await vpcDeps.tidb.listClusters({ projectId: vpcDeps.settings.projectId }, callOptions);
    return { keys: selectedKeys(vpcDeps.settings, clusters), clusters };
  };
  return perVpc(deps, (vpcDeps) => reconcileAll(vpcDeps, options), keysOf, options);
}

/** One cluster in every VPC of the stack (CLI `provision`, the event-driven path). */
export function provisionStack(
  deps: ReconcileDeps,
  key: ReconcileKey,
  options: RunOptions = {},
): Promise<ProvisionOutcome[]> {
  const keysOf: KeysOf = async () => ({ keys: [key], clusters: [] });
  return perVpc(deps, async (vpcDeps) => [await provision(vpcDeps, key, options)], keysOf, options);
}

/** Most pressing first: what a cluster's one recorded phase shows when its VPCs disagree. */
const PRESSING: Phase[] = ['Error', 'Blocked', 'Progressing', 'Idle', 'Orphaned', 'Ready'];

/** One outcome per cluster (the most pressing of its VPCs'): the registry keeps one phase per cluster. */
export function perCluster(outcomes: ProvisionOutcome[]): ProvisionOutcome[] {
  const chosen = new Map<string, ProvisionOutcome>();
  for (const outcome of outcomes) {
    const held = chosen.get(outcome.clusterId);
    if (!held || PRESSING.indexOf(outcome.phase) < PRESSING.indexOf(held.phase)) {
      chosen.set(outcome.clusterId, outcome);
    }
  }
  return [...chosen.values()];
}
