/**
 * What the scheduled reconcile writes to the registry after its passes: each cluster's phase, and an expiry
 * for the rows of clusters that are gone. It reads the rows once per run (one Scan) and writes only what
 * changed: an unchanged phase, or a row already expiring, costs no write, however many runs see it so.
 */
import { mapLimited } from '../concurrency.ts';
import type { Cluster } from '../model.ts';
import type { CallOptions, ClusterRecord, ClusterRegistry } from '../ports.ts';
import { CLUSTER_GONE, readCluster } from '../reconcile/orphans.ts';
import type { ProvisionOutcome, ReconcileDeps } from '../reconcile/types.ts';

/** A gone cluster's row stays this long (for `status` and operators), then expires on its own. */
export const DELETED_ROW_RETAIN_S = 7 * 86_400;

/** Writes at once: the table takes far more, this only keeps a fleet's first run from one burst of 1,000. */
const CONCURRENCY = 8;

/**
 * Each cluster's phase and since when; a phase the row already shows writes nothing. An Orphaned cluster
 * (proven gone) gets its row's expiry, once. Answers the clusters the registry knew that have just turned
 * Ready (for the `Endpoint Ready` no run may have sent).
 */
export async function recordPhases(
  registry: ClusterRegistry,
  rows: ReadonlyMap<string, ClusterRecord>,
  outcomes: ProvisionOutcome[],
  now: number,
  options: CallOptions,
): Promise<ProvisionOutcome[]> {
  const turned = await mapLimited(outcomes, CONCURRENCY, async (outcome) => {
    const row = rows.get(outcome.clusterId);
    let turnedReady = false;
    if (row?.phase !== outcome.phase) {
      const recorded = await registry.setPhase(outcome.clusterId, outcome.phase, now, options);
      turnedReady = outcome.phase === 'Ready' && recorded.changed && recorded.known;
    }
    if (outcome.phase === 'Orphaned' && row?.deletedAt === undefined) {
      await registry.markDeleted(outcome.clusterId, now, DELETED_ROW_RETAIN_S, options);
    }
    return turnedReady ? outcome : undefined;
  });
  return turned.filter((outcome): outcome is ProvisionOutcome => outcome !== undefined);
}

/**
 * Rows of clusters gone without an Orphaned outcome (deleted before they had an endpoint, or whose endpoint
 * went first) get their expiry too: a row not yet expiring, of a cluster the run had no outcome for, that
 * the run's listings showed DELETING or DELETED, or did not show and a GET proves gone (404, DELETING or
 * DELETED; absence from a listing alone is no proof). At most one GET per such row: once expiring, a row is
 * no candidate. Answers the ids it marked.
 */
export async function expireGoneRows(
  deps: Pick<ReconcileDeps, 'tidb'> & { registry: ClusterRegistry },
  rows: ReadonlyMap<string, ClusterRecord>,
  run: { listed: ReadonlyMap<string, Cluster>; reconciled: ReadonlySet<string> },
  now: number,
  options: CallOptions,
): Promise<string[]> {
  const candidates = [...rows.values()].filter(
    ({ clusterId, deletedAt }) =>
      !deletedAt && !run.reconciled.has(clusterId) && !isLive(run.listed.get(clusterId)),
  );
  const marked = await mapLimited(candidates, CONCURRENCY, async ({ clusterId }) => {
    if (!run.listed.has(clusterId)) {
      const read = await readCluster(deps, clusterId, options);
      if (!read || !('gone' in read)) return undefined;
    }
    await deps.registry.markDeleted(clusterId, now, DELETED_ROW_RETAIN_S, options);
    return clusterId;
  });
  return marked.filter((id): id is string => id !== undefined);
}

const isLive = (listed: Cluster | undefined) => listed !== undefined && !CLUSTER_GONE.has(listed.state);
