import { TidbCloudNotFoundError } from '../errors.ts';
import { CLUSTER_ID_TAG, type Cluster, isOurs, NODE_GROUP_ID_TAG, type VpcEndpoint } from '../model.ts';
import type { CallOptions } from '../ports.ts';
import * as fix from '../remediation.ts';
import { GONE_STATES, type Snapshot } from './observe.ts';
import type { ProvisionOutcome, ReconcileDeps } from './types.ts';

const CLUSTER_GONE: ReadonlySet<string> = new Set(['DELETING', 'DELETED']);

const groupOf = (endpoint: VpcEndpoint) => endpoint.tags[NODE_GROUP_ID_TAG] ?? '';

function hasGroup(cluster: Cluster, tidbNodeGroupId: string): boolean {
  return cluster.nodeGroups.some((group) => group.tidbNodeGroupId === tidbNodeGroupId);
}

/** From the listing alone: endpoints whose cluster is absent, going, or lacks the node group. Not yet proof. */
function suspects(deps: ReconcileDeps, snapshot: Snapshot): Map<string, VpcEndpoint[]> {
  const { vpcId, stackName } = deps.settings;
  const listed = new Map(snapshot.clusters.map((cluster) => [cluster.clusterId, cluster]));
  const byCluster = new Map<string, VpcEndpoint[]>();
  for (const endpoint of snapshot.endpoints) {
    if (endpoint.vpcId !== vpcId || !isOurs(endpoint, stackName) || GONE_STATES.has(endpoint.state)) continue;
    const clusterId = endpoint.tags[CLUSTER_ID_TAG] ?? '';
    const cluster = listed.get(clusterId);
    const suspicious =
      !cluster ||
      CLUSTER_GONE.has(cluster.state) ||
      (cluster.nodeGroups.length > 0 && !hasGroup(cluster, groupOf(endpoint)));
    if (suspicious) byCluster.set(clusterId, [...(byCluster.get(clusterId) ?? []), endpoint]);
  }
  return byCluster;
}

/**
 * Why each endpoint of one cluster is orphaned, from a GET of that cluster: 404, DELETING/DELETED, or its
 * node group gone. Absence from a listing scoped by project is never proof, and neither is a failed read.
 */
async function proof(
  deps: ReconcileDeps,
  clusterId: string,
  endpoints: VpcEndpoint[],
  options: CallOptions,
): Promise<Array<[VpcEndpoint, string]>> {
  let cluster: Cluster;
  try {
    cluster = await deps.tidb.getCluster(clusterId, options);
  } catch (error) {
    if (error instanceof TidbCloudNotFoundError) {
      return endpoints.map((endpoint) => [endpoint, `TiDB Cloud has no cluster ${clusterId} (404)`]);
    }
    return [];
  }
  if (CLUSTER_GONE.has(cluster.state)) {
    return endpoints.map((endpoint) => [endpoint, `cluster ${clusterId} is ${cluster.state}`]);
  }
  const groups =
    cluster.nodeGroups.length > 0
      ? cluster.nodeGroups
      : await deps.tidb.listNodeGroups(clusterId, options).catch(() => undefined);
  if (!groups) return [];
  const known = { ...cluster, nodeGroups: groups };
  return endpoints
    .filter((endpoint) => !hasGroup(known, groupOf(endpoint)))
    .map((endpoint) => [endpoint, `cluster ${clusterId} has no TiDB node group ${groupOf(endpoint)}`]);
}

/**
 * This stack's endpoints whose cluster or node group is gone, from the EC2 listing the pass already made:
 * reported `Orphaned`, never deleted here. Costs TiDB calls only for suspects, none on a healthy fleet.
 */
export async function findOrphans(
  deps: ReconcileDeps,
  snapshot: Snapshot,
  options: CallOptions,
): Promise<ProvisionOutcome[]> {
  const proven = await Promise.all(
    [...suspects(deps, snapshot)].map(([clusterId, endpoints]) => proof(deps, clusterId, endpoints, options)),
  );
  return proven.flat().map(([endpoint, why]) => ({
    clusterId: endpoint.tags[CLUSTER_ID_TAG] ?? '',
    tidbNodeGroupId: groupOf(endpoint),
    phase: 'Orphaned',
    vpcEndpointId: endpoint.vpcEndpointId,
    actions: [],
    message: `Endpoint ${endpoint.vpcEndpointId} belongs to this stack but ${why}.`,
    remediation: fix.orphanedEndpoint(endpoint.vpcEndpointId),
  }));
}
