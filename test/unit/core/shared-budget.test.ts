import { describe, expect, it } from 'vitest';
import { SharedBudget } from '../../../functions/core/shared-budget.ts';
import { MemoryQuotaCounter } from '../../../testing/registry-fake.ts';

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

describe('SharedBudget', () => {
  it('lets several functions together send at most the limit in any wall-clock minute', async () => {
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
    const perMinute = new Map<number, number>();
    for (const at of sent)
      perMinute.set(Math.floor(at / 60_000), (perMinute.get(Math.floor(at / 60_000)) ?? 0) + 1);
    expect([...perMinute.values()]).toEqual([5, 5, 5, 1]);
  });

  it('gives up waiting when the caller aborts', async () => {
    const counter = new MemoryQuotaCounter();
    const budget = new SharedBudget(counter, 1, { now: () => 0, sleep: async () => undefined });
    await budget.take();
    const controller = new AbortController();
    controller.abort(new Error('deadline'));
    await expect(budget.take(controller.signal)).rejects.toThrow('deadline');
  });
});
