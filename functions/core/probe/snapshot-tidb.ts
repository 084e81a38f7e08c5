import type { Cluster, PrivateEndpointConnection } from '../model.ts';
import type { CallOptions, ConnectionScope, TidbCloudPort } from '../ports.ts';

/**
 * A TiDB Cloud port that answers per-cluster reads from one batch of list calls, so probing N endpoints
 * costs O(N/100) list calls plus one private-link-service read per cluster instead of four calls each.
 * Writes and anything not in the snapshot go to the real port.
 */
export class SnapshotTidb implements TidbCloudPort {
  private constructor(
    private readonly inner: TidbCloudPort,
    private readonly clusters: Map<string, Cluster>,
    private readonly connections: PrivateEndpointConnection[],
  ) {}

  static async take(
    inner: TidbCloudPort,
    projectId: string | undefined,
    options: CallOptions,
  ): Promise<SnapshotTidb> {
    const [clusters, connections] = await Promise.all([
      inner.listClusters({ projectId }, options),
      inner.listConnections({ projectId }, options),
    ]);
    return new SnapshotTidb(
      inner,
      new Map(clusters.map((cluster) => [cluster.clusterId, cluster])),
      connections,
    );
  }

  listClusters(): Promise<Cluster[]> {
    return Promise.resolve([...this.clusters.values()]);
  }

  getCluster(clusterId: string, options?: CallOptions): Promise<Cluster> {
    const cluster = this.clusters.get(clusterId);
    return cluster ? Promise.resolve(cluster) : this.inner.getCluster(clusterId, options);
  }

  listNodeGroups(clusterId: string, options?: CallOptions) {
    return this.inner.listNodeGroups(clusterId, options);
  }

  getPrivateLinkService(clusterId: string, tidbNodeGroupId: string, options?: CallOptions) {
    return this.inner.getPrivateLinkService(clusterId, tidbNodeGroupId, options);
  }

  listConnections(scope: ConnectionScope, options?: CallOptions): Promise<PrivateEndpointConnection[]> {
    if ('clusterId' in scope && this.clusters.has(scope.clusterId)) {
      return Promise.resolve(
        this.connections.filter(
          (c) => c.clusterId === scope.clusterId && c.tidbNodeGroupId === scope.tidbNodeGroupId,
        ),
      );
    }
    return this.inner.listConnections(scope, options);
  }

  createConnection(clusterId: string, tidbNodeGroupId: string, endpointId: string, options?: CallOptions) {
    return this.inner.createConnection(clusterId, tidbNodeGroupId, endpointId, options);
  }

  getConnection(clusterId: string, tidbNodeGroupId: string, connectionId: string, options?: CallOptions) {
    return this.inner.getConnection(clusterId, tidbNodeGroupId, connectionId, options);
  }

  deleteConnection(clusterId: string, tidbNodeGroupId: string, connectionId: string, options?: CallOptions) {
    return this.inner.deleteConnection(clusterId, tidbNodeGroupId, connectionId, options);
  }
}
