/**
 * Per-key request quota as the real gateway (Kong) applies it: a fixed window per wall-clock minute,
 * 100 requests by default, reported on every response. TiDB Cloud does not document its window, so
 * `SlidingQuota` counts every sliding 60 s instead, for runs that must hold under either.
 */

export interface QuotaReport {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets (what `X-Ratelimit-Reset` carries). */
  resetSeconds: number;
}

/** What the simulator asks of its quota on every request. */
export interface RequestQuota {
  /** Counts one request for `key` and says whether it is within the quota. */
  take(key: string): QuotaReport;
  /** The quota state without counting a request (for 401 responses). */
  report(key: string | undefined, allowed?: boolean): QuotaReport;
}

export class MinuteQuota implements RequestQuota {
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

/** The same quota over every sliding 60 s: a request is refused while the last 60 s hold `limit` of the key's. */
export class SlidingQuota implements RequestQuota {
  private readonly sent = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly now: () => number,
  ) {}

  take(key: string): QuotaReport {
    const times = this.inWindow(key);
    const allowed = times.length < this.limit;
    if (allowed) times.push(this.now());
    return this.report(key, allowed);
  }

  report(key: string | undefined, allowed = true): QuotaReport {
    const times = key === undefined ? [] : this.inWindow(key);
    // The window frees its first place when the oldest request in it is a minute old.
    const oldest = times.length >= this.limit ? times[0] : undefined;
    return {
      allowed,
      limit: this.limit,
      remaining: Math.max(0, this.limit - times.length),
      resetSeconds: oldest === undefined ? 1 : Math.max(1, Math.ceil((oldest + 60_000 - this.now()) / 1000)),
    };
  }

  private inWindow(key: string): number[] {
    const since = this.now() - 60_000;
    const times = (this.sent.get(key) ?? []).filter((at) => at > since);
    this.sent.set(key, times);
    return times;
  }
}
