import { describe, expect, it } from 'vitest';
import { SlidingWindowLimiter } from '../../../../functions/adapters/tidbcloud/rate-limiter.ts';

function fakeClock(start = 0) {
  let now = start;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleeps,
    advance: (ms: number) => {
      now += ms;
    },
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

describe('SlidingWindowLimiter', () => {
  it('lets requestsPerMinute requests through at once, then waits for the oldest to leave the window', async () => {
    const clock = fakeClock();
    const limiter = new SlidingWindowLimiter({ requestsPerMinute: 3, now: clock.now, sleep: clock.sleep });
    for (let i = 0; i < 3; i += 1) await limiter.acquire();
    expect(clock.sleeps).toEqual([]);
    clock.advance(10_000);
    await limiter.acquire();
    expect(clock.sleeps).toEqual([50_000]);
    expect(clock.now()).toBe(60_000);
  });

  it('never exceeds the limit in any 60 s window over a long run', async () => {
    const clock = fakeClock();
    const limiter = new SlidingWindowLimiter({ requestsPerMinute: 95, now: clock.now, sleep: clock.sleep });
    const sentAt: number[] = [];
    for (let i = 0; i < 400; i += 1) {
      await limiter.acquire();
      sentAt.push(clock.now());
      clock.advance(100);
    }
    for (const start of sentAt) {
      expect(sentAt.filter((t) => t >= start && t < start + 60_000).length).toBeLessThanOrEqual(95);
    }
    expect(clock.sleeps.length).toBeGreaterThan(0);
  });

  it('holds every caller after pauseFor (a 429 seen by another call)', async () => {
    const clock = fakeClock(1_000);
    const limiter = new SlidingWindowLimiter({ requestsPerMinute: 100, now: clock.now, sleep: clock.sleep });
    limiter.pauseFor(5_000);
    expect(limiter.delayMs()).toBe(5_000);
    await limiter.acquire();
    expect(clock.now()).toBe(6_000);
  });

  it('stops waiting when the signal aborts', async () => {
    const limiter = new SlidingWindowLimiter({
      requestsPerMinute: 1,
      now: () => 0,
      sleep: (_ms, signal) =>
        new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason))),
    });
    await limiter.acquire();
    const controller = new AbortController();
    const pending = limiter.acquire(controller.signal);
    controller.abort(new Error('deadline'));
    await expect(pending).rejects.toThrow('deadline');
  });

  it('rejects a nonsensical limit', () => {
    expect(
      () => new SlidingWindowLimiter({ requestsPerMinute: 0, now: Date.now, sleep: async () => {} }),
    ).toThrow(RangeError);
  });
});
