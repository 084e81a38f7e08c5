import { mapLimited } from '../concurrency.ts';
import type { Cluster, PrivateEndpointConnection, PrivateLinkService, ReadyFacts } from '../model.ts';
import type { CallOptions, ConnectionScope, TidbCloudPort } from '../ports.ts';
import type { TtlCache } from './ttl-cache.ts';

export interface ServiceKey {
  clusterId: string;
  tidbNodeGroupId: string;
}

const keyOf = (clusterId: string, tidbNodeGroupId: string) => `${clusterId}/${tidbNodeGroupId}`;

/**
 * A TiDB Cloud port that answers per-cluster reads from one batch of list calls, so probing N endpoints
 * costs O(N/100) list calls instead of three calls each. Private link services (which rarely change) come
 * from a cache that outlives the run; the ones missing are read up front, paced by the client's limiter and
 * outside any endpoint's deadline, so the 100 requests/minute quota never makes a healthy endpoint look
 * broken. Writes and anything not in the snapshot go to the real port.
 */
export class SnapshotTidb implements TidbCloudPort {
  private constructor(
    private readonly inner: TidbCloudPort,
    private readonly clusters: Map<string, Cluster>,
    private readonly connections: PrivateEndpointConnection[],
    private readonly services: TtlCache<PrivateLinkService>,
  ) {}

  static async take(
    inner: TidbCloudPort,
    input: { projectId?: string; services: TtlCache<PrivateLinkService>; prefetch: ServiceKey[] },
    options: CallOptions,
  ): Promise<SnapshotTidb> {
    const [clusters, connections] = await Promise.all([
      inner.listClusters({ projectId: input.projectId }, options),
      inner.listConnections({ projectId: input.projectId }, options),
    ]);
    const byId = new Map(clusters.map((cluster) => [cluster.clusterId, cluster]));
    const snapshot = new SnapshotTidb(inner, byId, connections, input.services);
    const wanted = input.prefetch.filter((key) => byId.get(key.clusterId)?.state === 'ACTIVE');
    // A failed read here is not lost: the endpoint's own doctor run reads again and reports the failure.
    await mapLimited(wanted, 4, (key) =>
      snapshot.getPrivateLinkService(key.clusterId, key.tidbNodeGroupId, options).catch(() => undefined),
    );
    return snapshot;
  }

  /**
   * A snapshot of one cluster from what the reconcile saw when its endpoint became Ready (`Endpoint Ready`'s
   * `known`): no list call at all. Anything else asked of it goes to the real port.
   */
  static known(
    inner: TidbCloudPort,
    facts: ReadyFacts,
    services: TtlCache<PrivateLinkService>,
  ): SnapshotTidb {
    const { cluster, service, connection } = facts;
    if (service.state === 'ACTIVE') services.set(keyOf(cluster.clusterId, service.tidbNodeGroupId), service);
    return new SnapshotTidb(inner, new Map([[cluster.clusterId, cluster]]), [connection], services);
  }

  /** The cluster as the snapshot's listing had it (no API call). */
  peekCluster(clusterId: string): Cluster | undefined {
    return this.clusters.get(clusterId);
  }

  /** Every connection of the listing (no API call). */
  peekConnections(): PrivateEndpointConnection[] {
    return this.connections;
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

  getPrivateLinkService(
    clusterId: string,
    tidbNodeGroupId: string,
    options?: CallOptions,
  ): Promise<PrivateLinkService> {
    return this.services.through(
      keyOf(clusterId, tidbNodeGroupId),
      () => this.inner.getPrivateLinkService(clusterId, tidbNodeGroupId, options),
      // Only a finished service is worth remembering; one still CREATING must be read again next time.
      (service) => service.state === 'ACTIVE',
    );
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
