/**
 * The pure part of orphan handling (docs/contracts.md "Orphaned", issue 11): from what is known about one of this stack's
 * endpoints, the steps to take. Marking is how the grace period survives between passes without a table: the
 * first time an endpoint is proven orphaned it gets `tidb-privatelink:orphaned-since`, deletion (only when
 * configured) counts from that tag, and a cluster that comes back takes the mark off.
 */
import { ORPHANED_SINCE_TAG, type PrivateEndpointConnection, type VpcEndpoint } from '../model.ts';
import type { OrphanAction } from './types.ts';

/** What the orphan pass learnt about one endpoint. An endpoint it could not judge (a failed read) has none. */
export type Verdict =
  | { kind: 'orphaned'; endpoint: VpcEndpoint; why: string }
  /** Its cluster and node group exist and are not going away (listed, or a GET said so). */
  | { kind: 'alive'; endpoint: VpcEndpoint };

/** The mark's instant (ms), or undefined when absent or unreadable (someone edited it: it is set anew). */
export function orphanedSinceOf(endpoint: VpcEndpoint): number | undefined {
  const tag = endpoint.tags[ORPHANED_SINCE_TAG];
  const since = tag === undefined ? Number.NaN : Date.parse(tag);
  return Number.isNaN(since) ? undefined : since;
}

/** When an orphan may be deleted; undefined when deletion is off or the endpoint is not marked yet. */
export function deletesAt(endpoint: VpcEndpoint, deleteAfterMs: number | undefined): number | undefined {
  const since = orphanedSinceOf(endpoint);
  return since === undefined || deleteAfterMs === undefined ? undefined : since + deleteAfterMs;
}

/** Is the grace period over? Only then is TiDB asked for the endpoint's connection. */
export function deletionDue(verdict: Verdict, now: number, deleteAfterMs: number | undefined): boolean {
  const due = deletesAt(verdict.endpoint, deleteAfterMs);
  return verdict.kind === 'orphaned' && due !== undefined && now >= due;
}

/**
 * The steps for one endpoint, in order. Deletion never happens in the pass that first sees the orphan (the
 * grace period starts with the mark), and the TiDB connection goes first so TiDB never holds a registration
 * for an endpoint that no longer exists.
 */
export function planOrphan(
  verdict: Verdict,
  now: number,
  deleteAfterMs: number | undefined,
  connection?: PrivateEndpointConnection,
): OrphanAction[] {
  const { vpcEndpointId } = verdict.endpoint;
  const marked = verdict.endpoint.tags[ORPHANED_SINCE_TAG] !== undefined;
  if (verdict.kind === 'alive') return marked ? [{ type: 'clear-orphaned', vpcEndpointId }] : [];
  if (orphanedSinceOf(verdict.endpoint) === undefined) {
    return [{ type: 'mark-orphaned', vpcEndpointId, orphanedSince: new Date(now).toISOString() }];
  }
  if (!deletionDue(verdict, now, deleteAfterMs)) return [];
  const deleteConnection: OrphanAction[] = connection
    ? [
        {
          type: 'delete-connection',
          vpcEndpointId,
          privateEndpointConnectionId: connection.privateEndpointConnectionId,
        },
      ]
    : [];
  return [...deleteConnection, { type: 'delete-endpoint', vpcEndpointId }];
}
