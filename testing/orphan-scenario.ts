/**
 * A cluster's whole orphan story in one call, for the tests that need every event the code emits: made
 * Ready, deleted in TiDB Cloud (its endpoint marked orphaned), then deleted with its connection after the
 * grace period.
 */
import { provision, reconcileAll } from '../functions/core/reconcile/reconcile.ts';
import type { World } from './world.ts';

const HOUR = 3_600_000;

export async function orphanLifecycle(world: World): Promise<void> {
  const cluster = world.addCluster({ displayName: 'retired' });
  await provision(world.deps, { clusterId: cluster.clusterId }, { deadline: world.clock.now() + HOUR });
  const previous = world.settings.deleteOrphansAfterMs;
  world.settings.deleteOrphansAfterMs = 24 * HOUR;
  try {
    world.sim.setClusterState(cluster.clusterId, 'DELETING');
    await reconcileAll(world.deps);
    await world.clock.sleep(24 * HOUR);
    await reconcileAll(world.deps);
  } finally {
    if (previous === undefined) delete world.settings.deleteOrphansAfterMs;
    else world.settings.deleteOrphansAfterMs = previous;
  }
}
