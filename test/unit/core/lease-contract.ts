/**
 * What every `LeaseStore` must do, as one suite: the in-memory fake runs it in lease.test.ts and the DynamoDB
 * adapter on moto in test/sandbox/lease.test.ts, so the fake cannot drift from the adapter it stands in for.
 * Each call of `fresh()` returns a store holding no lease; names are unique per test.
 */
import { describe, expect, it } from 'vitest';
import type { LeaseStore } from '../../../functions/core/ports.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');

export function leaseStoreContract(title: string, fresh: () => LeaseStore): void {
  describe(`${title} (the LeaseStore contract)`, () => {
    it('takes a free lease, refuses it while held (naming the holder), and frees it on release', async () => {
      const store = fresh();
      const held = { holder: 'a', until: T0 + 60_000 };
      expect(await store.tryTake('c-one', held, T0)).toEqual({ taken: true });
      expect(await store.tryTake('c-one', { holder: 'b', until: T0 + 120_000 }, T0 + 1_000)).toEqual({
        taken: false,
        heldBy: held,
      });
      expect(await store.release('c-one', held)).toBe(true);
      expect(await store.tryTake('c-one', { holder: 'b', until: T0 + 120_000 }, T0 + 1_000)).toEqual({
        taken: true,
      });
    });

    it('is taken over only once it expired before the taker bound, and the old holder cannot release it then', async () => {
      const store = fresh();
      const old = { holder: 'dead', until: T0 + 60_000 };
      await store.tryTake('c-two', old, T0);
      expect((await store.tryTake('c-two', { holder: 'b', until: T0 + 9e5 }, T0 + 60_000)).taken).toBe(false);
      expect((await store.tryTake('c-two', { holder: 'b', until: T0 + 9e5 }, T0 + 60_001)).taken).toBe(true);
      expect(await store.release('c-two', old)).toBe(false);
      expect(await store.tryTake('c-two', { holder: 'c', until: T0 + 9e5 }, T0 + 60_001)).toEqual({
        taken: false,
        heldBy: { holder: 'b', until: T0 + 9e5 },
      });
    });

    it('is released only by the same holder with the same expiry', async () => {
      const store = fresh();
      await store.tryTake('c-three', { holder: 'a', until: T0 + 60_000 }, T0);
      expect(await store.release('c-three', { holder: 'b', until: T0 + 60_000 })).toBe(false);
      expect(await store.release('c-three', { holder: 'a', until: T0 + 61_000 })).toBe(false);
      expect(await store.release('c-never-taken', { holder: 'a', until: T0 })).toBe(false);
      expect((await store.tryTake('c-three', { holder: 'b', until: T0 + 9e5 }, T0)).taken).toBe(false);
    });

    it('gives exactly one of many concurrent takers the lease', async () => {
      const store = fresh();
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          store.tryTake('c-four', { holder: `h${i}`, until: T0 + 60_000 }, T0),
        ),
      );
      expect(results.filter((result) => result.taken)).toHaveLength(1);
    });
  });
}
