/**
 * One poller at a time, from a lease in the state table rather than from reserved concurrency (which Lambda
 * refuses on accounts with a low concurrency quota). The scheduled reconcile, and a CLI `reconcile` given the
 * table, take the lease until the moment they must have stopped; a caller that finds it held does nothing and
 * says who holds it until when. The lease is released at the end. A holder that died without releasing it
 * (a timeout, a crash) keeps it until it expires, and only then, by more than the clock skew allowed between
 * two machines, may another caller take it over.
 */
import { AppError } from './errors.ts';
import type { Clock, LeaseHeld, LeaseStore } from './ports.ts';

/** The scheduled reconcile's lease (`lease#reconcile` in the state table, docs/architecture.md "One reconcile at a time"). */
export const RECONCILE_LEASE = 'reconcile';

/**
 * How far two callers' clocks may disagree. A lease is taken over only when it expired by more than this on
 * the taker's clock, so a taker whose clock runs this much ahead still never cuts a live holder short. Lambda's
 * clocks agree to milliseconds; the margin is for a CLI on an operator's machine. It is also short enough that
 * a reconcile killed at its timeout (285 s) leaves the lease free for the next 5-minute tick.
 */
export const CLOCK_SKEW_MS = 10_000;

/** A release may not wait on the work's signal (often aborted by then), only this long. */
export const RELEASE_TIMEOUT_MS = 3_000;

export interface LeaseRequest {
  name: string;
  /** Unique per run (a Lambda request id, a CLI process) and readable: it is what a refused caller reports. */
  holder: string;
  /** Epoch ms by which the holder will have stopped working (a Lambda's timeout), on the holder's clock. */
  until: number;
}

export type LeaseRun<T> =
  | {
      ran: true;
      result: T;
      /** False when the lease was no longer ours at the end (taken over after it expired). */
      released: boolean;
    }
  | { ran: false; heldBy: LeaseHeld };

/**
 * The work outlived its lease. Thrown through the signal a caller arms at `until` when nothing else stops it
 * there (a CLI run; a Lambda is stopped by its timeout), since another run may take the lease over after it.
 */
export class LeaseExpiredError extends AppError {
  constructor(name: string, until: number) {
    super(
      'LEASE_EXPIRED',
      `The ${name} lease ran out at ${new Date(until).toISOString()} before the work finished; it was stopped there so that no two runs work at once, and the next run goes on from where it stopped.`,
    );
    this.name = 'LeaseExpiredError';
  }
}

/**
 * Runs `work` only if the lease can be taken, and releases the lease however the work ends. The work must
 * have stopped by `request.until` (the caller's timeout, or a signal it arms there): that is what the
 * lease promises the next taker. `signal` cancels the take.
 *
 * @example const run = await withLease(store, clock, { name: RECONCILE_LEASE, holder, until }, () => pass());
 */
export async function withLease<T>(
  store: LeaseStore,
  clock: Pick<Clock, 'now'>,
  request: LeaseRequest,
  work: () => Promise<T>,
  signal?: AbortSignal,
): Promise<LeaseRun<T>> {
  const lease: LeaseHeld = { holder: request.holder, until: request.until };
  const taken = await store.tryTake(request.name, lease, clock.now() - CLOCK_SKEW_MS, { signal });
  if (!taken.taken) return { ran: false, heldBy: taken.heldBy };
  // Not the work's signal, which is often aborted by the time the work ends.
  const release = () =>
    store.release(request.name, lease, { signal: AbortSignal.timeout(RELEASE_TIMEOUT_MS) });
  let result: T;
  try {
    result = await work();
  } catch (error) {
    // The work's failure is the one to report; a release failing too only leaves the lease to expire.
    await release().catch(() => false);
    throw error;
  }
  return { ran: true, result, released: await release() };
}

/** "x until 2026-…Z (4 min 10 s from now)": what a refused caller logs or prints about the holder. */
export function describeHeld(heldBy: LeaseHeld, now: number): string {
  const left = Math.max(0, Math.round((heldBy.until - now) / 1000));
  const span = left >= 60 ? `${Math.floor(left / 60)} min ${left % 60} s` : `${left} s`;
  return `${heldBy.holder} until ${new Date(heldBy.until).toISOString()} (${span} from now)`;
}
