/**
 * The fault matrix's verdict on the world after a row: which clusters converged and what was duplicated.
 * It reads the endpoints' tags literally, with the keys and value the public contract names
 * (docs/contracts.md, "Tags"), never through the code's own constants or `isManaged`: if the code wrote a
 * wrong tag key or value, its endpoints would not count here and the row would fail, instead of the code
 * agreeing with itself.
 */
import type { VpcEndpoint } from '../../functions/core/model.ts';

/** The tags as the contract spells them. */
export const CONTRACT_TAGS = {
  managedBy: 'tidb-privatelink:managed-by',
  managedByValue: 'tidb-privatelink',
  clusterId: 'tidb-privatelink:cluster-id',
} as const;

/** What the judge needs of a TiDB Cloud connection (the simulator's records have more). */
export interface JudgedConnection {
  clusterId: string;
  tidbNodeGroupId: string;
  endpointId: string;
  endpointState: string;
}

export interface WorldVerdict {
  /** Clusters whose endpoint is available with private DNS on and whose TiDB connection is ACTIVE. */
  converged: number;
  /** Σ over clusters of (managed endpoints − 1), and the same for TiDB connections. */
  duplicateEndpoints: number;
  duplicateConnections: number;
}

/** Carries the managed-by tag with the contract's value. */
export const carriesManagedByTag = (endpoint: VpcEndpoint): boolean =>
  endpoint.tags[CONTRACT_TAGS.managedBy] === CONTRACT_TAGS.managedByValue;

const clusterTagOf = (endpoint: VpcEndpoint): string | undefined => endpoint.tags[CONTRACT_TAGS.clusterId];

const excess = (counts: Map<string, number>): number =>
  [...counts.values()].reduce((sum, count) => sum + Math.max(0, count - 1), 0);

function countBy<T>(items: T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

/** Judges EC2's endpoints and TiDB Cloud's connections for the row's clusters. */
export function judgeWorld(
  clusterIds: readonly string[],
  allEndpoints: readonly VpcEndpoint[],
  connections: readonly JudgedConnection[],
): WorldVerdict {
  const endpoints = allEndpoints.filter((e) => carriesManagedByTag(e) && e.state !== 'deleted');
  const converged = clusterIds.filter((clusterId) =>
    endpoints.some(
      (e) =>
        clusterTagOf(e) === clusterId &&
        e.state === 'available' &&
        e.privateDnsEnabled &&
        connections.some((c) => c.endpointId === e.vpcEndpointId && c.endpointState === 'ACTIVE'),
    ),
  ).length;
  return {
    converged,
    duplicateEndpoints: excess(countBy(endpoints, (e) => clusterTagOf(e) ?? '')),
    duplicateConnections: excess(countBy([...connections], (c) => `${c.clusterId}/${c.tidbNodeGroupId}`)),
  };
}
