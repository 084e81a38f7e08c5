/**
 * One request budget for the whole stack, kept in every sliding window rather than per clock minute: TiDB
 * Cloud does not document how its gateway counts a key's requests, and one that counts sliding windows would
 * refuse a burst that straddles two clock minutes (per-minute counting let 117–148 through in one 60 s).
 *
 * The shared state is a ring in the state table's `quota#…` item: the next take number, the latest take's
 * send time, and the send times of sampled takes. Take number k may be recorded only while the ring's next
 * number is still k, no take was sent after it, and take k − limit was sent a whole window earlier. Send
 * times therefore rise with the take number, and any `limit` + 1 takes include some take j and take
 * j + limit, a window apart: no window holds more than `limit`. A ring because a DynamoDB condition cannot
 * sum counters, but it can compare one slot and one number.
 *
 * Up to 100 (the API's limit) every take is sampled and the check is exact. Above, every `stride`-th take
 * is, so the item keeps at most 100 slots (about 1.2 KB, 2 write units) whatever the limit: take k then
 * checks the first sampled take at or after k − limit, which was sent no earlier, so the guarantee holds and
 * a window admits at least `limit` − `stride` + 1.
 *
 * A take is a reservation: when the ring is full, the caller records the moment a slot frees and sleeps
 * until then, so waiting callers queue in order instead of all retrying whenever a slot frees. A refusal
 * means another instance took the number first, or this instance's view of the ring was stale; the caller
 * retries with the ring the refusal carries. So one conditional write per take when nobody races, each lost
 * race one more, from the second in a row on after a random backoff.
 */
import type { Clock, QuotaCounter, QuotaRing, QuotaTake, RequestBudget } from './ports.ts';

/**
 * TiDB Cloud's minute plus one second: the margin covers clock skew between functions and the time from a
 * take to its request reaching the gateway, so the gateway sees any 60 s hold at most the limit.
 */
export const WINDOW_MS = 61_000;
/** The most slots a ring keeps, whatever the limit. */
export const MAX_SLOTS = 100;
/** Backoff after repeated lost races: random up to 10 ms × 2^(losses − 1), at most a second. */
const BACKOFF_BASE_MS = 10;
const BACKOFF_CAP_MS = 1_000;

const EMPTY_RING: QuotaRing = { next: 0, slots: [] };

/** How a ring for `limit` samples takes: every `stride`-th, into `size` slots. */
export function ringShape(limit: number): { stride: number; size: number } {
  const stride = Math.ceil(limit / MAX_SLOTS);
  return { stride, size: Math.ceil(limit / stride) };
}

/** The slot take `index` is sampled into, if it is sampled. */
function sampleSlot(index: number, limit: number): number | undefined {
  const { stride, size } = ringShape(limit);
  return index % stride === 0 ? (index / stride) % size : undefined;
}

/** The take a caller asks for, knowing `ring`: the next number, sent as soon as the ring allows. */
export function nextTake(ring: QuotaRing, limit: number, now: number): QuotaTake {
  const index = ring.next;
  const recordSlot = sampleSlot(index, limit);
  const back = index - limit;
  const { stride } = ringShape(limit);
  // The first sampled take at or after take `index - limit` (itself when every take is sampled).
  const checkSlot = back < 0 ? undefined : sampleSlot(Math.ceil(back / stride) * stride, limit);
  const checkedAt = checkSlot === undefined ? undefined : ring.slots[checkSlot];
  const at = Math.max(now, ring.last ?? now, checkedAt === undefined ? now : checkedAt + WINDOW_MS);
  return {
    limit,
    index,
    at,
    ...(checkSlot === undefined ? {} : { check: { slot: checkSlot, freeBefore: at - WINDOW_MS } }),
    ...(recordSlot === undefined ? {} : { recordSlot }),
  };
}

/** The ring after `take` was recorded. */
export function afterTake(ring: QuotaRing, take: QuotaTake): QuotaRing {
  const slots = [...ring.slots];
  if (take.recordSlot !== undefined) slots[take.recordSlot] = take.at;
  return { next: take.index + 1, last: take.at, slots };
}

/** How long to wait before retrying after `losses` lost races in a row (the first retries at once). */
export function backoffMs(losses: number, random: () => number): number {
  if (losses <= 1) return 0;
  return Math.floor(random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (losses - 1)));
}

export class SharedBudget implements RequestBudget {
  /** This instance's latest view of the ring: a stale one costs one refused write, never a wrong take. */
  private ring: QuotaRing = EMPTY_RING;
  private reserving: Promise<unknown> = Promise.resolve();

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
    // One reservation at a time per instance, so concurrent calls of one function never race each other for
    // a number; the sleeps until the reserved times overlap.
    const reserved = this.reserving.then(() => this.reserve(signal));
    this.reserving = reserved.catch(() => undefined);
    const at = await reserved;
    // The slot is ours from `at` on; an abort before then leaves it unused, which only costs capacity.
    const wait = at - this.clock.now();
    if (wait > 0) await this.clock.sleep(wait, signal);
  }

  /** Records the next take in the ring and answers when it may be sent. */
  private async reserve(signal?: AbortSignal): Promise<number> {
    for (let losses = 1; ; losses++) {
      signal?.throwIfAborted();
      const take = nextTake(this.ring, this.limit, this.clock.now());
      const result = await this.counter.tryTake(take, { signal });
      if (result.taken) {
        this.ring = afterTake(this.ring, take);
        return take.at;
      }
      this.ring = result.ring;
      const pause = backoffMs(losses, this.random);
      if (pause > 0) await this.clock.sleep(pause, signal);
    }
  }
}
