/** Retry timing for the TiDB Cloud client: pure functions, so the bounds are unit-tested without waiting. */

export interface BackoffOptions {
  /** Upper bound of the first retry's delay. */
  baseMs: number;
  /** No delay ever exceeds this. */
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 200, capMs: 10_000 };

/**
 * "Full jitter" exponential backoff: a uniform delay in [0, min(cap, base·2^attempt)). Spreading retries
 * over the whole interval keeps many Lambdas that failed together from retrying together.
 * @example backoffDelayMs(2, DEFAULT_BACKOFF, Math.random) // somewhere in [0, 800)
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions, random: () => number): number {
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.max(0, attempt));
  return Math.floor(random() * ceiling);
}

/** Kong counts a fixed one-minute window, so no honest reset is longer than that (plus clock slack). */
const MAX_RESET_MS = 61_000;

/**
 * How long to wait after a 429, from `X-Ratelimit-Reset`. The spec calls it "the time in seconds at which
 * the current rate limit resets" and its example (23) is a delay; a value that looks like a Unix time is
 * read as one, to be safe. Missing or unreadable → `fallbackMs`.
 * @example rateLimitDelayMs('23', Date.now(), 1000) // 23000
 */
export function rateLimitDelayMs(header: string | null, nowMs: number, fallbackMs: number): number {
  const seconds = header === null ? Number.NaN : Number(header.trim());
  if (!Number.isFinite(seconds) || seconds < 0) return fallbackMs;
  const delay = seconds > 1_000_000_000 ? seconds * 1000 - nowMs : seconds * 1000;
  return Math.min(MAX_RESET_MS, Math.max(0, Math.ceil(delay)));
}

/** A sleep that ends early, rejecting with the signal's reason, when the signal aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
