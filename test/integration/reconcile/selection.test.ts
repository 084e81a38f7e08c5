import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLUSTER_ID_TAG } from '../../../functions/core/model.ts';
import { reconcileAll } from '../../../functions/core/reconcile/reconcile.ts';
import { parseSelection } from '../../../functions/core/selection.ts';
import { startWorld, type World } from '../../../testing/world.ts';

let world: World;

beforeEach(async () => {
  world = await startWorld();
});

afterEach(() => world.close());

describe('PRIVATELINK_CLUSTERS in the reconcile', () => {
  it('provisions only selected clusters; the others are never touched and raise no event', async () => {
    const wanted = world.addCluster({ displayName: 'prod-orders' });
    const byId = world.addCluster({ displayName: 'analytics' });
    const ignored = world.addCluster({ displayName: 'staging-orders' });
    const deps = {
      ...world.deps,
      settings: { ...world.settings, selection: parseSelection(`prod-*,${byId.clusterId}`) },
    };

    const outcomes = await reconcileAll(deps, { deadline: world.clock.now() + 3_600_000 });

    expect(outcomes.map((o) => [o.clusterId, o.phase]).sort()).toEqual(
      [
        [wanted.clusterId, 'Ready'],
        [byId.clusterId, 'Ready'],
      ].sort(),
    );
    const tagged = (await world.ec2.listManagedEndpoints()).map((e) => e.tags[CLUSTER_ID_TAG]);
    expect(tagged).not.toContain(ignored.clusterId);
    expect(world.events.published.some((e) => e.detail.clusterId === ignored.clusterId)).toBe(false);
    const touched = world.sim.requests.filter((r) => r.path.includes(ignored.clusterId));
    expect(touched).toEqual([]);
  });
});
