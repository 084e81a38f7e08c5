/**
 * Per-key request quota as the real gateway (Kong) applies it: a fixed window per wall-clock minute,
 * 100 requests by default, reported on every response.
 */

export interface QuotaReport {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets (what `X-Ratelimit-Reset` carries). */
  resetSeconds: number;
}

export class MinuteQuota {
  private readonly used = new Map<string, { window: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly now: () => number,
  ) {}

  /** Counts one request for `key` and says whether it is within the quota. */
  take(key: string): QuotaReport {
    const { window, count } = this.current(key);
    const allowed = count < this.limit;
    if (allowed) this.used.set(key, { window, count: count + 1 });
    return this.report(key, allowed);
  }

  /** The quota state without counting a request (for 401 responses). */
  report(key: string | undefined, allowed = true): QuotaReport {
    const count = key === undefined ? 0 : this.current(key).count;
    const windowEnd = (Math.floor(this.now() / 60_000) + 1) * 60_000;
    return {
      allowed,
      limit: this.limit,
      remaining: Math.max(0, this.limit - count),
      resetSeconds: Math.max(1, Math.ceil((windowEnd - this.now()) / 1000)),
    };
  }

  private current(key: string): { window: number; count: number } {
    const window = Math.floor(this.now() / 60_000);
    const entry = this.used.get(key);
    return entry && entry.window === window ? entry : { window, count: 0 };
  }
}
