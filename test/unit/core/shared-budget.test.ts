import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { QuotaCounter, QuotaTake } from '../../../functions/core/ports.ts';
import {
  afterTake,
  backoffMs,
  nextTake,
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

describe('nextTake', () => {
  it('takes number 0 of an empty ring at once, with no previous take to compare', () => {
    expect(nextTake({ next: 0, slots: [] }, 3, 5_000)).toEqual({
      size: 3,
      index: 0,
      slot: 0,
      at: 5_000,
      freeBefore: 5_000 - WINDOW_MS,
    });
  });

  it('waits for its slot to be a window old when the ring is full', () => {
    const ring = { next: 4, slots: [10_000, 20_000, 30_000] };
    expect(nextTake(ring, 3, 40_000)).toMatchObject({
      index: 4,
      slot: 1,
      previousSlot: 0,
      at: 20_000 + WINDOW_MS,
    });
  });

  it('never sends before the previous take, even on a clock that runs behind', () => {
    const ring = { next: 2, slots: [1_000, 9_000, undefined] };
    expect(nextTake(ring, 3, 5_000)).toMatchObject({ index: 2, slot: 2, previousSlot: 1, at: 9_000 });
  });

  it('records the take in its slot and moves the number on', () => {
    const take = nextTake({ next: 1, slots: [100] }, 2, 700);
    expect(afterTake({ next: 1, slots: [100] }, take)).toEqual({ next: 2, slots: [100, 700] });
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
        async (limit, takers) => {
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
          // No slot is wasted: the last request goes out within one window per `limit` after the last arrival.
          expect(Math.max(...sent)).toBeLessThanOrEqual(
            lastArrival + 1_000 + Math.ceil(total / limit) * WINDOW_MS,
          );
        },
      ),
      { numRuns: 60 },
    );
  });
});
