/**
 * Fault injection: each call arms the next N requests (whatever they are, before authentication, as a
 * gateway or load balancer in front of the API would fail them). Faults are consumed in the order
 * drop → server error → rate limit; `slow` delays a request and then lets it be handled normally.
 * `random` adds a seeded share of faults per kind on top, for the fault matrix (bench/faults.ts).
 */

export type Fault =
  | { kind: 'drop' }
  | { kind: 'serverError'; status: number }
  | { kind: 'rateLimit'; resetSeconds: number };

/** Share of requests (0…1) that get each kind of fault; the shares add up (at most 1 in all). */
export interface RandomFaultRates {
  /** Answered with a google.rpc 500. */
  serverError?: number;
  /** Held `hangMs` (real time), past the client's timeout, then carried out: the answer is lost after the work. */
  timeout?: number;
  /** Socket destroyed before the request is handled. */
  drop?: number;
  /** Answered 429 in bursts of `burstLength` consecutive requests (bursts start at rate / burstLength). */
  rateLimit?: number;
  /** A request carrying a digest answer finds every nonce expired (401 `stale=true`). */
  staleNonce?: number;
}

export interface RandomFaultOptions {
  /** Same seed, same sequence of draws: a run repeats as long as requests arrive in the same order. */
  seed: number;
  rates: RandomFaultRates;
  /** How long a `timeout` request hangs (real ms). Default 2 s. */
  hangMs?: number;
  /** Default 3. */
  burstLength?: number;
  /** `X-Ratelimit-Reset` of a burst's 429s. Default 1 s. */
  burstResetSeconds?: number;
}

type RandomKind = keyof RandomFaultRates;

/** What happens to one request, decided when it arrives. */
export interface RequestFaults {
  delayMs: number;
  /** The delay is a `timeout` fault (not an armed `slow`). */
  timedOut: boolean;
  fault?: Fault;
  /** Expire every nonce before checking this request's digest answer. */
  staleNonce: boolean;
}

/** mulberry32: a tiny seeded PRNG, good enough to spread faults and cheap to reproduce. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const RANDOM_KINDS: RandomKind[] = ['serverError', 'timeout', 'drop', 'rateLimit', 'staleNonce'];

export class Faults {
  private drops = 0;
  private lostAnswers = 0;
  private errors: number[] = [];
  private limits: number[] = [];
  private slows: number[] = [];
  private randomMode: (RandomFaultOptions & { next: () => number }) | undefined;
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

  /**
   * From now on every request draws one number from a PRNG seeded with `seed` and gets at most one fault
   * from `rates`; faults armed by the calls above still come first. `clear()` ends it.
   * @example sim.faults.random({ seed: 7, rates: { serverError: 0.3 } })
   */
  random(options: RandomFaultOptions): void {
    const total = RANDOM_KINDS.reduce((sum, kind) => sum + (options.rates[kind] ?? 0), 0);
    if (total > 1) throw new RangeError(`fault rates add up to ${total}, more than 1`);
    this.randomMode = { ...options, next: seededRandom(options.seed) };
  }

  clear(): void {
    this.drops = 0;
    this.lostAnswers = 0;
    this.errors = [];
    this.limits = [];
    this.slows = [];
    this.randomMode = undefined;
    this.failingPaths.clear();
  }

  /**
   * @internal Called by the server once per request, on arrival: the armed faults first, then one random
   * draw. `authenticated` says whether the request carries a digest answer a stale nonce could spoil;
   * `path` is matched against `failPath`.
   */
  plan(authenticated: boolean, path: string): RequestFaults {
    const slow = this.slows.shift();
    const armed = this.take(path);
    if (slow !== undefined || armed)
      return { delayMs: slow ?? 0, timedOut: false, fault: armed, staleNonce: false };
    const kind = this.draw();
    const mode = this.randomMode;
    if (!kind || !mode) return { delayMs: 0, timedOut: false, staleNonce: false };
    switch (kind) {
      case 'serverError':
        return {
          delayMs: 0,
          timedOut: false,
          fault: { kind: 'serverError', status: 500 },
          staleNonce: false,
        };
      case 'drop':
        return { delayMs: 0, timedOut: false, fault: { kind: 'drop' }, staleNonce: false };
      case 'timeout':
        return { delayMs: mode.hangMs ?? 2000, timedOut: true, staleNonce: false };
      case 'rateLimit': {
        const resetSeconds = mode.burstResetSeconds ?? 1;
        this.rateLimitBurst((mode.burstLength ?? 3) - 1, resetSeconds);
        return { delayMs: 0, timedOut: false, fault: { kind: 'rateLimit', resetSeconds }, staleNonce: false };
      }
      case 'staleNonce':
        if (authenticated) this.expireNonces();
        return { delayMs: 0, timedOut: false, staleNonce: authenticated };
    }
  }

  /**
   * One uniform draw laid over the kinds' shares, end to end. A burst starts with q = r / (L − r(L − 1)):
   * its L − 1 followers take no draw, so bursts then cover a share r of all requests.
   */
  private draw(): RandomKind | undefined {
    const mode = this.randomMode;
    if (!mode) return undefined;
    let u = mode.next();
    for (const kind of RANDOM_KINDS) {
      const rate = mode.rates[kind] ?? 0;
      const length = mode.burstLength ?? 3;
      const width = kind === 'rateLimit' ? rate / (length - rate * (length - 1)) : rate;
      if (u < width) return kind;
      u -= width;
    }
    return undefined;
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
