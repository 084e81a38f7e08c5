/**
 * One request budget for the whole stack, kept in every sliding window rather than per clock minute: TiDB
 * Cloud does not document how its gateway counts a key's requests, and one that counts sliding windows would
 * refuse a burst that straddles two clock minutes (per-minute counting let 117–148 through in one 60 s).
 *
 * The shared state is a ring of `limit` slots (the state table's `quota#…` item). Take number k records
 * its send time in slot k mod limit, and the counter records it only while the ring's next number is still
 * k, the slot's previous take (number k − limit) was sent at least `WINDOW_MS` earlier, and take k − 1 was
 * sent no later. Send times therefore rise with the take number, and any `limit` + 1 takes include some take
 * j and take j + limit, a whole window apart: no window holds more than `limit`. A ring because a DynamoDB
 * condition cannot sum counters, but it can compare one slot and one number.
 *
 * A take is a reservation: when the ring is full, the caller records the moment its slot frees and sleeps
 * until then, so waiting callers queue in order instead of all retrying whenever a slot frees. Only callers
 * that race for the same number are refused; they retry with the ring the refusal carries (one conditional
 * write per take when nobody races; each lost race one more, and from the second on after a random backoff).
 */
import type { Clock, QuotaCounter, QuotaRing, QuotaTake, RequestBudget } from './ports.ts';

/**
 * TiDB Cloud's minute plus one second: the margin covers clock skew between functions and the time from a
 * take to its request reaching the gateway, so the gateway sees any 60 s hold at most the limit.
 */
export const WINDOW_MS = 61_000;
/** Backoff after repeated lost races: random up to 10 ms × 2^(losses − 1), at most a second. */
const BACKOFF_BASE_MS = 10;
const BACKOFF_CAP_MS = 1_000;

const EMPTY_RING: QuotaRing = { next: 0, slots: [] };

/** The take a caller asks for, knowing `ring`: the next number, sent as soon as its slot is free. */
export function nextTake(ring: QuotaRing, limit: number, now: number): QuotaTake {
  const index = ring.next;
  const slot = index % limit;
  const previousSlot = index > 0 ? (index - 1) % limit : undefined;
  const previousAt = previousSlot === undefined ? undefined : ring.slots[previousSlot];
  const slotAt = ring.slots[slot];
  const at = Math.max(now, previousAt ?? now, slotAt === undefined ? now : slotAt + WINDOW_MS);
  return {
    size: limit,
    index,
    slot,
    ...(previousSlot === undefined ? {} : { previousSlot }),
    at,
    freeBefore: at - WINDOW_MS,
  };
}

/** The ring after `take` was recorded. */
export function afterTake(ring: QuotaRing, take: QuotaTake): QuotaRing {
  const slots = [...ring.slots];
  slots[take.slot] = take.at;
  return { next: take.index + 1, slots };
}

/** How long to wait before retrying after `losses` lost races in a row (the first retries at once). */
export function backoffMs(losses: number, random: () => number): number {
  if (losses <= 1) return 0;
  return Math.floor(random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (losses - 1)));
}

export class SharedBudget implements RequestBudget {
  /** This instance's latest view of the ring: a stale one costs one refused write, never a wrong take. */
  private ring: QuotaRing = EMPTY_RING;

  constructor(
    private readonly counter: QuotaCounter,
    private readonly limit: number,
    private readonly clock: Pick<Clock, 'now' | 'sleep'>,
    private readonly random: () => number = Math.random,
  ) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`the request budget must be a positive integer, got ${limit}`);
    }
  }

  async take(signal?: AbortSignal): Promise<void> {
    for (let losses = 1; ; losses++) {
      signal?.throwIfAborted();
      const take = nextTake(this.ring, this.limit, this.clock.now());
      const result = await this.counter.tryTake(take, { signal });
      if (result.taken) {
        this.ring = afterTake(this.ring, take);
        // The slot is ours from `at` on; an abort before then leaves it unused, which only costs capacity.
        const wait = take.at - this.clock.now();
        if (wait > 0) await this.clock.sleep(wait, signal);
        return;
      }
      this.ring = result.ring;
      const pause = backoffMs(losses, this.random);
      if (pause > 0) await this.clock.sleep(pause, signal);
    }
  }
}
