/**
 * Client-side limiter for one API key. TiDB Cloud allows 100 requests per minute per key and answers 429
 * beyond that; staying under the limit ourselves is cheaper than being told. A sliding-window log (the send
 * times of the last minute) is exact for a limit this small, and it lets a 429's `X-Ratelimit-Reset` pause
 * every caller that shares the key, not just the one that was refused.
 */

export interface RateLimiterOptions {
  requestsPerMinute: number;
  now: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  windowMs?: number;
}

export class SlidingWindowLimiter {
  private readonly sent: number[] = [];
  private pausedUntil = 0;
  private readonly limit: number;
  private readonly windowMs: number;

  constructor(private readonly options: RateLimiterOptions) {
    if (!Number.isInteger(options.requestsPerMinute) || options.requestsPerMinute < 1) {
      throw new RangeError(`requestsPerMinute must be a positive integer, got ${options.requestsPerMinute}`);
    }
    this.limit = options.requestsPerMinute;
    this.windowMs = options.windowMs ?? 60_000;
  }

  /** How long a request sent now would have to wait; 0 when it may go. */
  delayMs(now: number = this.options.now()): number {
    while (this.sent.length > 0 && (this.sent[0] ?? 0) <= now - this.windowMs) this.sent.shift();
    const pause = Math.max(0, this.pausedUntil - now);
    const oldest = this.sent[0];
    const windowWait =
      this.sent.length >= this.limit && oldest !== undefined ? oldest + this.windowMs - now : 0;
    return Math.max(pause, windowWait);
  }

  /** Waits until a request may be sent and records it as sent. */
  async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const now = this.options.now();
      const wait = this.delayMs(now);
      if (wait <= 0) {
        // Recorded in the same tick as the check, so concurrent callers cannot both take the last slot.
        this.sent.push(now);
        return;
      }
      await this.options.sleep(wait, signal);
    }
  }

  /** The server said the window resets in `ms`: hold every request of this key until then. */
  pauseFor(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.options.now() + ms);
  }

  /** Requests recorded in the current window (for tests and stats). */
  inWindow(): number {
    this.delayMs();
    return this.sent.length;
  }
}
