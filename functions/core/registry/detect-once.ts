/**
 * The registry between the reconcile and the outside world, as decorators of its ports, so the reconcile
 * core needs no knowledge of the table:
 * - `detectOnce`: `TiDB Cluster Detected` goes out only for the caller whose conditional first-sighting
 *   write won: once per cluster, however many ticks see it and however many runs race.
 * - `recordingServices`: a private link service read as ACTIVE is kept in the registry, so `status` can
 *   show it without asking TiDB again.
 */
import type { PrivateLinkService } from '../model.ts';
import {
  type AppEvent,
  type CallOptions,
  type Clock,
  type ClusterRegistry,
  DETAIL_TYPES,
  type EventsPort,
  type TidbCloudPort,
} from '../ports.ts';

export function detectOnce(
  events: EventsPort,
  registry: ClusterRegistry,
  clock: Pick<Clock, 'now'>,
): EventsPort {
  return {
    async publish(batch: AppEvent[], options?: CallOptions): Promise<void> {
      const kept: AppEvent[] = [];
      for (const event of batch) {
        if (event.detailType !== DETAIL_TYPES.clusterDetected) {
          kept.push(event);
          continue;
        }
        const { clusterId, tidbNodeGroupId } = event.detail;
        const { first } = await registry.recordSighting(clusterId, tidbNodeGroupId, clock.now(), options);
        if (first) kept.push(event);
      }
      await events.publish(kept, options);
    },
  };
}

export function recordingServices(tidb: TidbCloudPort, registry: ClusterRegistry): TidbCloudPort {
  const recorded = new Set<string>();
  const record = async (clusterId: string, service: PrivateLinkService, options?: CallOptions) => {
    if (service.state !== 'ACTIVE' || recorded.has(clusterId)) return;
    await registry.recordService(
      clusterId,
      { state: service.state, serviceName: service.serviceName, availableZones: service.availableZones },
      options,
    );
    recorded.add(clusterId);
  };
  return {
    listClusters: (filter, options) => tidb.listClusters(filter, options),
    getCluster: (clusterId, options) => tidb.getCluster(clusterId, options),
    listNodeGroups: (clusterId, options) => tidb.listNodeGroups(clusterId, options),
    async getPrivateLinkService(clusterId, tidbNodeGroupId, options) {
      const service = await tidb.getPrivateLinkService(clusterId, tidbNodeGroupId, options);
      await record(clusterId, service, options);
      return service;
    },
    listConnections: (scope, options) => tidb.listConnections(scope, options),
    createConnection: (clusterId, group, endpointId, options) =>
      tidb.createConnection(clusterId, group, endpointId, options),
    getConnection: (clusterId, group, id, options) => tidb.getConnection(clusterId, group, id, options),
    deleteConnection: (clusterId, group, id, options) => tidb.deleteConnection(clusterId, group, id, options),
  };
}
