/**
 * A 429 whose reset lies past the caller's deadline is not waited for: the client says at once, with a typed
 * error carrying the reset time, that the key's quota is used up. Within the deadline it still waits.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TidbCloudQuotaExhaustedError } from '../../../functions/core/errors.ts';
import { type Simulator, startSimulator } from '../../../testing/tidbcloud-simulator/index.ts';
import { clientFor, instantClock } from './harness.ts';

describe('TidbCloudClient and the caller’s deadline', () => {
  let sim: Simulator;

  beforeEach(async () => {
    sim = await startSimulator({ serviceReadyMs: 0 });
    sim.addCluster();
  });

  afterEach(async () => {
    await sim.close();
  });

  it('a reset after the deadline: TidbCloudQuotaExhaustedError with the reset time, no wait, no retry', async () => {
    const clock = instantClock();
    const client = clientFor(sim, { now: clock.now, sleep: clock.sleep });
    sim.faults.rateLimitBurst(1, 45);
    // The deadline is on the client's clock (here a virtual one), like every time the client compares.
    const before = clock.now();
    const error = await client
      .listClusters({}, { deadline: clock.now() + 2_000 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TidbCloudQuotaExhaustedError);
    const { resetAt, message } = error as TidbCloudQuotaExhaustedError;
    expect(resetAt.getTime()).toBeGreaterThanOrEqual(before + 45_000);
    expect(resetAt.getTime()).toBeLessThanOrEqual(clock.now() + 45_000);
    expect(message).toContain(resetAt.toISOString());
    expect(clock.sleeps).toEqual([]);
    expect(sim.stats().byStatus['429']).toBe(1);
  });

  it('a reset before the deadline: waits as X-Ratelimit-Reset says, then succeeds', async () => {
    const clock = instantClock();
    const client = clientFor(sim, { now: clock.now, sleep: clock.sleep });
    sim.faults.rateLimitBurst(1, 3);
    const clusters = await client.listClusters({}, { deadline: clock.now() + 60_000 });
    expect(clusters).toHaveLength(1);
    expect(clock.sleeps).toEqual([3_000]);
  });
});
