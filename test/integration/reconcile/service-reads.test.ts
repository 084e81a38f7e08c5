import { afterEach, describe, expect, it } from 'vitest';
import type { PrivateLinkService, ReadyFacts } from '../../../functions/core/model.ts';
import { DETAIL_TYPES } from '../../../functions/core/ports.ts';
import { reconcileAll } from '../../../functions/core/reconcile/reconcile.ts';
import { startWorld, type World } from '../../../testing/world.ts';

let world: World | undefined;

afterEach(() => world?.close());

describe('private link service reads while clusters wait', () => {
  it('reads no service while the listing shows its host pending, and each ACTIVE one once per run', async () => {
    world = await startWorld({ simulator: { serviceReadyMs: 60_000 } });
    world.addCluster();
    world.addCluster();
    const outcomes = await reconcileAll(world.deps, { deadline: world.clock.now() + 3_600_000 });
    expect(outcomes.map((o) => o.phase)).toEqual(['Ready', 'Ready']);
    // 60 s of CREATING at a 5 s poll would have been 24 reads; the listing says "not yet" for free.
    expect(world.sim.stats().byOperation.getPrivateLinkService).toBe(2);
  });
});

describe('ACTIVE services kept across runs by a warm Lambda', () => {
  const twoRuns = async (services?: Map<string, PrivateLinkService>) => {
    world = await startWorld();
    const { clusterId } = world.addCluster();
    const deps = { ...world.deps, ...(services ? { services } : {}) };
    // Run 1 reads the service, creates and registers the endpoint; TiDB's System Checking outlasts it.
    const [first] = await reconcileAll(deps);
    expect(first?.phase).toBe('Progressing');
    await world.clock.sleep(300_000);
    const [second] = await reconcileAll(deps);
    expect(second?.phase).toBe('Ready');
    const ready = world.events
      .ofType(DETAIL_TYPES.endpointReady)
      .find((e) => e.detail.clusterId === clusterId);
    const known = (ready?.detail as { known?: ReadyFacts } | undefined)?.known;
    return { known, serviceReads: world.sim.stats().byOperation.getPrivateLinkService };
  };

  it('a run that finds the endpoint Ready passes on the service a previous run read, reading it no more', async () => {
    const { known, serviceReads } = await twoRuns(new Map());
    expect(known?.service.state).toBe('ACTIVE');
    expect(serviceReads).toBe(1);
  });

  it('without them, that run has no service to pass on: the probe would read the cluster again', async () => {
    const { known } = await twoRuns();
    expect(known).toBeUndefined();
  });
});
