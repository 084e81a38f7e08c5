import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { QuotaCounter, QuotaTake } from '../../../functions/core/ports.ts';
import {
  afterTake,
  backoffMs,
  nextTake,
  ringShape,
  SharedBudget,
  WINDOW_MS,
} from '../../../functions/core/shared-budget.ts';
import { MemoryQuotaCounter } from '../../../testing/registry-fake.ts';
import { quotaCounterContract } from './quota-contract.ts';

const MINUTE = 60_000;

/** Time that moves only when every taker is asleep: the earliest wake-up goes first. */
class StepClock {
  current = 0;
  private sleepers: Array<{ at: number; wake: () => void }> = [];
  now = () => this.current;
  sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      this.sleepers.push({ at: this.current + ms, wake: resolve });
      setImmediate(() => this.step());
    });
  private step() {
    this.sleepers.sort((a, b) => a.at - b.at);
    const next = this.sleepers.shift();
    if (!next) return;
    this.current = Math.max(this.current, next.at);
    next.wake();
  }
}

/** The most of `times` in any half-open window of `windowMs`. */
function busiestWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let busiest = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while ((sorted[i] ?? 0) - (sorted[j] ?? 0) >= windowMs) j++;
    busiest = Math.max(busiest, i - j + 1);
  }
  return busiest;
}

quotaCounterContract('MemoryQuotaCounter', () => new MemoryQuotaCounter());

describe('ringShape', () => {
  it('samples every take up to 100, then every stride-th into at most 100 slots', () => {
    expect(ringShape(1)).toEqual({ stride: 1, size: 1 });
    expect(ringShape(100)).toEqual({ stride: 1, size: 100 });
    expect(ringShape(250)).toEqual({ stride: 3, size: 84 });
    expect(ringShape(1_000_000)).toEqual({ stride: 10_000, size: 100 });
  });
});

describe('nextTake', () => {
  it('takes number 0 of an empty ring at once, with nothing to check', () => {
    expect(nextTake({ next: 0, slots: [] }, 3, 5_000)).toEqual({
      limit: 3,
      index: 0,
      at: 5_000,
      recordSlot: 0,
    });
  });

  it('waits for take index − limit to be a window old when the ring is full', () => {
    const ring = { next: 4, last: 30_000, slots: [30_000, 20_000, 25_000] };
    expect(nextTake(ring, 3, 40_000)).toEqual({
      limit: 3,
      index: 4,
      at: 20_000 + WINDOW_MS,
      check: { slot: 1, freeBefore: 20_000 },
      recordSlot: 1,
    });
  });

  it('never sends before the latest take, even on a clock that runs behind', () => {
    const ring = { next: 2, last: 9_000, slots: [1_000, 9_000] };
    expect(nextTake(ring, 3, 5_000)).toEqual({ limit: 3, index: 2, at: 9_000, recordSlot: 2 });
  });

  it('above 100, checks the first sampled take at or after index − limit and samples every stride-th take', () => {
    // limit 250: every 3rd take sampled into 84 slots; take 300 checks take 51 (slot 17), is sampled into 16.
    const slots = Array.from({ length: 84 }, (_, slot) => 1_000 + slot);
    const ring = { next: 300, last: 2_000, slots };
    expect(nextTake(ring, 250, 1_500)).toEqual({
      limit: 250,
      index: 300,
      at: 1_017 + WINDOW_MS,
      check: { slot: 17, freeBefore: 1_017 },
      recordSlot: 16,
    });
    expect(nextTake({ ...ring, next: 301 }, 250, 1_500).recordSlot).toBeUndefined();
  });

  it('records the take in its slot and as the latest, and moves the number on', () => {
    const ring = { next: 1, last: 100, slots: [100] };
    expect(afterTake(ring, nextTake(ring, 2, 700))).toEqual({ next: 2, last: 700, slots: [100, 700] });
    expect(afterTake(ring, { limit: 200, index: 1, at: 800 })).toEqual({ next: 2, last: 800, slots: [100] });
  });
});

describe('backoffMs', () => {
  it('retries a first lost race at once, later ones after a growing random pause capped at a second', () => {
    expect(backoffMs(1, () => 0.99)).toBe(0);
    expect(backoffMs(2, () => 0.5)).toBe(10);
    expect(backoffMs(4, () => 0.5)).toBe(40);
    expect(backoffMs(30, () => 0.999)).toBe(999);
  });
});

describe('SharedBudget', () => {
  it('lets several functions together send at most the limit in any sliding window, queued in order', async () => {
    const counter = new MemoryQuotaCounter();
    const clock = new StepClock();
    const sent: number[] = [];
    const functions = Array.from({ length: 4 }, () => new SharedBudget(counter, 5, clock, () => 0.5));
    await Promise.all(
      functions.map(async (budget) => {
        for (let i = 0; i < 4; i++) {
          await budget.take();
          sent.push(clock.now());
        }
      }),
    );
    expect(sent).toHaveLength(16);
    const perSend = new Map<number, number>();
    for (const at of sent) perSend.set(at, (perSend.get(at) ?? 0) + 1);
    // Five at once, then five more as each of the first five's slots frees a window later, and so on.
    expect([...perSend.entries()].sort(([a], [b]) => a - b)).toEqual([
      [0, 5],
      [WINDOW_MS, 5],
      [2 * WINDOW_MS, 5],
      [3 * WINDOW_MS, 1],
    ]);
    expect(busiestWindow(sent, MINUTE)).toBe(5);
  });

  it('retries a lost race with the ring the refusal carries, backing off from the second loss on', async () => {
    const memory = new MemoryQuotaCounter();
    const other = new SharedBudget(memory, 2, { now: () => 0, sleep: async () => undefined });
    await other.take();
    await other.take();
    const pauses: number[] = [];
    const asked: QuotaTake[] = [];
    let losses = 2;
    const racing: QuotaCounter = {
      tryTake: async (take) => {
        asked.push(take);
        // Someone else wins the number twice before this caller gets one.
        if (losses-- > 0) await other.take();
        return memory.tryTake(take);
      },
    };
    let now = 0;
    const clock = {
      now: () => now,
      sleep: async (ms: number) => {
        pauses.push(ms);
        now += ms;
      },
    };
    await new SharedBudget(racing, 2, clock, () => 0.5).take();
    expect(asked.map((take) => take.index)).toEqual([0, 3, 4]);
    expect(pauses[0]).toBe(10);
    expect(memory.taken.map((take) => take.index)).toEqual([0, 1, 2, 3, 4]);
  });

  it('never races itself: concurrent calls of one instance reserve one after another, none refused', async () => {
    const counter = new MemoryQuotaCounter();
    const clock = new StepClock();
    const budget = new SharedBudget(counter, 3, clock, () => 0.5);
    const sent: number[] = [];
    await Promise.all(Array.from({ length: 7 }, () => budget.take().then(() => sent.push(clock.now()))));
    expect(counter.refused).toBe(0);
    expect(counter.taken.map((take) => take.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(sent).toEqual([0, 0, 0, WINDOW_MS, WINDOW_MS, WINDOW_MS, 2 * WINDOW_MS]);
  });

  it('gives up waiting when the caller aborts', async () => {
    const counter = new MemoryQuotaCounter();
    const budget = new SharedBudget(counter, 1, { now: () => 0, sleep: async () => undefined });
    await budget.take();
    const controller = new AbortController();
    controller.abort(new Error('deadline'));
    await expect(budget.take(controller.signal)).rejects.toThrow('deadline');
  });

  it('refuses a limit that is not a positive integer', () => {
    const clock = { now: () => 0, sleep: async () => undefined };
    expect(() => new SharedBudget(new MemoryQuotaCounter(), 0, clock)).toThrow(
      'the request budget must be a positive integer, got 0',
    );
  });

  it('holds every sliding 60 s to the limit for any arrivals, takers and clock skew under half a second', async () => {
    const taker = fc.record({
      skewMs: fc.integer({ min: -500, max: 500 }),
      gapsMs: fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 1, maxLength: 12 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.array(taker, { minLength: 1, maxLength: 5 }),
        holdsWindows,
      ),
      { numRuns: 60 },
    );
  });

  it('holds them too above 100, where the ring samples takes', async () => {
    const taker = fc.record({
      skewMs: fc.integer({ min: -500, max: 500 }),
      gapsMs: fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 100, maxLength: 200 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 101, max: 260 }),
        fc.array(taker, { minLength: 2, maxLength: 4 }),
        holdsWindows,
      ),
      { numRuns: 12 },
    );
  });
});

/**
 * Takers with skewed clocks, each taking after its gaps: every take goes through, no 60 s of true time holds
 * more than `limit`, and none is held back longer than the ring needs (one window per `limit` − `stride` + 1
 * takes after the last arrival, plus the skew).
 */
async function holdsWindows(
  limit: number,
  takers: Array<{ skewMs: number; gapsMs: number[] }>,
): Promise<void> {
  const counter = new MemoryQuotaCounter();
  const clock = new StepClock();
  const sent: number[] = [];
  let lastArrival = 0;
  await Promise.all(
    takers.map(async ({ skewMs, gapsMs }) => {
      const skewed = { now: () => clock.now() + skewMs, sleep: clock.sleep };
      const budget = new SharedBudget(counter, limit, skewed, () => 0.5);
      for (const gap of gapsMs) {
        await clock.sleep(gap);
        lastArrival = Math.max(lastArrival, clock.now());
        await budget.take();
        sent.push(clock.now());
      }
    }),
  );
  const total = takers.reduce((sum, { gapsMs }) => sum + gapsMs.length, 0);
  expect(sent).toHaveLength(total);
  expect(busiestWindow(sent, MINUTE)).toBeLessThanOrEqual(limit);
  expect(
    busiestWindow(
      counter.taken.map((take) => take.at),
      WINDOW_MS,
    ),
  ).toBeLessThanOrEqual(limit);
  const admitted = limit - ringShape(limit).stride + 1;
  expect(Math.max(...sent)).toBeLessThanOrEqual(
    lastArrival + 1_000 + Math.ceil(total / admitted) * WINDOW_MS,
  );
}
