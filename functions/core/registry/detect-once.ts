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
  // Sightings this caller won whose event has not gone out yet: a publish retried after a failure
  // (reconcile.ts) must still send it, though the registry now says the sighting is not the first.
  const unsent = new Set<string>();
  return {
    async publish(batch: AppEvent[], options?: CallOptions): Promise<void> {
      const kept: AppEvent[] = [];
      const won: string[] = [];
      for (const event of batch) {
        if (event.detailType !== DETAIL_TYPES.clusterDetected) {
          kept.push(event);
          continue;
        }
        const { clusterId, tidbNodeGroupId } = event.detail;
        const key = `${clusterId}/${tidbNodeGroupId}`;
        const { first } = await registry.recordSighting(clusterId, tidbNodeGroupId, clock.now(), options);
        if (first || unsent.has(key)) {
          kept.push(event);
          won.push(key);
          unsent.add(key);
        }
      }
      await events.publish(kept, options);
      for (const key of won) unsent.delete(key);
    },
  };
}

/**
 * The TiDB port with one difference: an ACTIVE service it reads goes into the registry (once per process).
 * A proxy, so everything else the client offers (its request counters for the metrics) stays reachable.
 */
export function recordingServices<T extends TidbCloudPort>(tidb: T, registry: ClusterRegistry): T {
  const recorded = new Set<string>();
  const getPrivateLinkService: TidbCloudPort['getPrivateLinkService'] = async (
    clusterId,
    tidbNodeGroupId,
    options,
  ) => {
    const service = await tidb.getPrivateLinkService(clusterId, tidbNodeGroupId, options);
    if (service.state === 'ACTIVE' && !recorded.has(clusterId)) {
      await registry.recordService(clusterId, factsOf(service), options);
      recorded.add(clusterId);
    }
    return service;
  };
  return new Proxy(tidb, {
    get(target, property) {
      if (property === 'getPrivateLinkService') return getPrivateLinkService;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function factsOf(service: PrivateLinkService) {
  return { state: service.state, serviceName: service.serviceName, availableZones: service.availableZones };
}
