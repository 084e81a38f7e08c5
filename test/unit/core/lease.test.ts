import { describe, expect, it } from 'vitest';
import { CLOCK_SKEW_MS, describeHeld, RECONCILE_LEASE, withLease } from '../../../functions/core/lease.ts';
import type { Clock } from '../../../functions/core/ports.ts';
import { MemoryLeaseStore } from '../../../testing/lease-fake.ts';
import { leaseStoreContract } from './lease-contract.ts';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const MINUTE = 60_000;

/** A clock that moves only when told to; `offset` skews its reading, as another machine's clock would be. */
class ManualClock implements Pick<Clock, 'now'> {
  constructor(
    public current = T0,
    private readonly offset = 0,
  ) {}

  now = () => this.current + this.offset;

  advance(ms: number) {
    this.current += ms;
  }
}

/** Lets every pending promise callback run (the lease is taken, the timer set). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

const request = (holder: string, until: number) => ({ name: RECONCILE_LEASE, holder, until });

/** Holds the lease for `holder` until `until` on the store, as a run that is still working would. */
async function heldBy(store: MemoryLeaseStore, holder: string, until: number) {
  expect((await store.tryTake(RECONCILE_LEASE, { holder, until }, 0)).taken).toBe(true);
}

leaseStoreContract('MemoryLeaseStore', () => new MemoryLeaseStore());

describe('withLease', () => {
  it('runs the work on a free lease and releases it at the end', async () => {
    const store = new MemoryLeaseStore();
    const clock = new ManualClock();
    const run = await withLease(store, clock, request('a', T0 + 5 * MINUTE), async () => {
      expect(store.leases.get(RECONCILE_LEASE)).toEqual({ holder: 'a', until: T0 + 5 * MINUTE });
      return 42;
    });
    expect(run).toEqual({ ran: true, result: 42, released: true });
    expect(store.leases.has(RECONCILE_LEASE)).toBe(false);
  });

  it('does not run the work while another holds an unexpired lease, and says who holds it until when', async () => {
    const store = new MemoryLeaseStore();
    await heldBy(store, 'reconcile request 1', T0 + 4 * MINUTE);
    let worked = false;
    const run = await withLease(store, new ManualClock(), request('b', T0 + 5 * MINUTE), async () => {
      worked = true;
    });
    expect(run).toEqual({ ran: false, heldBy: { holder: 'reconcile request 1', until: T0 + 4 * MINUTE } });
    expect(worked).toBe(false);
    expect(store.leases.get(RECONCILE_LEASE)?.holder).toBe('reconcile request 1');
  });

  it('takes over an expired lease only once it expired by more than the clock skew', async () => {
    const store = new MemoryLeaseStore();
    const until = T0 + 5 * MINUTE;
    await heldBy(store, 'dead', until);
    const work = async () => 'done';
    const justAfter = new ManualClock(until + CLOCK_SKEW_MS - 1);
    expect(await withLease(store, justAfter, request('b', until + 10 * MINUTE), work)).toMatchObject({
      ran: false,
      heldBy: { holder: 'dead' },
    });
    const later = new ManualClock(until + CLOCK_SKEW_MS + 1);
    expect(await withLease(store, later, request('c', until + 10 * MINUTE), work)).toEqual({
      ran: true,
      result: 'done',
      released: true,
    });
  });

  it('never cuts a live holder short when the taker clock runs ahead by less than the skew allowance', async () => {
    const store = new MemoryLeaseStore();
    const holderClock = new ManualClock();
    const until = T0 + 5 * MINUTE;
    const takerClock = new ManualClock(T0, CLOCK_SKEW_MS - 1_000);
    let finishHolder: () => void = () => undefined;
    const holder = withLease(
      store,
      holderClock,
      request('holder', until),
      () => new Promise<string>((resolve) => (finishHolder = () => resolve('holder done'))),
    );
    await settle();
    // The holder's last second, by its own clock: the taker's clock already reads past the expiry.
    holderClock.advance(until - 1_000 - T0);
    takerClock.current = holderClock.current;
    expect(takerClock.now()).toBeGreaterThan(until);
    const taker = await withLease(store, takerClock, request('taker', until + 5 * MINUTE), async () => 'x');
    expect(taker).toMatchObject({ ran: false, heldBy: { holder: 'holder' } });
    finishHolder();
    expect(await holder).toEqual({ ran: true, result: 'holder done', released: true });
  });

  it('a taker whose clock runs behind only waits longer', async () => {
    const store = new MemoryLeaseStore();
    const until = T0 + 5 * MINUTE;
    await heldBy(store, 'dead', until);
    const behind = new ManualClock(until + 2 * CLOCK_SKEW_MS, -2 * CLOCK_SKEW_MS);
    expect((await withLease(store, behind, request('b', until * 2), async () => 1)).ran).toBe(false);
    behind.current += 2 * CLOCK_SKEW_MS;
    expect((await withLease(store, behind, request('b', until * 2), async () => 1)).ran).toBe(true);
  });

  it('of two overlapping runs, exactly one works', async () => {
    const store = new MemoryLeaseStore();
    const clock = new ManualClock();
    const working: string[] = [];
    const runs = await Promise.all(
      ['first', 'second'].map((holder) =>
        withLease(store, clock, request(holder, T0 + 5 * MINUTE), async () => {
          working.push(holder);
          await Promise.resolve();
          return holder;
        }),
      ),
    );
    expect(working).toHaveLength(1);
    expect(runs.filter((run) => run.ran)).toHaveLength(1);
    expect(runs.find((run) => !run.ran)).toMatchObject({ heldBy: { holder: working[0] } });
  });

  it('releases only the lease this run holds: not another holder, not after a takeover', async () => {
    const store = new MemoryLeaseStore();
    await heldBy(store, 'a', T0 + MINUTE);
    expect(await store.release(RECONCILE_LEASE, { holder: 'b', until: T0 + MINUTE })).toBe(false);
    expect(await store.release(RECONCILE_LEASE, { holder: 'a', until: T0 + 2 * MINUTE })).toBe(false);
    expect(store.leases.get(RECONCILE_LEASE)?.holder).toBe('a');

    // A holder that overran its lease: taken over meanwhile, its release leaves the new lease alone.
    const slowClock = new ManualClock(T0 + 2 * MINUTE);
    const slow = new MemoryLeaseStore();
    let overrun: () => void = () => undefined;
    const late = withLease(
      slow,
      slowClock,
      request('slow', T0 + 3 * MINUTE),
      () => new Promise<void>((resolve) => (overrun = resolve)),
    );
    await settle();
    await slow.tryTake(RECONCILE_LEASE, { holder: 'next', until: T0 + 9 * MINUTE }, T0 + 4 * MINUTE);
    overrun();
    expect(await late).toMatchObject({ ran: true, released: false });
    expect(slow.leases.get(RECONCILE_LEASE)).toEqual({ holder: 'next', until: T0 + 9 * MINUTE });
  });

  it('releases the lease when the work fails, and reports the work failure', async () => {
    const store = new MemoryLeaseStore();
    const run = withLease(store, new ManualClock(), request('a', T0 + MINUTE), async () => {
      throw new Error('listing failed');
    });
    await expect(run).rejects.toThrow('listing failed');
    expect(store.leases.has(RECONCILE_LEASE)).toBe(false);
    expect(store.releases).toBe(1);
  });
});

describe('describeHeld', () => {
  it('names the holder, the expiry and the time left', () => {
    const held = { holder: 'tidb-privatelink-dev-reconcile request 7f3a', until: T0 + 250_000 };
    expect(describeHeld(held, T0)).toBe(
      'tidb-privatelink-dev-reconcile request 7f3a until 2026-01-01T00:04:10.000Z (4 min 10 s from now)',
    );
    expect(describeHeld(held, T0 + 245_000)).toMatch(/\(5 s from now\)$/);
    expect(describeHeld(held, T0 + 300_000)).toMatch(/\(0 s from now\)$/);
  });
});
