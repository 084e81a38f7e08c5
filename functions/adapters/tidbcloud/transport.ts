/**
 * The TiDB Cloud client's HTTP side: one API call is the client-side limiter, the shared budget, the digest
 * exchange, bounded retries with backoff (5xx, network, stale nonces) and the waits a 429's rate headers ask
 * for. It knows nothing of the API's resources; `client.ts` does.
 */

import { TidbCloudError } from '../../core/errors.ts';
import type { CallOptions, RequestBudget } from '../../core/ports.ts';
import { linkSignal } from '../abort.ts';
import { parseChallenge } from './digest.ts';
import { DigestSession } from './digest-session.ts';
import {
  type HttpResult,
  isRefused,
  isStale,
  type RequestWording,
  TidbErrorMapping,
} from './error-mapping.ts';
import { SlidingWindowLimiter } from './rate-limiter.ts';
import {
  abortableSleep,
  type BackoffOptions,
  backoffDelayMs,
  DEFAULT_BACKOFF,
  rateLimitDelayMs,
} from './retry.ts';

export type TidbOperation =
  | 'listClusters'
  | 'getCluster'
  | 'listNodeGroups'
  | 'getPrivateLinkService'
  | 'listConnections'
  | 'createConnection'
  | 'getConnection'
  | 'deleteConnection';

export interface TidbCloudClientOptions {
  /** e.g. `https://dedicated.tidbapi.com/v1beta1` (config `TIDB_CLOUD_API_URL`). */
  baseUrl: string;
  publicKey: string;
  privateKey: string;
  /** Per HTTP attempt, body included. Default 30 s. */
  timeoutMs?: number;
  /** Retries after 5xx/network errors, and separately after 429s. Default 4. */
  maxRetries?: number;
  /** Client-side limit for this key. Default 95: under the API's 100, leaving room for a human's curl. */
  requestsPerMinute?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  /** Source of jitter, in [0, 1). */
  random?: () => number;
  backoff?: BackoffOptions;
  userAgent?: string;
  /** The stack's shared quota (one per key across every function); each request takes one unit. */
  budget?: RequestBudget;
}

/** HTTP requests sent, digest challenges and retries included: what a reconcile really costs. */
export interface TidbCloudClientStats {
  /** Every HTTP request sent (metric TidbApiRequests). */
  requests: number;
  byOperation: Partial<Record<TidbOperation, number>>;
  challenges: number;
  retries: number;
  /** Every 429 answer received (metric TidbApiRateLimited). */
  rateLimited: number;
}

export interface RequestSpec extends RequestWording {
  operation: TidbOperation;
  method: 'GET' | 'POST' | 'DELETE';
  path: string[];
  query?: Array<[string, string]>;
  body?: unknown;
}

/** Set while a request runs: a retried POST may have been applied by the server before the failure. */
export interface Attempts {
  possiblyApplied: boolean;
}

/** Per answer; see readCapped. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** `stale=true` challenges answered in a row within one attempt before it counts as a server failure. */
const MAX_STALE_ANSWERS = 3;

const emptyStats = (): TidbCloudClientStats => ({
  requests: 0,
  byOperation: {},
  challenges: 0,
  retries: 0,
  rateLimited: 0,
});

export class TidbTransport {
  readonly errors: TidbErrorMapping;
  private readonly baseUrl: string;
  private readonly fetchFn: typeof fetch;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly limiter: SlidingWindowLimiter;
  private readonly digest: DigestSession;
  private readonly counters: TidbCloudClientStats = emptyStats();

  constructor(private readonly options: TidbCloudClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.errors = new TidbErrorMapping({ ...options, baseUrl: this.baseUrl });
    this.fetchFn = options.fetch ?? globalThis.fetch;
    this.sleep = options.sleep ?? abortableSleep;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.digest = new DigestSession(options);
    this.limiter = new SlidingWindowLimiter({
      requestsPerMinute: options.requestsPerMinute ?? 95,
      now: this.now,
      sleep: this.sleep,
    });
  }

  /** A snapshot of the request counters since construction (or the last `resetStats`). */
  get stats(): TidbCloudClientStats {
    return { ...this.counters, byOperation: { ...this.counters.byOperation } };
  }

  resetStats(): void {
    Object.assign(this.counters, emptyStats());
  }

  /** One API call: limiter, digest, bounded retries, typed errors. The body parsed, `{}` when empty. */
  async send<T>(spec: RequestSpec, options?: CallOptions, attempts?: Attempts): Promise<T> {
    const signal = options?.signal;
    const url = this.url(spec);
    let serverRetries = 0;
    let rateRetries = 0;
    for (;;) {
      let result: HttpResult;
      try {
        result = await this.exchange(spec, url, signal);
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        // Our own verdict on an answer (too large): asking again gets the same answer.
        if (error instanceof TidbCloudError) throw error;
        if (attempts && !isRefused(error)) attempts.possiblyApplied = true;
        if (serverRetries >= this.maxRetries) throw this.errors.unreachable(error, serverRetries + 1);
        await this.backoff(serverRetries, signal);
        serverRetries += 1;
        continue;
      }
      if (result.status >= 200 && result.status < 300) return this.parse<T>(spec, result);
      if (result.status === 429) {
        // Every 429 counts, the last one given up on too: it is what the TidbApiRateLimited metric reports.
        this.counters.rateLimited += 1;
        if (rateRetries >= this.maxRetries) throw this.errors.rateLimited(result, rateRetries + 1);
        await this.waitForReset(result, options);
        rateRetries += 1;
        continue;
      }
      if (result.status >= 500 || isStale(result)) {
        if (attempts) attempts.possiblyApplied = true;
        if (serverRetries >= this.maxRetries) {
          throw this.errors.serverFailed(spec, result, serverRetries + 1);
        }
        await this.backoff(serverRetries, signal);
        serverRetries += 1;
        continue;
      }
      throw this.errors.httpError(spec, result);
    }
  }

  private get maxRetries(): number {
    return this.options.maxRetries ?? 4;
  }

  /**
   * Sends with the current nonce and answers the server's challenges: a fresh one once, `stale=true` ones up
   * to MAX_STALE_ANSWERS times in a row (a busy server may expire nonces faster than we use them).
   */
  private async exchange(spec: RequestSpec, url: URL, signal?: AbortSignal): Promise<HttpResult> {
    const release = await this.digest.turn(signal);
    try {
      const usedNonce = this.digest.nonce;
      let result = await this.attempt(spec, url, signal);
      for (let answered = 0; result.status === 401 && answered <= MAX_STALE_ANSWERS; answered += 1) {
        const challenge = parseChallenge(result.headers.get('www-authenticate'));
        if (!challenge) return result;
        // Not stale after we answered (or the same nonce again): the server checked our answer and the key
        // is wrong; asking again won't help.
        const refused = answered > 0 || (usedNonce !== undefined && challenge.nonce === usedNonce);
        if (refused && !challenge.stale) return result;
        this.digest.learn(challenge);
        this.counters.challenges += 1;
        result = await this.attempt(spec, url, signal);
      }
      return result;
    } finally {
      release();
    }
  }

  private async attempt(spec: RequestSpec, url: URL, signal?: AbortSignal): Promise<HttpResult> {
    await this.limiter.acquire(signal);
    await this.options.budget?.take(signal);
    this.counters.requests += 1;
    this.counters.byOperation[spec.operation] = (this.counters.byOperation[spec.operation] ?? 0) + 1;
    // Linked, not AbortSignal.any: the caller's signal may serve a whole warm Lambda (see adapters/abort.ts).
    const linked = linkSignal(signal, { timeoutMs: this.options.timeoutMs ?? 30_000 });
    try {
      const response = await this.fetchFn(url, {
        method: spec.method,
        headers: this.headers(spec, url),
        ...(spec.body === undefined ? {} : { body: JSON.stringify(spec.body) }),
        signal: linked.signal,
      });
      // Read inside the same timeout: a server that sends headers and then stalls is as dead as a silent one.
      const text = await this.readCapped(response, spec);
      return { status: response.status, headers: response.headers, text };
    } finally {
      linked.dispose();
    }
  }

  private headers(spec: RequestSpec, url: URL): Record<string, string> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': this.options.userAgent ?? 'tidb-privatelink',
    };
    if (spec.body !== undefined) headers['content-type'] = 'application/json';
    const authorization = this.digest.authorization(spec.method, `${url.pathname}${url.search}`);
    if (authorization) headers.authorization = authorization;
    return headers;
  }

  private url(spec: RequestSpec): URL {
    const path = spec.path.map((segment) => encodeURIComponent(segment)).join('/');
    const url = new URL(`${this.baseUrl}/${path}`);
    for (const [name, value] of spec.query ?? []) url.searchParams.append(name, value);
    return url;
  }

  private parse<T>(spec: RequestSpec, result: HttpResult): T {
    if (result.text.trim() === '') return {} as T;
    try {
      return JSON.parse(result.text) as T;
    } catch (error) {
      throw this.errors.notJson(spec, result, error);
    }
  }

  private async backoff(retry: number, signal?: AbortSignal): Promise<void> {
    this.counters.retries += 1;
    await this.sleep(backoffDelayMs(retry, this.options.backoff ?? DEFAULT_BACKOFF, this.random), signal);
  }

  private async waitForReset(result: HttpResult, options: CallOptions = {}): Promise<void> {
    const { signal, deadline } = options;
    const delay = rateLimitDelayMs(result.headers.get('x-ratelimit-reset'), this.now(), 1_000);
    // Waiting past the caller's deadline helps nobody: say when the quota comes back instead.
    if (deadline !== undefined && this.now() + delay > deadline) {
      throw this.errors.quotaExhausted(result, new Date(this.now() + delay));
    }
    this.counters.retries += 1;
    // Other calls sharing this key would be refused too: hold them in the limiter rather than let them fail.
    this.limiter.pauseFor(delay);
    await this.sleep(delay, signal);
  }

  /**
   * The body, up to MAX_BODY_BYTES. A page of 100 clusters is about 100 KB; an answer a hundred times that is
   * not the API talking, and held whole in a Lambda's memory it could end the invocation.
   */
  private async readCapped(response: Response, spec: RequestSpec): Promise<string> {
    const tooLarge = () => this.errors.tooLarge(spec, response.status, MAX_BODY_BYTES);
    if (Number(response.headers.get('content-length') ?? 0) > MAX_BODY_BYTES) {
      await response.body?.cancel();
      throw tooLarge();
    }
    if (!response.body) return '';
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += chunk.byteLength;
      if (size > MAX_BODY_BYTES) throw tooLarge();
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}
