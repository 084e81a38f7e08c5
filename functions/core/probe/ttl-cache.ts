/**
 * A small time-bounded memo for facts that rarely change (a cluster's private link service, the AZs EC2
 * offers a service in). It lives as long as the Lambda container, so a warm probe skips those reads.
 */
export class TtlCache<T> {
  private readonly entries = new Map<string, { value: T; at: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  get(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry || this.now() - entry.at > this.ttlMs) return undefined;
    return entry.value;
  }

  set(key: string, value: T): void {
    this.entries.set(key, { value, at: this.now() });
  }

  /** The cached value, or `load()`'s: remembered when `keep` says so; a failure is never remembered. */
  async through(key: string, load: () => Promise<T>, keep: (value: T) => boolean = () => true): Promise<T> {
    const cached = this.get(key);
    if (cached !== undefined) return cached;
    const value = await load();
    if (keep(value)) this.set(key, value);
    return value;
  }
}
