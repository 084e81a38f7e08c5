import { afterEach, describe, expect, it } from 'vitest';
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
