/**
 * Fault injection: each call arms the next N requests (whatever they are, before authentication, as a
 * gateway or load balancer in front of the API would fail them). Faults are consumed in the order
 * drop → server error → rate limit; `slow` delays a request and then lets it be handled normally.
 */

export type Fault =
  | { kind: 'drop' }
  | { kind: 'serverError'; status: number }
  | { kind: 'rateLimit'; resetSeconds: number };

export class Faults {
  private drops = 0;
  private lostAnswers = 0;
  private errors: number[] = [];
  private limits: number[] = [];
  private slows: number[] = [];
  private readonly failingPaths = new Map<string, number>();

  constructor(private readonly onExpireNonces: () => void) {}

  /** The next `n` requests get 429 with the real body and `X-Ratelimit-Reset: resetSeconds`. */
  rateLimitBurst(n: number, resetSeconds = 1): void {
    this.limits.push(...Array<number>(n).fill(resetSeconds));
  }

  /** The next `n` requests get a google.rpc 500 (or `status`). */
  serverErrors(n: number, status = 500): void {
    this.errors.push(...Array<number>(n).fill(status));
  }

  /**
   * Every request whose path contains `pathPart` (e.g. one cluster's id) gets a google.rpc `status`, until
   * `clear()`: one cluster that stays broken while the others work.
   */
  failPath(pathPart: string, status = 503): void {
    this.failingPaths.set(pathPart, status);
  }

  /** The next `n` requests wait `ms` (real time) before being handled. */
  slow(ms: number, n = 1): void {
    this.slows.push(...Array<number>(n).fill(ms));
  }

  /** The next `n` requests have their socket destroyed without any response. */
  drop(n = 1): void {
    this.drops += n;
  }

  /**
   * The next `n` authenticated, routed requests are carried out (state changes!) and then their socket is
   * destroyed: the answer is lost after the work was done, as when a load balancer times out.
   */
  dropResponses(n = 1): void {
    this.lostAnswers += n;
  }

  /** Every nonce issued so far is refused with `stale=true`, as after the real nonce lifetime. */
  expireNonces(): void {
    this.onExpireNonces();
  }

  clear(): void {
    this.drops = 0;
    this.lostAnswers = 0;
    this.errors = [];
    this.limits = [];
    this.slows = [];
    this.failingPaths.clear();
  }

  /** @internal Consumed by the server for each request. */
  takeDelay(): number {
    return this.slows.shift() ?? 0;
  }

  /** @internal Consumed by the server after a request was carried out. */
  takeLostAnswer(): boolean {
    if (this.lostAnswers === 0) return false;
    this.lostAnswers -= 1;
    return true;
  }

  /** @internal Consumed by the server for each request. */
  take(path = ''): Fault | undefined {
    for (const [part, status] of this.failingPaths) {
      if (path.includes(part)) return { kind: 'serverError', status };
    }
    if (this.drops > 0) {
      this.drops -= 1;
      return { kind: 'drop' };
    }
    const status = this.errors.shift();
    if (status !== undefined) return { kind: 'serverError', status };
    const resetSeconds = this.limits.shift();
    if (resetSeconds !== undefined) return { kind: 'rateLimit', resetSeconds };
    return undefined;
  }
}
