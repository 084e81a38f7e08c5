/**
 * A local TiDB Cloud Dedicated API v1beta1 (the subset this app uses) on 127.0.0.1: real HTTP Digest,
 * per-key rate limits, pagination, lifecycle clocks, fault injection and a request log. Used by the
 * client's integration tests, other adapters' tests, the demo and the benchmarks.
 */

import { randomBytes } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ClusterState, ConnectionState, PrivateLinkServiceState } from '../../functions/core/model.ts';
import { ListingOrder } from '../listing-order.ts';
import { DigestAuthority, type SimDigestAlgorithm } from './auth.ts';
import { type Fault, Faults } from './faults.ts';
import { PageError } from './pagination.ts';
import { MinuteQuota, type QuotaReport, type RequestQuota, SlidingQuota } from './rate-limit.ts';
import { type Route, route, type SimOperation } from './routes.ts';
import {
  type AddClusterInput,
  newId,
  type SimCluster,
  type SimConnection,
  SimError,
  type SimHooks,
  type SimNodeGroup,
  SimState,
} from './state.ts';

export interface SimulatorOptions extends SimHooks {
  /** Default: random. The key pair the simulator accepts. */
  publicKey?: string;
  privateKey?: string;
  /** Lifecycle clock (default `Date.now`); nonce lifetimes follow it too. */
  now?: () => number;
  /**
   * Clock of the per-minute quota. Default: `now`, right when the client sleeps on the same clock (a virtual
   * clock whose sleeps advance it). Pass `Date.now` when the lifecycle clock is frozen or hand-driven but the
   * client sleeps for real, or a 429's reset would never come.
   */
  rateLimitNow?: () => number;
  /** CREATING → ACTIVE for clusters added without a `state`. Default 0: added clusters are ACTIVE. */
  clusterCreateMs?: number;
  /** Private link service CREATING → ACTIVE, counted from the cluster turning ACTIVE. Default 4 min. */
  serviceReadyMs?: number;
  /** Connection PENDING → ACTIVE/FAILED ("System Checking"). Default 5 min. */
  connectionAcceptMs?: number;
  /** Connection DELETING → gone. Default 10 s. */
  connectionDeleteMs?: number;
  /** Requests per key per minute. Default 100, as the real API. */
  rateLimitPerMinute?: number;
  /** How the quota's minute is counted: per wall-clock minute (default, as Kong does) or every sliding 60 s. */
  rateLimitWindow?: 'clock-minute' | 'sliding';
  digest?: {
    algorithm?: SimDigestAlgorithm;
    /** `true` → a random opaque; a string → that value. Default: none (as observed from the real API). */
    opaque?: boolean | string;
    /** Default 5 min. */
    nonceTtlMs?: number;
    realm?: string;
  };
  /** The project used when a request names none. Default: a random 19-digit id. */
  defaultProjectId?: string;
  /**
   * HTTP status for registering an endpoint that is already registered: undocumented; 400 (INVALID_ARGUMENT,
   * the default) or 409 (ALREADY_EXISTS, as grpc-gateway maps it).
   */
  duplicateConnectionStatus?: 400 | 409;
  /** Seeds the order of connection listings: shuffled per listing, stable across its pages. */
  listingSeed?: number;
  /**
   * Called after a request was carried out, before it is answered (e.g. to kill the client process right
   * after a side effect). Returning `'drop'` destroys the socket: the answer is lost.
   */
  afterApplied?: (request: RecordedRequest, headers: IncomingHttpHeaders) => 'drop' | undefined;
}

export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. `/v1beta1/clusters`. */
  path: string;
  query: URLSearchParams;
  operation: SimOperation;
  /** 0 when the socket was dropped. */
  status: number;
  /** The raw request body ("" for none), to assert exactly what a client sent. */
  body: string;
  authenticated: boolean;
  fault?: 'drop' | 'serverError' | 'rateLimit' | 'responseLost' | 'timeout' | 'staleNonce';
  /** The simulator's clock (`now`) when the request arrived. */
  at: number;
}

export interface SimulatorStats {
  total: number;
  byOperation: Partial<Record<SimOperation, number>>;
  byStatus: Record<string, number>;
}

const RATE_LIMIT_CODE = 49900007;

function rpcBody(code: number, message: string): string {
  return JSON.stringify({ code, message, details: [] });
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class Simulator {
  readonly faults: Faults;
  readonly hooks: SimHooks;
  readonly requests: RecordedRequest[] = [];
  readonly publicKey: string;
  readonly privateKey: string;
  private readonly state: SimState;
  private readonly authority: DigestAuthority;
  private readonly quota: RequestQuota;
  private readonly server: Server;
  private readonly now: () => number;
  private readonly afterApplied: SimulatorOptions['afterApplied'];
  private baseUrl = '';

  constructor(options: SimulatorOptions = {}) {
    const now = options.now ?? Date.now;
    this.now = now;
    this.afterApplied = options.afterApplied;
    this.publicKey = options.publicKey ?? `SIM${randomBytes(6).toString('hex').toUpperCase()}`;
    this.privateKey = options.privateKey ?? randomBytes(16).toString('hex');
    this.hooks = {
      ...(options.endpointExists ? { endpointExists: options.endpointExists } : {}),
      ...(options.onConnectionActive ? { onConnectionActive: options.onConnectionActive } : {}),
    };
    this.state = new SimState(
      {
        clusterCreateMs: options.clusterCreateMs ?? 0,
        serviceReadyMs: options.serviceReadyMs ?? 240_000,
        connectionAcceptMs: options.connectionAcceptMs ?? 300_000,
        connectionDeleteMs: options.connectionDeleteMs ?? 10_000,
      },
      this.hooks,
      options.defaultProjectId ?? newId(),
      now,
      `apikey-${this.publicKey}`,
    );
    this.state.duplicateStatus = options.duplicateConnectionStatus ?? 400;
    this.state.listingOrder = new ListingOrder(options.listingSeed);
    this.authority = new DigestAuthority({
      realm: options.digest?.realm ?? 'tidb.cloud',
      algorithm: options.digest?.algorithm ?? 'MD5',
      ...opaqueOption(options.digest?.opaque),
      nonceTtlMs: options.digest?.nonceTtlMs ?? 300_000,
      now,
      keys: new Map([[this.publicKey, this.privateKey]]),
    });
    const Quota = options.rateLimitWindow === 'sliding' ? SlidingQuota : MinuteQuota;
    this.quota = new Quota(options.rateLimitPerMinute ?? 100, options.rateLimitNow ?? now);
    this.faults = new Faults(() => this.authority.expireAll());
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) this.send(response, 500, rpcBody(13, String(error)));
      });
    });
  }

  /** Base URL ending in `/v1beta1`, e.g. `http://127.0.0.1:41234/v1beta1`. */
  get url(): string {
    return this.baseUrl;
  }

  get defaultProjectId(): string {
    return this.state.defaultProjectId;
  }

  /** @internal Use `startSimulator`. */
  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}/v1beta1`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- state control ----

  /** Adds a cluster with a default TiDB node group; ACTIVE at once unless `clusterCreateMs` or `state`. */
  addCluster(input: AddClusterInput = {}): SimCluster {
    return this.state.addCluster(input);
  }

  addNodeGroup(
    clusterId: string,
    input: { displayName?: string; availableZones?: string[] } = {},
  ): SimNodeGroup {
    return this.state.addNodeGroup(clusterId, input);
  }

  cluster(clusterId: string): SimCluster {
    return this.state.describe(this.state.cluster(clusterId));
  }

  removeCluster(clusterId: string): void {
    this.state.removeCluster(clusterId);
  }

  /** The user deleted a (non-default) TiDB node group. */
  removeNodeGroup(clusterId: string, tidbNodeGroupId: string): void {
    this.state.removeNodeGroup(clusterId, tidbNodeGroupId);
  }

  setClusterState(clusterId: string, state: ClusterState): void {
    this.state.setClusterState(clusterId, state);
  }

  setServiceState(
    clusterId: string,
    state: PrivateLinkServiceState | undefined,
    tidbNodeGroupId?: string,
  ): void {
    this.state.setServiceState(clusterId, state, tidbNodeGroupId);
  }

  seedConnection(input: {
    clusterId: string;
    tidbNodeGroupId?: string;
    endpointId: string;
    endpointState?: ConnectionState;
    message?: string;
  }): SimConnection {
    return this.state.seedConnection(input);
  }

  setConnectionState(privateEndpointConnectionId: string, state: ConnectionState, message = ''): void {
    this.state.setConnectionState(privateEndpointConnectionId, state, message);
  }

  /** Every connection as of now (due transitions applied, hooks awaited). */
  async connections(): Promise<SimConnection[]> {
    await this.state.advance();
    return this.state.allConnections().map((connection) => ({ ...connection }));
  }

  // ---- request log ----

  stats(): SimulatorStats {
    const byOperation: Partial<Record<SimOperation, number>> = {};
    const byStatus: Record<string, number> = {};
    for (const request of this.requests) {
      byOperation[request.operation] = (byOperation[request.operation] ?? 0) + 1;
      byStatus[String(request.status)] = (byStatus[String(request.status)] ?? 0) + 1;
    }
    return { total: this.requests.length, byOperation, byStatus };
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  // ---- HTTP ----

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const target = request.url ?? '/';
    const url = new URL(target, 'http://127.0.0.1');
    const method = request.method ?? 'GET';
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const matched = segments[0] === 'v1beta1' ? route(method, segments.slice(1)) : undefined;
    const entry: RecordedRequest = {
      method,
      path: url.pathname,
      query: url.searchParams,
      operation: matched?.operation ?? 'unknown',
      status: 0,
      body,
      authenticated: false,
      at: this.now(),
    };
    this.requests.push(entry);
    const planned = this.faults.plan(request.headers.authorization !== undefined, entry.path);
    if (planned.timedOut) entry.fault = 'timeout';
    if (planned.staleNonce) entry.fault = 'staleNonce';
    if (planned.delayMs > 0) await wait(planned.delayMs);
    if (this.injectFault(request, response, entry, planned.fault)) return;
    const verdict = this.authority.verify(request.headers.authorization, method, target);
    if (!verdict.ok) {
      this.unauthorized(response, entry, verdict.stale, verdict.publicKey);
      return;
    }
    entry.authenticated = true;
    const quota = this.quota.take(verdict.publicKey);
    if (!quota.allowed) {
      this.tooManyRequests(response, entry, quota);
      return;
    }
    await this.dispatch(
      response,
      entry,
      matched,
      { method, segments: segments.slice(1), query: url.searchParams, body, headers: request.headers },
      quota,
    );
  }

  private async dispatch(
    response: ServerResponse,
    entry: RecordedRequest,
    matched: Route | undefined,
    request: {
      method: string;
      segments: string[];
      query: URLSearchParams;
      body: string;
      headers: IncomingHttpHeaders;
    },
    quota: QuotaReport,
  ): Promise<void> {
    if (!matched) {
      this.reply(response, entry, 404, rpcBody(5, 'Not Found'), quota);
      return;
    }
    await this.state.advance();
    try {
      const body = JSON.stringify(matched.handle(this.state, request));
      const lost = this.afterApplied?.(entry, request.headers) === 'drop';
      if (lost || this.faults.takeLostAnswer()) {
        entry.fault = 'responseLost';
        response.socket?.destroy();
        return;
      }
      this.reply(response, entry, 200, body, quota);
    } catch (error) {
      if (error instanceof SimError)
        this.reply(response, entry, error.status, rpcBody(error.code, error.message), quota);
      else if (error instanceof PageError) this.reply(response, entry, 400, rpcBody(3, error.message), quota);
      else throw error;
    }
  }

  private injectFault(
    request: IncomingMessage,
    response: ServerResponse,
    entry: RecordedRequest,
    fault: Fault | undefined,
  ): boolean {
    if (!fault) return false;
    entry.fault = fault.kind;
    if (fault.kind === 'drop') {
      request.socket.destroy();
    } else if (fault.kind === 'serverError') {
      this.reply(response, entry, fault.status, rpcBody(13, 'internal error'), this.quota.report(undefined));
    } else {
      const quota = {
        ...this.quota.report(undefined, false),
        remaining: 0,
        resetSeconds: fault.resetSeconds,
      };
      this.tooManyRequests(response, entry, quota);
    }
    return true;
  }

  private unauthorized(
    response: ServerResponse,
    entry: RecordedRequest,
    stale: boolean,
    publicKey?: string,
  ): void {
    const body = rpcBody(16, 'The API key cannot be authenticated.');
    this.reply(response, entry, 401, body, this.quota.report(publicKey), {
      'www-authenticate': this.authority.challenge(stale),
    });
  }

  private tooManyRequests(response: ServerResponse, entry: RecordedRequest, quota: QuotaReport): void {
    // Key order and wording as in the spec's verbatim 429 example.
    const body = JSON.stringify({
      details: [],
      code: RATE_LIMIT_CODE,
      message: `The request exceeded the limit of ${quota.limit} times per apikey per minute. For more quota, please contact us: https://support.pingcap.com/hc/en-us/requests/new?ticket_form_id=7800003722519`,
    });
    this.reply(response, entry, 429, body, quota);
  }

  private reply(
    response: ServerResponse,
    entry: RecordedRequest,
    status: number,
    body: string,
    quota: QuotaReport,
    extra: Record<string, string> = {},
  ): void {
    entry.status = status;
    this.send(response, status, body, {
      'x-ratelimit-limit-minute': String(quota.limit),
      'x-ratelimit-remaining-minute': String(quota.remaining),
      'x-ratelimit-reset': String(quota.resetSeconds),
      ...extra,
    });
  }

  private send(
    response: ServerResponse,
    status: number,
    body: string,
    headers: Record<string, string> = {},
  ): void {
    response.writeHead(status, {
      'content-type': 'application/json',
      'x-debug-trace-id': randomBytes(16).toString('hex'),
      ...headers,
    });
    response.end(body);
  }
}

function opaqueOption(opaque: boolean | string | undefined): { opaque?: string } {
  if (opaque === true) return { opaque: randomBytes(16).toString('base64') };
  return typeof opaque === 'string' ? { opaque } : {};
}

/**
 * Starts a simulator on 127.0.0.1 (random port). Close it in `afterEach`/`afterAll`.
 * @example const sim = await startSimulator({ serviceReadyMs: 0, connectionAcceptMs: 50 });
 *          const cluster = sim.addCluster({ regionId: 'aws-us-east-1' });
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const simulator = new Simulator(options);
  await simulator.listen();
  return simulator;
}
