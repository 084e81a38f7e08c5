import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsError } from '../../../functions/core/errors.ts';
import { DETAIL_TYPES, type EventsPort } from '../../../functions/core/ports.ts';
import { reconcileAll } from '../../../functions/core/reconcile/reconcile.ts';
import type { ReconcileDeps } from '../../../functions/core/reconcile/types.ts';
import { detectOnce, recordingServices } from '../../../functions/core/registry/detect-once.ts';
import { MemoryClusterRegistry } from '../../../testing/registry-fake.ts';
import { startWorld, type World } from '../../../testing/world.ts';

let world: World;

beforeEach(async () => {
  world = await startWorld();
});

afterEach(() => world.close());

/** The reconcile's parts with the registry, which it reaches under its packaged role. */
async function withRegistry(table: MemoryClusterRegistry): Promise<ReconcileDeps> {
  const registry = (await world.portsFor('reconcile')).registry(table);
  return {
    ...world.deps,
    tidb: recordingServices(world.deps.tidb, registry),
    events: detectOnce(world.events, registry, world.clock),
  };
}

const detected = () => world.events.ofType(DETAIL_TYPES.clusterDetected).map((e) => e.detail.clusterId);

describe('TiDB Cluster Detected with the registry', () => {
  it('goes out once per cluster, not on every tick, for a cluster that stays Blocked before its endpoint', async () => {
    const stranded = world.addCluster({ displayName: 'stranded', availableZones: ['use1-az6'] });
    const registry = new MemoryClusterRegistry();
    for (let tick = 0; tick < 3; tick++) {
      const [outcome] = await reconcileAll(await withRegistry(registry));
      expect(outcome?.phase).toBe('Blocked');
    }
    expect(detected()).toEqual([stranded.clusterId]);
  });

  it('goes out once when its first publish failed: the retry inside the pass still sends it', async () => {
    const cluster = world.addCluster();
    let publishes = 0;
    const flaky: EventsPort = {
      publish: (events) =>
        ++publishes === 1
          ? Promise.reject(new AwsError('InternalError', 'An internal error', { fault: 'server' }))
          : world.events.publish(events),
    };
    const registry = new MemoryClusterRegistry();
    await reconcileAll({
      ...(await withRegistry(registry)),
      events: detectOnce(flaky, registry, world.clock),
    });
    await reconcileAll(await withRegistry(registry));
    expect(detected()).toEqual([cluster.clusterId]);
  });

  it('goes out once when two runs see a new cluster at the same moment', async () => {
    const cluster = world.addCluster();
    const registry = new MemoryClusterRegistry();
    await Promise.all([
      reconcileAll(await withRegistry(registry)),
      reconcileAll(await withRegistry(registry)),
    ]);
    expect(detected()).toEqual([cluster.clusterId]);
  });

  it('keeps each ACTIVE service for status, written once per process', async () => {
    const cluster = world.addCluster();
    const registry = new MemoryClusterRegistry();
    const deps = await withRegistry(registry);
    await reconcileAll(deps, { deadline: world.clock.now() + 3_600_000 });
    expect((await registry.get(cluster.clusterId))?.service).toEqual({
      state: 'ACTIVE',
      serviceName: cluster.serviceName,
      availableZones: cluster.availableZones,
    });
  });

  it('keeps the client behind it whole: its request counters still feed the API usage metrics', async () => {
    const cluster = world.addCluster();
    const registry = (await world.portsFor('reconcile')).registry(new MemoryClusterRegistry());
    const recording = recordingServices(world.tidb, registry);
    const before = recording.stats.requests;
    const [node] = (await recording.getCluster(cluster.clusterId)).nodeGroups;
    await recording.getPrivateLinkService(cluster.clusterId, node?.tidbNodeGroupId ?? '');
    expect(recording.stats.requests).toBeGreaterThan(before);
  });

  it('without a registry, today: every tick detects a cluster that has no endpoint yet', async () => {
    world.addCluster({ displayName: 'stranded', availableZones: ['use1-az6'] });
    await reconcileAll(world.deps);
    await reconcileAll(world.deps);
    expect(detected()).toHaveLength(2);
  });
});
