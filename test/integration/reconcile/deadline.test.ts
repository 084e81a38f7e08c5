import { afterEach, describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '../../../functions/core/ports.ts';
import { reconcileAll } from '../../../functions/core/reconcile/reconcile.ts';
import { startWorld, type World } from '../../../testing/world.ts';

let world: World | undefined;

afterEach(() => world?.close());

const OUT_OF_TIME = 'the next reconcile (this one ran out of time)';

describe('a reconcile pass that meets its deadline', () => {
  it('defers the clusters it has not started, publishes what it finished as it goes, and the next run takes them', async () => {
    // 10 requests a minute: the listings and the first clusters' service reads and registrations take
    // longer than the 30 s the run has, so the pass cannot start every cluster in time.
    world = await startWorld({ requestsPerMinute: 10 });
    const { clock } = world.deps;
    const clusters = Array.from({ length: 12 }, () => world?.addCluster().clusterId ?? '');
    // How many TiDB requests had been made when each event went out.
    const publishedAfter: number[] = [];
    world.events.onEvent(() => publishedAfter.push(world?.sim.stats().total ?? 0));

    const outcomes = await reconcileAll(world.deps, { deadline: clock.now() + 90_000 });
    const requests = world.sim.stats().total;

    expect(outcomes.map((o) => o.clusterId).sort()).toEqual([...clusters].sort());
    const deferred = outcomes.filter((o) => o.phase === 'Progressing' && o.waitingFor === OUT_OF_TIME);
    expect(deferred.length).toBeGreaterThan(0);
    expect(deferred.length).toBeLessThan(clusters.length);
    for (const outcome of deferred) expect(outcome.actions).toEqual([]);
    // A deferred cluster is detected by the run that handles it, not by this one.
    const detected = () =>
      world?.events.ofType(DETAIL_TYPES.clusterDetected).map((e) => e.detail.clusterId) ?? [];
    expect(detected().sort()).toEqual(
      clusters.filter((id) => !deferred.some((o) => o.clusterId === id)).sort(),
    );
    // The first cluster's events went out while the pass still had others to do, not all at its end.
    expect(Math.min(...publishedAfter)).toBeLessThan(requests);

    const next = await reconcileAll(world.deps, { deadline: clock.now() + 3_600_000 });
    expect(next.map((o) => o.phase)).toEqual(clusters.map(() => 'Ready'));
    expect(detected().sort()).toEqual([...clusters].sort());
  });
});
