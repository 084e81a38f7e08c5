/**
 * The whole stack as deployed, on a discrete-event clock, for the bench's section 8 (N clusters at once) and
 * the simulated week (testing/week/). The handlers' own code (the app/ factories the Lambda entry points
 * use): the reconcile on its 5-minute schedule, one at a time (the lease in the state table, or a guard that
 * models it) and its 285 s timeout, one provision per `TiDB Cluster Detected` the reconcile did not handle, the probe on its schedule
 * and on every `PrivateLink Endpoint Ready`, troubleshoot requests. Each function has its own TiDB Cloud
 * client (own limiter, own digest nonce); all share the simulator's one API key and the stack's budget and
 * registry (the state table, in memory). Every AWS call a function makes (EC2, events, the state table, the
 * data plane) is first decided against its packaged role (testing/iam).
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { PowertoolsProbeMetrics } from '../functions/adapters/powertools-metrics.ts';
import { TidbCloudClient } from '../functions/adapters/tidbcloud/client.ts';
import { DEPLOYED_BUDGETS } from '../functions/app/budgets.ts';
import { createProbeHandler, createTroubleshootHandler } from '../functions/app/diagnostics.ts';
import { type DiagnosticsDeps, PROBE_CONCURRENCY, PROBE_TIMEOUT_MS } from '../functions/app/lambda-deps.ts';
import { createProvisionHandler, createReconcileHandler } from '../functions/app/provisioning.ts';
import type { DataPlaneBatchPort } from '../functions/core/diagnose/ports.ts';
import type { PrivateLinkService } from '../functions/core/model.ts';
import { type AppEvent, type Clock, DETAIL_TYPES, type QuotaCounter } from '../functions/core/ports.ts';
import { PROBE_CACHE_TTL_MS, type ProbeMetricsPort, probeCaches } from '../functions/core/probe/probe.ts';
import { TtlCache } from '../functions/core/probe/ttl-cache.ts';
import type { ReconcileDeps } from '../functions/core/reconcile/types.ts';
import { detectOnce, recordingServices } from '../functions/core/registry/detect-once.ts';
import { SharedBudget } from '../functions/core/shared-budget.ts';
import { decisionsPending } from './iam/enforce.ts';
import { MemoryIdempotencyStore } from './idempotency-fake.ts';
import { MemoryLeaseStore } from './lease-fake.ts';
import { MemoryClusterRegistry, MemoryQuotaCounter } from './registry-fake.ts';
import type { SimulatorOptions } from './tidbcloud-simulator/index.ts';
import { type Timer, TimerHeap } from './timer-heap.ts';
import { type FunctionName, startWorld, type World, type WorldOptions } from './world.ts';

export const MINUTE = 60_000;
export const TICK_MS = 5 * MINUTE;
export const STACK_START = Date.parse('2026-01-01T00:00:00.000Z');
export const TIMEOUTS_MS = { reconcile: 285_000, provision: 900_000, probe: 300_000, troubleshoot: 60_000 };

/**
 * Time that moves only when nothing is in flight: it then jumps to the earliest sleeper's wake-up. In-flight
 * work (HTTP to the simulator, the data plane's sockets) is counted by `track`; an IAM decision being
 * evaluated (testing/iam) counts too.
 */
export class DiscreteClock implements Clock {
  current = STACK_START;
  inFlight = 0;
  private timers = new TimerHeap();
  private seq = 0;

  now = (): number => this.current;

  sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        timer.cancelled = true;
        reject(signal?.reason);
      };
      const timer: Timer = {
        at: this.current + Math.max(0, ms),
        seq: this.seq++,
        wake: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.timers.push(timer);
      signal?.addEventListener('abort', onAbort, { once: true });
    });

  async track<T>(work: () => Promise<T>): Promise<T> {
    this.inFlight += 1;
    try {
      return await work();
    } finally {
      this.inFlight -= 1;
    }
  }

  private async quiescent(): Promise<void> {
    for (let idle = 0; idle < 4; ) {
      await new Promise((resolve) => setImmediate(resolve));
      if (this.inFlight === 0 && decisionsPending() === 0) idle += 1;
      else {
        idle = 0;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    }
  }

  /** Runs the world until `done()` or `end`, whichever first. */
  async runUntil(end: number, done: () => boolean): Promise<void> {
    for (;;) {
      await this.quiescent();
      if (done()) return;
      const next = this.timers.pop();
      if (!next || next.at > end) return;
      this.current = Math.max(this.current, next.at);
      next.wake();
    }
  }

  /** Calls `work` every `period` from `offset` on, without waiting for it (as a schedule does). */
  every(period: number, offset: number, work: () => unknown): void {
    void (async () => {
      await this.sleep(offset);
      for (;;) {
        void work();
        await this.sleep(period);
      }
    })();
  }
}

/**
 * A request that moves a cluster forward: a registration, or a service read that finds the service ACTIVE.
 * Everything else (listings, reads of a service still CREATING, digest challenges) is waiting or looking.
 */
async function progressOf(
  operation: string,
  url: string,
  response: Response,
  seen: Set<string>,
): Promise<boolean> {
  if (operation === 'register') return response.ok;
  if (operation !== 'serviceRead' || !response.ok || seen.has(url)) return false;
  const body = (await response.clone().json()) as { state?: unknown };
  if (body.state !== 'ACTIVE') return false;
  seen.add(url);
  return true;
}

function operationOf(url: string, method: string): string {
  const path = new URL(url).pathname;
  if (path.endsWith('/privateEndpointConnections')) return method === 'POST' ? 'register' : 'listConnections';
  if (path.includes('/privateEndpointConnections/')) return 'getConnection';
  if (path.endsWith('/privateLinkService')) return 'serviceRead';
  if (path.endsWith('/clusters')) return 'listClusters';
  if (path.endsWith('/tidbNodeGroups')) return 'listNodeGroups';
  return 'getCluster';
}

export type Invoked = FunctionName | 'dataPlane';

/** What the stack did, counted as it happened. */
export interface StackCounts {
  /** Every TiDB Cloud request any function sent (status 0: no answer), and which function sent it. */
  requests: Array<{ at: number; operation: string; status: number; progress: boolean; fn?: FunctionName }>;
  /** Services already read as ACTIVE: a second read of one is looking, not progress. */
  activeSeen: Set<string>;
  invocations: Record<Invoked, number>;
  /** Billed duration in virtual ms, per function (sleeps on the TiDB quota included, as Lambda bills them). */
  durationMs: Record<FunctionName, number>;
  /** Reconcile ticks refused by the lease (one at a time). */
  throttled: number;
  errors: string[];
  detected: Map<string, number>;
  /** When each cluster's first `PrivateLink Endpoint Ready` was announced. */
  ready: Map<string, number>;
  /** `Health Changed` per cluster. */
  healthChanged: Map<string, number>;
  /** Per probe run that probed anything: data-plane invocations and endpoints probed. */
  tripsPerProbeRun: Array<{ trips: number; endpoints: number }>;
  falseFlips: number;
  /** Of those, how often each check failed. */
  falseFailing: Map<string, number>;
  /** Invocations that ran longer than their Lambda timeout (Lambda would have stopped them; the sim cannot). */
  overran: Array<{ fn: FunctionName; ms: number }>;
  /** Invocations still running. */
  running: number;
  /** Reads and writes of Powertools' idempotency records (each one a state-table operation). */
  idempotency: { reads: number; writes: number };
  /** Per-cluster probe metrics emitted, as `name|clusterId|hour` (CloudWatch bills a metric per hour it is sent). */
  metricHours: Set<string>;
}

/** The part a run plays the VPC with: the data plane the probe and troubleshoot invoke, and its resolver. */
export interface StackDataPlane {
  dataPlane: DataPlaneBatchPort;
  dnsServer: string;
}

export interface StackOptions {
  /** The stack's TiDB budget per sliding window, and each client's own pace. */
  quota: number;
  simulator: SimulatorOptions;
  ec2?: WorldOptions['ec2'];
  /** Wraps each function's EC2 view (under its role), e.g. with faults or a crash after a side effect. */
  wrapEc2?: (fn: FunctionName, ec2: ReconcileDeps['ec2']) => ReconcileDeps['ec2'];
  /** `PRIVATELINK_DELETE_ORPHANS_AFTER_H` in ms, for the reconcile. */
  deleteOrphansAfterMs?: number;
  /**
   * As deployed: the reconcile takes the lease in the state table (`StackSim.lease`; a refused tick is still
   * an invocation) and keeps ACTIVE services warm across runs. Otherwise a guard refuses a tick while one
   * runs (not an invocation) and each run reads the services again.
   */
  deployedReconcile?: boolean;
  /**
   * The probe's and troubleshoot's deployed budgets (`PROBE_TIMEOUT_MS` per endpoint, `PROBE_CONCURRENCY`
   * chunks); otherwise 5 s and 4, stricter, and quicker in real time where an endpoint cannot answer.
   */
  deployedProbe?: boolean;
}

export interface StackSim {
  clock: DiscreteClock;
  world: World;
  counts: StackCounts;
  /** The state table's items (registry and health rows) and the quota ring, in memory. */
  registry: MemoryClusterRegistry;
  counter: MemoryQuotaCounter;
  /** The reconcile's lease in the state table (taken only with `deployedReconcile`). */
  lease: MemoryLeaseStore;
  idempotency: Record<'provision' | 'probe' | 'troubleshoot', MemoryIdempotencyStore>;
  /** Invokes a function as Lambda would (the reconcile refused while one runs). */
  invoke(name: FunctionName, event: unknown): Promise<void>;
  /** The schedules: reconcile and probe every 5 minutes (probe 2 min later), EventBridge's rules. */
  schedule(troubleshoot?: { everyMs: number; clusterId: () => string | undefined }): void;
}

function contextOf(clock: DiscreteClock, name: string, timeoutMs: number): Context {
  const deadline = clock.now() + timeoutMs;
  return {
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'bench',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - clock.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export function envelope(event: AppEvent) {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': event.detailType,
    source: 'tidb-privatelink',
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [],
    detail: event.detail,
  };
}

const scheduled = () => ({ 'detail-type': 'Scheduled Event', id: randomUUID() });

function emptyCounts(): StackCounts {
  return {
    requests: [],
    activeSeen: new Set(),
    invocations: { reconcile: 0, provision: 0, probe: 0, troubleshoot: 0, dataPlane: 0 },
    durationMs: { reconcile: 0, provision: 0, probe: 0, troubleshoot: 0 },
    throttled: 0,
    errors: [],
    detected: new Map(),
    ready: new Map(),
    healthChanged: new Map(),
    tripsPerProbeRun: [],
    falseFlips: 0,
    falseFailing: new Map(),
    overran: [],
    running: 0,
    idempotency: { reads: 0, writes: 0 },
    metricHours: new Set(),
  };
}

function stackClient(
  world: World,
  clock: DiscreteClock,
  quota: number,
  counter: QuotaCounter,
  counts: StackCounts,
  fn: FunctionName,
) {
  const fetchTracked: typeof fetch = (input, init) =>
    clock.track(async () => {
      const at = clock.now();
      const operation = operationOf(String(input), init?.method ?? 'GET');
      let response: Response;
      try {
        response = await fetch(input, init);
      } catch (error) {
        // A dropped connection still counts against the key: the gateway saw the request.
        counts.requests.push({ at, fn, operation, status: 0, progress: false });
        throw error;
      }
      counts.requests.push({
        at,
        fn,
        operation: response.status === 401 ? 'challenge' : operation,
        status: response.status,
        progress: await progressOf(operation, String(input), response, counts.activeSeen),
      });
      return response;
    });
  return new TidbCloudClient({
    baseUrl: world.sim.url,
    publicKey: world.sim.publicKey,
    privateKey: world.sim.privateKey,
    requestsPerMinute: quota,
    now: clock.now,
    sleep: clock.sleep,
    fetch: fetchTracked,
    budget: new SharedBudget(counter, quota, clock),
  });
}

/** Powertools' records in memory, counting the state-table reads and writes each would be. */
class CountingIdempotencyStore extends MemoryIdempotencyStore {
  constructor(private readonly tally: StackCounts['idempotency']) {
    super();
  }
  protected override _getRecord(key: string) {
    this.tally.reads += 1;
    return super._getRecord(key);
  }
  protected override _putRecord(...args: Parameters<MemoryIdempotencyStore['_putRecord']>) {
    this.tally.writes += 1;
    return super._putRecord(...args);
  }
  protected override _updateRecord(...args: Parameters<MemoryIdempotencyStore['_updateRecord']>) {
    this.tally.writes += 1;
    return super._updateRecord(...args);
  }
  protected override _deleteRecord(...args: Parameters<MemoryIdempotencyStore['_deleteRecord']>) {
    this.tally.writes += 1;
    return super._deleteRecord(...args);
  }
}

/** Each function's own view of the shared fakes (EC2, events, the state table, the data plane), under its packaged role. */
async function ownViews(world: World, registry: MemoryClusterRegistry, options: StackOptions) {
  const names: FunctionName[] = ['reconcile', 'provision', 'probe', 'troubleshoot'];
  const views = await Promise.all(
    names.map(async (fn) => {
      const [own, ports] = await Promise.all([world.depsFor(fn), world.portsFor(fn)]);
      const deps = { ...own, ec2: options.wrapEc2?.(fn, own.ec2) ?? own.ec2 };
      return [fn, { deps, ports, registry: ports.registry(registry) }] as const;
    }),
  );
  return Object.fromEntries(views) as Record<FunctionName, (typeof views)[number][1]>;
}

/** Counts per-cluster metric hours, then hands the figures to the deployed Powertools adapter. */
function countingMetrics(clock: Clock, inner: ProbeMetricsPort, counts: StackCounts): ProbeMetricsPort {
  return {
    record(clusterId, figures) {
      const hour = Math.floor(clock.now() / (60 * MINUTE));
      const sent = {
        Healthy: 0,
        DnsMs: figures.dnsMs,
        TcpConnectMs: figures.tcpMs,
        HandshakeMs: figures.handshakeMs,
      };
      for (const [name, value] of Object.entries(sent)) {
        if (value !== undefined) counts.metricHours.add(`${name}|${clusterId}|${hour}`);
      }
      inner.record(clusterId, figures);
    },
  };
}

/** Starts the world (simulator + EC2 fake on `clock`) the stack runs against. */
export async function startStackWorld(
  options: StackOptions,
): Promise<{ clock: DiscreteClock; world: World }> {
  const clock = new DiscreteClock();
  const world = await startWorld({
    clock,
    requestsPerMinute: options.quota,
    simulator: options.simulator,
    ec2: options.ec2,
  });
  return { clock, world };
}

/** Wires every function as deployed against `world`, with `vpc` as the data plane. */
export async function wireStack(
  clock: DiscreteClock,
  world: World,
  vpc: StackDataPlane,
  options: StackOptions,
): Promise<StackSim> {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  // Every function's sleeps listen on the abort signal middy shares between invocations.
  setMaxListeners(0);
  const logger = new Logger({ serviceName: 'tidb-privatelink', logLevel: 'SILENT' });
  const counter = new MemoryQuotaCounter();
  const registry = new MemoryClusterRegistry();
  const lease = new MemoryLeaseStore();
  const counts = emptyCounts();
  const own = await ownViews(world, registry, options);
  const client = (fn: FunctionName) =>
    stackClient(world, clock, options.quota, own[fn].ports.quota(counter), counts, fn);
  const reconcileDeps = {
    ...own.reconcile.deps,
    settings: { ...own.reconcile.deps.settings, deleteOrphansAfterMs: options.deleteOrphansAfterMs },
    tidb: recordingServices(client('reconcile'), own.reconcile.registry),
    events: detectOnce(own.reconcile.deps.events, own.reconcile.registry, clock),
    registry: own.reconcile.registry,
    ...(options.deployedReconcile && {
      lease: own.reconcile.ports.lease(lease),
      // As deployed (app/lambda-deps.ts): one warm instance keeps ACTIVE services across runs.
      services: new TtlCache<PrivateLinkService>(PROBE_CACHE_TTL_MS, clock.now),
    }),
  };
  const provisionDeps = {
    ...own.provision.deps,
    tidb: client('provision'),
    registry: own.provision.registry,
  };
  // EMF goes to stdout regardless: publishing is disabled above; the logger only gets its warnings.
  const metrics = new Metrics({ namespace: 'Bench', logger: logger });
  const probeMetrics = countingMetrics(clock, new PowertoolsProbeMetrics(metrics), counts);
  // One warm instance per function: its hour-long service caches outlive an invocation, as in Lambda.
  const caches = probeCaches(clock.now);
  const diagnostics = (
    fn: 'probe' | 'troubleshoot',
    tidb: TidbCloudClient,
    trips: { count: number },
  ): DiagnosticsDeps => {
    const invoked: DataPlaneBatchPort = {
      probe: (input, callOptions) => clock.track(() => vpc.dataPlane.probe(input, callOptions)),
      probeMany: (inputs, callOptions) => {
        trips.count += 1;
        counts.invocations.dataPlane += 1;
        return clock.track(() => vpc.dataPlane.probeMany(inputs, callOptions));
      },
    };
    return {
      tidb,
      ec2: own[fn].deps.ec2,
      events: own[fn].deps.events,
      clock,
      dataPlane: own[fn].ports.dataPlane(invoked),
      metrics: probeMetrics,
      caches,
      // As deployed: with the state table, overlapping probe runs report each health flip once.
      healthRecord: own[fn].registry,
      settings: {
        region: 'us-east-1',
        vpcId: world.settings.vpcId,
        stackName: 'tidb-privatelink',
        dnsServer: vpc.dnsServer,
        ...(options.deployedProbe
          ? { timeoutMs: PROBE_TIMEOUT_MS, concurrency: PROBE_CONCURRENCY }
          : { timeoutMs: 5000, concurrency: 4 }),
      },
    };
  };
  const probeClient = client('probe');
  const troubleshootClient = client('troubleshoot');
  const idempotency = {
    provision: new CountingIdempotencyStore(counts.idempotency),
    probe: new CountingIdempotencyStore(counts.idempotency),
    troubleshoot: new CountingIdempotencyStore(counts.idempotency),
  };
  const stores = {
    provision: own.provision.ports.idempotency(idempotency.provision),
    probe: own.probe.ports.idempotency(idempotency.probe),
    troubleshoot: own.troubleshoot.ports.idempotency(idempotency.troubleshoot),
  };
  const handlers = {
    reconcile: createReconcileHandler(async () => reconcileDeps, logger),
    provision: createProvisionHandler(async () => provisionDeps, logger, undefined, stores.provision),
    troubleshoot: createTroubleshootHandler(
      async () => diagnostics('troubleshoot', troubleshootClient, { count: 0 }),
      logger,
      undefined,
      DEPLOYED_BUDGETS,
      stores.troubleshoot,
    ),
  };
  const probe = async (event: unknown, context: Context) => {
    const trips = { count: 0 };
    const handler = createProbeHandler(
      async () => diagnostics('probe', probeClient, trips),
      logger,
      metrics,
      DEPLOYED_BUDGETS,
      stores.probe,
    );
    const result = (await handler(event, context)) as { probed?: number };
    if ((result.probed ?? 0) > 0)
      counts.tripsPerProbeRun.push({ trips: trips.count, endpoints: result.probed ?? 0 });
  };
  const running = { reconcile: 0 };
  const invoke = async (name: FunctionName, event: unknown) => {
    if (!options.deployedReconcile && name === 'reconcile' && running.reconcile > 0) {
      counts.throttled += 1;
      return;
    }
    counts.invocations[name] += 1;
    counts.running += 1;
    if (name === 'reconcile') running.reconcile += 1;
    const started = clock.now();
    const context = contextOf(clock, name, TIMEOUTS_MS[name]);
    try {
      if (name === 'probe') await probe(event, context);
      else {
        const result = (await handlers[name](event, context)) as { leaseHeldBy?: unknown } | undefined;
        if (result?.leaseHeldBy) counts.throttled += 1;
      }
    } catch (error) {
      counts.errors.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      counts.running -= 1;
      if (name === 'reconcile') running.reconcile -= 1;
      const took = clock.now() - started;
      // The sim cannot stop a handler as Lambda would: one that outlives its timeout is counted instead.
      if (took > TIMEOUTS_MS[name]) counts.overran.push({ fn: name, ms: took });
      // Lambda bills at least 1 ms, and at most the timeout.
      counts.durationMs[name] += Math.min(TIMEOUTS_MS[name], Math.max(1, took));
    }
  };
  routeEvents(clock, world, counts, invoke);
  const schedule: StackSim['schedule'] = (troubleshoot) => {
    clock.every(TICK_MS, 0, () => invoke('reconcile', scheduled()));
    clock.every(TICK_MS, 2 * MINUTE, () => invoke('probe', scheduled()));
    if (!troubleshoot) return;
    clock.every(troubleshoot.everyMs, 90_000, () => {
      const clusterId = troubleshoot.clusterId();
      if (clusterId === undefined) return;
      const detail = { clusterId } as AppEvent['detail'];
      return invoke('troubleshoot', envelope({ detailType: DETAIL_TYPES.troubleshootRequested, detail }));
    });
  };
  return { clock, world, counts, registry, counter, lease, idempotency, invoke, schedule };
}

/** EventBridge: the template's rules, delivered half a second later. */
function routeEvents(
  clock: DiscreteClock,
  world: World,
  counts: StackCounts,
  invoke: StackSim['invoke'],
): void {
  world.events.onEvent((event) => {
    const { clusterId } = event.detail;
    if (event.detailType === DETAIL_TYPES.clusterDetected) {
      counts.detected.set(clusterId, (counts.detected.get(clusterId) ?? 0) + 1);
    }
    if (event.detailType === DETAIL_TYPES.endpointReady && !counts.ready.has(clusterId))
      counts.ready.set(clusterId, clock.now());
    if (event.detailType === DETAIL_TYPES.healthChanged) {
      counts.healthChanged.set(clusterId, (counts.healthChanged.get(clusterId) ?? 0) + 1);
      const { previous, current } = event.detail;
      if (previous === 'unhealthy' || current === 'unhealthy') {
        counts.falseFlips += 1;
        for (const id of (event.detail as { failing?: string[] }).failing ?? []) {
          counts.falseFailing.set(id, (counts.falseFailing.get(id) ?? 0) + 1);
        }
      }
    }
    // The provision rule matches only detections the reconcile did not handle itself (no `handledBy`).
    const target =
      event.detailType === DETAIL_TYPES.clusterDetected && event.detail.handledBy === undefined
        ? 'provision'
        : event.detailType === DETAIL_TYPES.endpointReady
          ? 'probe'
          : undefined;
    if (target) void clock.sleep(500).then(() => invoke(target, envelope(event)));
  });
}

/** State-table operations: registry and health records, the quota ring, the lease, idempotency records. */
export function stateTableOps(sim: StackSim): { reads: number; writes: number } {
  const { registry, counter, lease, counts } = sim;
  return {
    reads: registry.reads + counts.idempotency.reads,
    writes:
      registry.writes +
      counter.taken.length +
      counter.refused +
      lease.takes +
      lease.releases +
      counts.idempotency.writes,
  };
}

/** The busiest wall-clock minute and sliding 60 s of `requests`, and the busiest minute's share of polling. */
export function busiestMinute(requests: StackCounts['requests']) {
  const perWindow = new Map<number, StackCounts['requests']>();
  for (const request of requests) {
    const window = Math.floor(request.at / MINUTE);
    const list = perWindow.get(window);
    if (list) list.push(request);
    else perWindow.set(window, [request]);
  }
  const fixed = [...perWindow.values()].sort((a, b) => b.length - a.length)[0] ?? [];
  const times = requests.map((r) => r.at).sort((a, b) => a - b);
  let sliding = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while ((times[i] ?? 0) - (times[j] ?? 0) >= MINUTE) j++;
    sliding = Math.max(sliding, i - j + 1);
  }
  const polling = fixed.filter((r) => !r.progress).length;
  return { fixed: fixed.length, sliding, polling };
}
