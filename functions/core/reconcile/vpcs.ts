/**
 * Several VPCs in one stack (`PRIVATELINK_VPCS`): one endpoint per cluster per VPC. The core reconciles one
 * (cluster, VPC) key at a time; this runs the single-VPC reconcile once per VPC, side by side (each may keep
 * converging until the deadline), and keeps `TiDB Cluster Detected` once per cluster, not once per VPC.
 */
import { type AppEvent, type CallOptions, DETAIL_TYPES, type EventsPort } from '../ports.ts';
import { provision, type RunOptions, reconcileAll } from './reconcile.ts';
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

/** Runs `run` once per VPC with the settings of that VPC; outcomes name their VPC when there are several. */
async function perVpc(
  deps: ReconcileDeps,
  run: (vpcDeps: ReconcileDeps) => Promise<ProvisionOutcome[]>,
): Promise<ProvisionOutcome[]> {
  const vpcs = vpcsOf(deps);
  const events = vpcs.length > 1 ? new DetectedOnce(deps.events) : deps.events;
  const results = await Promise.all(
    vpcs.map(async (vpc) => {
      const outcomes = await run({ ...deps, events, settings: { ...deps.settings, ...vpc } });
      return vpcs.length > 1 ? outcomes.map((outcome) => ({ ...outcome, vpcId: vpc.vpcId })) : outcomes;
    }),
  );
  return results.flat();
}

/** The scheduled reconcile of every VPC of the stack: one outcome per (cluster, VPC), then the orphans. */
export function reconcileStack(deps: ReconcileDeps, options: RunOptions = {}): Promise<ProvisionOutcome[]> {
  return perVpc(deps, (vpcDeps) => reconcileAll(vpcDeps, options));
}

/** One cluster in every VPC of the stack (CLI `provision`, the event-driven path). */
export function provisionStack(
  deps: ReconcileDeps,
  key: ReconcileKey,
  options: RunOptions = {},
): Promise<ProvisionOutcome[]> {
  return perVpc(deps, async (vpcDeps) => [await provision(vpcDeps, key, options)]);
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
