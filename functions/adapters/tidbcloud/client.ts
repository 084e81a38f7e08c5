/**
 * TiDB Cloud Dedicated API v1beta1 client (the `TidbCloudPort` adapter): HTTP Digest auth, a client-side
 * rate limiter, bounded retries and typed errors. One instance per API key, built once per cold start.
 */

import { linkSignal } from '../../core/abort.ts';
import {
  TidbCloudAuthError,
  TidbCloudBadRequestError,
  TidbCloudConflictError,
  TidbCloudError,
  TidbCloudForbiddenError,
  TidbCloudNotFoundError,
  TidbCloudQuotaExhaustedError,
  TidbCloudRateLimitError,
  TidbCloudUnavailableError,
} from '../../core/errors.ts';
import type { Cluster, NodeGroup, PrivateEndpointConnection, PrivateLinkService } from '../../core/model.ts';
import type { CallOptions, ConnectionScope, RequestBudget, TidbCloudPort } from '../../core/ports.ts';
import { buildAuthorization, type DigestChallenge, newCnonce, parseChallenge } from './digest.ts';
import {
  type ApiCluster,
  type ApiConnection,
  type ApiNodeGroup,
  type ApiPage,
  type ApiPrivateLinkService,
  toCluster,
  toConnection,
  toNodeGroup,
  toPrivateLinkService,
} from './mapping.ts';
import { SlidingWindowLimiter } from './rate-limiter.ts';
import {
  abortableSleep,
  type BackoffOptions,
  backoffDelayMs,
  DEFAULT_BACKOFF,
  rateLimitDelayMs,
} from './retry.ts';
import { ApiShapeError, checkAnswer, type ShapeKind } from './shape.ts';

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

interface RequestSpec {
  operation: TidbOperation;
  method: 'GET' | 'POST' | 'DELETE';
  path: string[];
  query?: Array<[string, string]>;
  body?: unknown;
  /** For error messages: "list clusters", "get cluster 123". */
  action: string;
  /** For 404 messages: "TiDB Cloud has no <resource>." */
  resource: string;
}

interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
}

/** Set while a request runs: a retried POST may have been applied by the server before the failure. */
interface Attempts {
  possiblyApplied: boolean;
}

const AUTH_MESSAGE =
  'The TiDB Cloud API rejected the API key: check TIDB_CLOUD_PUBLIC_KEY and TIDB_CLOUD_PRIVATE_KEY.';
const PAGE_SIZE = '100';
/** 100 000 items: far beyond any project, yet a run that never ends is cut at ~10 minutes of quota. */
const MAX_PAGES = 1_000;
/** Per answer; see readCapped. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Empty pages in a row that still hand out a next-page token: the server is not getting anywhere. */
const MAX_EMPTY_PAGES = 3;
/** `stale=true` challenges answered in a row within one attempt before it counts as a server failure. */
const MAX_STALE_ANSWERS = 3;

export class TidbCloudClient implements TidbCloudPort {
  private readonly baseUrl: string;
  private readonly fetchFn: typeof fetch;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly limiter: SlidingWindowLimiter;
  private readonly counters: TidbCloudClientStats = {
    requests: 0,
    byOperation: {},
    challenges: 0,
    retries: 0,
    rateLimited: 0,
  };
  private challenge: DigestChallenge | undefined;
  private nonceCount = 0;

  constructor(private readonly options: TidbCloudClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchFn = options.fetch ?? globalThis.fetch;
    this.sleep = options.sleep ?? abortableSleep;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
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
    Object.assign(this.counters, { requests: 0, byOperation: {}, challenges: 0, retries: 0, rateLimited: 0 });
  }

  async listClusters(filter: { projectId?: string }, options?: CallOptions): Promise<Cluster[]> {
    const query: Array<[string, string]> = filter.projectId ? [['projectId', filter.projectId]] : [];
    const raw = await this.listAll<ApiCluster>(
      {
        operation: 'listClusters',
        method: 'GET',
        path: ['clusters'],
        query,
        action: 'list clusters',
        resource: `project ${filter.projectId ?? '(default)'}`,
      },
      'clusters',
      'cluster',
      options,
    );
    return raw.map(toCluster);
  }

  async getCluster(clusterId: string, options?: CallOptions): Promise<Cluster> {
    const raw = await this.sendChecked<ApiCluster>(
      'cluster',
      {
        operation: 'getCluster',
        method: 'GET',
        path: ['clusters', clusterId],
        action: `get cluster ${clusterId}`,
        resource: `cluster ${clusterId}`,
      },
      options,
    );
    return toCluster(raw);
  }

  async listNodeGroups(clusterId: string, options?: CallOptions): Promise<NodeGroup[]> {
    const raw = await this.listAll<ApiNodeGroup>(
      {
        operation: 'listNodeGroups',
        method: 'GET',
        path: ['clusters', clusterId, 'tidbNodeGroups'],
        action: `list the TiDB node groups of cluster ${clusterId}`,
        resource: `cluster ${clusterId}`,
      },
      'tidbNodeGroups',
      'nodeGroup',
      options,
    );
    return raw.map(toNodeGroup);
  }

  async getPrivateLinkService(
    clusterId: string,
    tidbNodeGroupId: string,
    options?: CallOptions,
  ): Promise<PrivateLinkService> {
    const raw = await this.sendChecked<ApiPrivateLinkService>(
      'privateLinkService',
      {
        operation: 'getPrivateLinkService',
        method: 'GET',
        path: ['clusters', clusterId, 'tidbNodeGroups', tidbNodeGroupId, 'privateLinkService'],
        action: `get the private link service of cluster ${clusterId} node group ${tidbNodeGroupId}`,
        resource: `private link service for cluster ${clusterId} node group ${tidbNodeGroupId}`,
      },
      options,
    );
    return toPrivateLinkService(raw, tidbNodeGroupId);
  }

  async listConnections(scope: ConnectionScope, options?: CallOptions): Promise<PrivateEndpointConnection[]> {
    const inGroup = 'clusterId' in scope;
    const path = inGroup
      ? ['clusters', scope.clusterId, 'tidbNodeGroups', scope.tidbNodeGroupId, 'privateEndpointConnections']
      : // `-`/`-` lists across clusters and groups: of `projectId`, or of the key's default project.
        ['clusters', '-', 'tidbNodeGroups', '-', 'privateEndpointConnections'];
    const query: Array<[string, string]> =
      !inGroup && scope.projectId ? [['projectId', scope.projectId]] : [];
    const where = inGroup
      ? `cluster ${scope.clusterId} node group ${scope.tidbNodeGroupId}`
      : `project ${('projectId' in scope && scope.projectId) || '(default)'}`;
    const raw = await this.listAll<ApiConnection>(
      {
        operation: 'listConnections',
        method: 'GET',
        path,
        query,
        action: `list the private endpoint connections of ${where}`,
        resource: where,
      },
      'privateEndpointConnections',
      'connection',
      options,
    );
    return raw.map((item) => toConnection(item, inGroup ? { clusterId: scope.clusterId } : {}));
  }

  async createConnection(
    clusterId: string,
    tidbNodeGroupId: string,
    endpointId: string,
    options?: CallOptions,
  ): Promise<PrivateEndpointConnection> {
    const attempts: Attempts = { possiblyApplied: false };
    try {
      const raw = await this.sendChecked<ApiConnection>(
        'connection',
        {
          operation: 'createConnection',
          method: 'POST',
          path: ['clusters', clusterId, 'tidbNodeGroups', tidbNodeGroupId, 'privateEndpointConnections'],
          // Exactly the documented body: the ids travel in the path.
          body: { endpointId },
          action: `register endpoint ${endpointId} with cluster ${clusterId} node group ${tidbNodeGroupId}`,
          resource: `TiDB node group ${tidbNodeGroupId} of cluster ${clusterId}`,
        },
        options,
        { attempts },
      );
      return toConnection(raw, { clusterId });
    } catch (error) {
      // Our own earlier attempt may have registered the endpoint before its answer was lost; the retry is
      // then refused as a duplicate. Only in that case is the existing registration our result.
      const duplicate = error instanceof TidbCloudBadRequestError || error instanceof TidbCloudConflictError;
      if (!duplicate || !attempts.possiblyApplied) throw error;
      const existing = await this.listConnections({ clusterId, tidbNodeGroupId }, options);
      const mine = existing.find((connection) => connection.endpointId === endpointId);
      if (!mine) throw error;
      return mine;
    }
  }

  async getConnection(
    clusterId: string,
    tidbNodeGroupId: string,
    privateEndpointConnectionId: string,
    options?: CallOptions,
  ): Promise<PrivateEndpointConnection> {
    const raw = await this.sendChecked<ApiConnection>(
      'connection',
      {
        operation: 'getConnection',
        method: 'GET',
        path: connectionPath(clusterId, tidbNodeGroupId, privateEndpointConnectionId),
        action: `get private endpoint connection ${privateEndpointConnectionId}`,
        resource: `private endpoint connection ${privateEndpointConnectionId} (cluster ${clusterId}, node group ${tidbNodeGroupId})`,
      },
      options,
    );
    return toConnection(raw, { clusterId });
  }

  async deleteConnection(
    clusterId: string,
    tidbNodeGroupId: string,
    privateEndpointConnectionId: string,
    options?: CallOptions,
  ): Promise<void> {
    await this.send<unknown>(
      {
        operation: 'deleteConnection',
        method: 'DELETE',
        path: connectionPath(clusterId, tidbNodeGroupId, privateEndpointConnectionId),
        action: `delete private endpoint connection ${privateEndpointConnectionId}`,
        resource: `private endpoint connection ${privateEndpointConnectionId} (cluster ${clusterId}, node group ${tidbNodeGroupId})`,
      },
      options,
    );
  }

  /**
   * Follows `nextPageToken` until it is empty, 100 items a page (the API's maximum). A token seen twice,
   * empty pages that keep handing out tokens, or more pages than any project has end the run with an error.
   */
  private async listAll<T>(
    spec: RequestSpec,
    key: string,
    kind: ShapeKind,
    options?: CallOptions,
  ): Promise<T[]> {
    const items: T[] = [];
    const seen = new Set<string>();
    let token = '';
    let emptyPages = 0;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const query: Array<[string, string]> = [...(spec.query ?? []), ['pageSize', PAGE_SIZE]];
      if (token) query.push(['pageToken', token]);
      const body = await this.sendChecked<ApiPage & Record<string, unknown>>(
        kind,
        { ...spec, query },
        options,
        {
          key,
        },
      );
      const pageItems = (body[key] ?? []) as T[];
      items.push(...pageItems);
      token = body.nextPageToken ?? '';
      if (!token) return items;
      emptyPages = pageItems.length === 0 ? emptyPages + 1 : 0;
      if (seen.has(token) || emptyPages >= MAX_EMPTY_PAGES) break;
      seen.add(token);
    }
    throw new TidbCloudError(
      'TIDB_BAD_RESPONSE',
      `The TiDB Cloud API paginated endlessly to ${spec.action}; try again later.`,
    );
  }

  /** `send`, then the shape check of what came back (a list page, items under `key`, when given). */
  private async sendChecked<T>(
    kind: ShapeKind,
    spec: RequestSpec,
    options?: CallOptions,
    extra: { key?: string; attempts?: Attempts } = {},
  ): Promise<T> {
    const body = await this.send<T>(spec, options, extra.attempts);
    try {
      checkAnswer(body, kind, extra.key);
    } catch (error) {
      if (!(error instanceof ApiShapeError)) throw error;
      throw new TidbCloudError(
        'TIDB_BAD_RESPONSE',
        `The TiDB Cloud API answered "${spec.action}" with an unexpected body: ${this.redact(error.message)}.`,
      );
    }
    return body;
  }

  /** One API call: limiter, digest, bounded retries, typed errors. */
  private async send<T>(spec: RequestSpec, options?: CallOptions, attempts?: Attempts): Promise<T> {
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
        if (serverRetries >= this.maxRetries) throw this.unreachable(error, serverRetries + 1);
        await this.backoff(serverRetries, signal);
        serverRetries += 1;
        continue;
      }
      if (result.status >= 200 && result.status < 300) return this.parse<T>(spec, result);
      if (result.status === 429) {
        // Every 429 counts, the last one given up on too: it is what the TidbApiRateLimited metric reports.
        this.counters.rateLimited += 1;
        if (rateRetries >= this.maxRetries) throw this.rateLimited(result, rateRetries + 1);
        await this.waitForReset(result, options);
        rateRetries += 1;
        continue;
      }
      if (result.status >= 500 || isStale(result)) {
        if (attempts) attempts.possiblyApplied = true;
        if (serverRetries >= this.maxRetries) throw this.serverFailed(spec, result, serverRetries + 1);
        await this.backoff(serverRetries, signal);
        serverRetries += 1;
        continue;
      }
      throw this.httpError(spec, result);
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
    const usedNonce = this.challenge?.nonce;
    let result = await this.attempt(spec, url, signal);
    for (let answered = 0; result.status === 401 && answered <= MAX_STALE_ANSWERS; answered += 1) {
      const challenge = parseChallenge(result.headers.get('www-authenticate'));
      if (!challenge) return result;
      // Not stale after we answered (or the same nonce again): the server checked our answer and the key is
      // wrong; asking again won't help.
      const refused = answered > 0 || (usedNonce !== undefined && challenge.nonce === usedNonce);
      if (refused && !challenge.stale) return result;
      this.challenge = challenge;
      this.nonceCount = 0;
      this.counters.challenges += 1;
      result = await this.attempt(spec, url, signal);
    }
    return result;
  }

  private async attempt(spec: RequestSpec, url: URL, signal?: AbortSignal): Promise<HttpResult> {
    await this.limiter.acquire(signal);
    await this.options.budget?.take(signal);
    this.counters.requests += 1;
    this.counters.byOperation[spec.operation] = (this.counters.byOperation[spec.operation] ?? 0) + 1;
    // Linked, not AbortSignal.any: the caller's signal may serve a whole warm Lambda (see core/abort.ts).
    const linked = linkSignal(signal, { timeoutMs: this.options.timeoutMs ?? 30_000 });
    try {
      const response = await this.fetchFn(url, {
        method: spec.method,
        headers: this.headers(spec, url),
        ...(spec.body === undefined ? {} : { body: JSON.stringify(spec.body) }),
        signal: linked.signal,
      });
      // Read inside the same timeout: a server that sends headers and then stalls is as dead as a silent one.
      const text = await readCapped(response, spec);
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
    if (this.challenge) {
      this.nonceCount += 1;
      headers.authorization = buildAuthorization({
        challenge: this.challenge,
        username: this.options.publicKey,
        password: this.options.privateKey,
        method: spec.method,
        uri: `${url.pathname}${url.search}`,
        nc: this.nonceCount,
        cnonce: newCnonce(),
      });
    }
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
      throw new TidbCloudError(
        'TIDB_BAD_RESPONSE',
        `The TiDB Cloud API answered "${spec.action}" with something that is not JSON.`,
        details(result),
        { cause: error },
      );
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
    if (deadline !== undefined && this.now() + delay > deadline) throw this.quotaExhausted(result, delay);
    this.counters.retries += 1;
    // Other calls sharing this key would be refused too: hold them in the limiter rather than let them fail.
    this.limiter.pauseFor(delay);
    await this.sleep(delay, signal);
  }

  private httpError(spec: RequestSpec, result: HttpResult): TidbCloudError {
    const serverMessage = this.redact(errorMessage(result.text));
    const said = serverMessage ? `: ${serverMessage}` : '';
    switch (result.status) {
      case 401:
        return new TidbCloudAuthError(AUTH_MESSAGE, details(result));
      case 403:
        return new TidbCloudForbiddenError(
          `The TiDB Cloud API key may not ${spec.action}${said}. Use a key of the organization that owns it.`,
          details(result),
        );
      case 404:
        return new TidbCloudNotFoundError(
          `TiDB Cloud has no ${spec.resource}${serverMessage ? ` (${serverMessage})` : ''}.`,
          details(result),
        );
      case 409:
        return new TidbCloudConflictError(
          `TiDB Cloud refused to ${spec.action}: it already exists${said}`,
          details(result),
        );
      case 400:
        return new TidbCloudBadRequestError(
          `TiDB Cloud refused to ${spec.action}${said || ' (HTTP 400)'}`,
          details(result),
        );
      default:
        return new TidbCloudError(
          'TIDB_HTTP',
          `TiDB Cloud answered HTTP ${result.status} to "${spec.action}"${said}`,
          details(result),
        );
    }
  }

  private serverFailed(spec: RequestSpec, result: HttpResult, attempts: number): TidbCloudUnavailableError {
    if (isStale(result)) {
      return new TidbCloudUnavailableError(
        `The TiDB Cloud API at ${this.baseUrl} kept refusing fresh digest nonces as stale while trying to ` +
          `${spec.action} (${attempts} attempts); the API key was not refused. Try again later.`,
        details(result),
      );
    }
    const serverMessage = this.redact(errorMessage(result.text));
    return new TidbCloudUnavailableError(
      `The TiDB Cloud API at ${this.baseUrl} failed to ${spec.action} with HTTP ${result.status} ` +
        `${attempts} times${serverMessage ? ` (${serverMessage})` : ''}; try again later.`,
      details(result),
    );
  }

  private rateLimited(result: HttpResult, attempts: number): TidbCloudRateLimitError {
    return new TidbCloudRateLimitError(
      `The TiDB Cloud API kept refusing requests for exceeding its rate limit (100 per minute per API key) ` +
        `after ${attempts} attempts; another process may be using the same key.`,
      details(result),
    );
  }

  private quotaExhausted(result: HttpResult, delayMs: number): TidbCloudQuotaExhaustedError {
    const resetAt = new Date(this.now() + delayMs);
    return new TidbCloudQuotaExhaustedError(
      `The TiDB Cloud API quota of this key (100 requests per minute) is used up until ${resetAt.toISOString()}; ` +
        'another process may be using the same key.',
      resetAt,
      details(result),
    );
  }

  private unreachable(error: unknown, attempts: number): TidbCloudUnavailableError {
    const why = isRefused(error) ? 'connection refused' : this.redact(networkDetail(error));
    return new TidbCloudUnavailableError(
      `The TiDB Cloud API at ${this.baseUrl} is unreachable (${why}, ${attempts} attempts): check TIDB_CLOUD_API_URL and the network path to it.`,
      {},
      { cause: error },
    );
  }

  /**
   * Belt and braces: no message built from a server's or a socket's text may carry the key pair (a proxy
   * echoing the Authorization header would show the public key, the username of the digest).
   */
  private redact(text: string): string {
    return [this.options.privateKey, this.options.publicKey]
      .filter((secret) => secret.length >= 4)
      .reduce((redacted, secret) => redacted.split(secret).join('[redacted]'), text);
  }
}

/**
 * The body, up to MAX_BODY_BYTES. A page of 100 clusters is about 100 KB; an answer a hundred times that is
 * not the API talking, and held whole in a Lambda's memory it could end the invocation.
 */
async function readCapped(response: Response, spec: RequestSpec): Promise<string> {
  const tooLarge = () =>
    new TidbCloudError(
      'TIDB_BAD_RESPONSE',
      `The TiDB Cloud API answered "${spec.action}" with more than ${MAX_BODY_BYTES / 1024 / 1024} MiB.`,
      { status: response.status },
    );
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

function connectionPath(clusterId: string, tidbNodeGroupId: string, connectionId: string): string[] {
  return [
    'clusters',
    clusterId,
    'tidbNodeGroups',
    tidbNodeGroupId,
    'privateEndpointConnections',
    connectionId,
  ];
}

/** A 401 that only says our nonce expired (RFC 7616 `stale=true`): the key itself was accepted. */
function isStale(result: HttpResult): boolean {
  return result.status === 401 && parseChallenge(result.headers.get('www-authenticate'))?.stale === true;
}

function details(result: HttpResult): { status: number; traceId?: string } {
  const traceId = result.headers.get('x-debug-trace-id');
  return traceId ? { status: result.status, traceId } : { status: result.status };
}

/** TiDB's google.rpc body `{code, message, details}`; anything else yields "". */
function errorMessage(text: string): string {
  try {
    const body: unknown = JSON.parse(text);
    if (typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string') {
      return body.message;
    }
  } catch {
    // Not JSON (a proxy's HTML page, say): the status alone has to speak.
  }
  return '';
}

function errorCodes(error: unknown, depth = 0): string[] {
  if (typeof error !== 'object' || error === null || depth > 4) return [];
  const own = 'code' in error && typeof error.code === 'string' ? [error.code] : [];
  const nested = 'errors' in error && Array.isArray(error.errors) ? error.errors : [];
  const cause = 'cause' in error ? [error.cause] : [];
  return [...own, ...[...nested, ...cause].flatMap((inner) => errorCodes(inner, depth + 1))];
}

/** Refused means nothing listened, so the server cannot have seen the request: safe to retry a POST. */
function isRefused(error: unknown): boolean {
  return errorCodes(error).includes('ECONNREFUSED');
}

function networkDetail(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'no answer before the timeout';
  const codes = errorCodes(error);
  if (codes.length > 0) return codes.join(', ');
  return error instanceof Error ? error.message : String(error);
}
