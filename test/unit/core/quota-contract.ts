/**
 * What every `QuotaCounter` must do, as one suite: the in-memory fake runs it in shared-budget.test.ts and
 * the DynamoDB adapter on moto in test/sandbox/quota.test.ts, so the fake cannot drift from the adapter it
 * stands in for. The conditions are tested directly, not through SharedBudget, which never asks for a take
 * they would refuse unless its view of the ring is stale. Every test uses a limit (a ring) of its own, so one
 * table serves the whole suite.
 */
import { describe, expect, it } from 'vitest';
import type { QuotaCounter, QuotaTake } from '../../../functions/core/ports.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const WINDOW = 61_000;

/** Take `index` of the ring for a `limit` up to 100 (every take sampled), sent at `at`. */
function take(limit: number, index: number, at: number): QuotaTake {
  return {
    limit,
    index,
    at,
    ...(index >= limit ? { check: { slot: index % limit, freeBefore: at - WINDOW } } : {}),
    recordSlot: index % limit,
  };
}

/** The ring a refusal carried, or a failure naming the take that went through. */
function refusedRing(result: Awaited<ReturnType<QuotaCounter['tryTake']>>) {
  if (result.taken) throw new Error('expected a refusal, the take went through');
  return result.ring;
}

export function quotaCounterContract(title: string, fresh: () => QuotaCounter): void {
  describe(`${title} (the QuotaCounter contract)`, () => {
    it('takes number 0 of a new ring once; a second caller with the same number gets the ring instead', async () => {
      const counter = fresh();
      expect(await counter.tryTake(take(2, 0, T0))).toEqual({ taken: true });
      const ring = refusedRing(await counter.tryTake(take(2, 0, T0 + 5)));
      expect([ring.next, ring.last, ring.slots[0], ring.slots[1]]).toEqual([1, T0, T0, undefined]);
      expect(await counter.tryTake(take(2, 1, T0 + 5))).toEqual({ taken: true });
    });

    it('refuses while the checked slot is less than a window old, and takes it a window later', async () => {
      const counter = fresh();
      for (const [index, at] of [
        [0, T0],
        [1, T0 + 1_000],
        [2, T0 + 2_000],
      ] as const)
        expect(await counter.tryTake(take(3, index, at))).toEqual({ taken: true });
      const ring = refusedRing(await counter.tryTake(take(3, 3, T0 + WINDOW - 1)));
      expect([ring.next, ring.last, ...ring.slots]).toEqual([3, T0 + 2_000, T0, T0 + 1_000, T0 + 2_000]);
      expect(await counter.tryTake(take(3, 3, T0 + WINDOW))).toEqual({ taken: true });
    });

    it('refuses a take sent before the latest one (a clock running behind)', async () => {
      const counter = fresh();
      expect(await counter.tryTake(take(4, 0, T0 + 10_000))).toEqual({ taken: true });
      expect((await counter.tryTake(take(4, 1, T0 + 9_999))).taken).toBe(false);
      expect(await counter.tryTake(take(4, 1, T0 + 10_000))).toEqual({ taken: true });
    });

    it('keeps the rings of different limits apart', async () => {
      const counter = fresh();
      expect(await counter.tryTake(take(5, 0, T0))).toEqual({ taken: true });
      expect(await counter.tryTake(take(6, 0, T0))).toEqual({ taken: true });
    });

    it('moves the number and the latest time on for a take it does not sample', async () => {
      const counter = fresh();
      expect(await counter.tryTake({ limit: 200, index: 0, at: T0, recordSlot: 0 })).toEqual({ taken: true });
      expect(await counter.tryTake({ limit: 200, index: 1, at: T0 + 7 })).toEqual({ taken: true });
      const ring = refusedRing(await counter.tryTake({ limit: 200, index: 1, at: T0 + 9 }));
      expect([ring.next, ring.last, ring.slots[0], ring.slots[1]]).toEqual([2, T0 + 7, T0, undefined]);
    });

    it('gives a number to exactly one of many racing callers; every refusal carries the winner', async () => {
      const counter = fresh();
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => counter.tryTake(take(7, 0, T0 + i))),
      );
      const winners = results.flatMap((result, i) => (result.taken ? [T0 + i] : []));
      expect(winners).toHaveLength(1);
      const refusals = results.flatMap((result) => (result.taken ? [] : [result.ring]));
      expect(refusals.map((ring) => [ring.next, ring.last, ring.slots[0]])).toEqual(
        Array.from({ length: 11 }, () => [1, winners[0], winners[0]]),
      );
    });
  });
}
