/**
 * Section 8: the whole stack as deployed, N clusters created at the same moment. The handlers' own code
 * (the app/ factories the Lambda entry points use) runs on a discrete-event clock: the reconcile on its
 * 5-minute schedule, one at a time (the lease, in the in-memory state table) and its 285 s timeout, one
 * provision per `TiDB Cluster Detected`, the probe on its schedule and on every `PrivateLink Endpoint Ready`, a troubleshoot request
 * every few minutes. Each function has its own TiDB Cloud client (own limiter, own digest nonce); all of
 * them share the one API key of the simulator, with its real 100/minute limit counted in every sliding 60 s,
 * and the stack's budget and registry (the state table, in memory here). Every AWS call a function makes
 * (EC2, events, the state table, the data plane) is first decided against its packaged role (testing/iam).
 * TiDB's waits are scaled down (service 1 min, System Checking
 * 1 min); EC2 runs without throttling. Probes go to the VPC stand-in on loopback for real.
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
import type { DiagnosticsDeps } from '../functions/app/lambda-deps.ts';
import { createProvisionHandler, createReconcileHandler } from '../functions/app/provisioning.ts';
import type { DataPlaneBatchPort } from '../functions/core/diagnose/ports.ts';
import type { PrivateLinkService } from '../functions/core/model.ts';
import { type AppEvent, type Clock, DETAIL_TYPES, type QuotaCounter } from '../functions/core/ports.ts';
import { PROBE_CACHE_TTL_MS, probeCaches } from '../functions/core/probe/probe.ts';
import { TtlCache } from '../functions/core/probe/ttl-cache.ts';
import { detectOnce, recordingServices } from '../functions/core/registry/detect-once.ts';
import { SharedBudget, WINDOW_MS } from '../functions/core/shared-budget.ts';
import { decisionsPending } from '../testing/iam/enforce.ts';
import { MemoryIdempotencyStore } from '../testing/idempotency-fake.ts';
import { MemoryLeaseStore } from '../testing/lease-fake.ts';
import { MemoryClusterRegistry, MemoryQuotaCounter } from '../testing/registry-fake.ts';
import { startVpcStandIn } from '../testing/vpc-stand-in.ts';
import { startWorld, type World } from '../testing/world.ts';
import { ENIS_PER_ENDPOINT, loopbackAddresses } from './stand-in.ts';
import { type Cell, note, percentile, printTable, section } from './table.ts';

const MINUTE = 60_000;
const QUOTA = 95;
const SERVICE_WAIT_MS = MINUTE;
const CHECKING_WAIT_MS = MINUTE;
const WAITS_MS = SERVICE_WAIT_MS + CHECKING_WAIT_MS;
const TIMEOUTS_MS = { reconcile: 285_000, provision: 900_000, probe: 300_000, troubleshoot: 60_000 };
const TICK_MS = 5 * MINUTE;
const START = Date.parse('2026-01-01T00:00:00.000Z');

/**
 * Time that moves only when nothing is in flight: it then jumps to the earliest sleeper's wake-up. In-flight
 * work (HTTP to the simulator, the data plane's sockets) is counted by the wrappers below; an IAM decision
 * being evaluated (testing/iam) counts too.
 */
class DiscreteClock implements Clock {
  current = START;
  inFlight = 0;
  private timers: Array<{ at: number; seq: number; wake: () => void }> = [];
  private seq = 0;

  now = (): number => this.current;

  sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        this.timers = this.timers.filter((t) => t !== timer);
        reject(signal?.reason);
      };
      const timer = {
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
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift();
      if (!next || next.at > end) return;
      this.current = Math.max(this.current, next.at);
      next.wake();
    }
  }
}

type FunctionName = 'reconcile' | 'provision' | 'probe' | 'troubleshoot';

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

interface Figures {
  readyMinusWaits: number[];
  clusters: number;
  requests: Array<{ at: number; operation: string; status: number; progress: boolean; fn?: FunctionName }>;
  /** Services already read as ACTIVE: a second read of one is looking, not progress. */
  activeSeen: Set<string>;
  invocations: Record<FunctionName | 'dataPlane', number>;
  throttled: number;
  errors: string[];
  detected: Map<string, number>;
  /** Per probe run that probed anything: data-plane invocations and endpoints probed. */
  tripsPerProbeRun: Array<{ trips: number; endpoints: number }>;
  falseFlips: number;
  /** Of those, how often each check failed. */
  falseFailing: Map<string, number>;
  /** `Health Changed` per cluster. */
  healthChanged: Map<string, number>;
  /** Invocations that ran longer than their Lambda timeout (Lambda would have stopped them), and any still running at the end. */
  overran: string[];
  running: number;
  /** State-table operations (registry and health records, quota ring, lease, idempotency records). */
  table: { reads: number; writes: number };
  virtualMs: number;
  /** The shared budget's conditional writes: takes recorded, and refused ones (a lost race or a stale view). */
  budgetWrites: { taken: number; refused: number };
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

async function startStack(size: number) {
  const clock = new DiscreteClock();
  const world = await startWorld({
    clock,
    requestsPerMinute: QUOTA,
    // The gateway counts every sliding 60 s, the stricter of the two ways it might: 0 × 429 here holds
    // for per-minute counting too, since every clock minute is one of those windows.
    simulator: {
      serviceReadyMs: SERVICE_WAIT_MS,
      connectionAcceptMs: CHECKING_WAIT_MS,
      rateLimitWindow: 'sliding',
    },
    ec2: { endpointLimitPerVpc: 2000 },
  });
  const vpc = await startVpcStandIn(world.ec2, {
    sourceCidr: world.ec2.world.cidrBlock,
    addresses: loopbackAddresses(size * ENIS_PER_ENDPOINT),
  });
  vpc.admit(world.ec2.world.securityGroupId);
  return { clock, world, vpc };
}

function stackClient(
  world: World,
  clock: DiscreteClock,
  counter: QuotaCounter,
  figures: Figures,
  fn: FunctionName,
) {
  const fetchTracked: typeof fetch = (input, init) =>
    clock.track(async () => {
      const at = clock.now();
      const response = await fetch(input, init);
      const operation =
        response.status === 401 ? 'challenge' : operationOf(String(input), init?.method ?? 'GET');
      figures.requests.push({
        at,
        fn,
        operation,
        status: response.status,
        progress: await progressOf(operation, String(input), response, figures.activeSeen),
      });
      return response;
    });
  return new TidbCloudClient({
    baseUrl: world.sim.url,
    publicKey: world.sim.publicKey,
    privateKey: world.sim.privateKey,
    requestsPerMinute: QUOTA,
    now: clock.now,
    sleep: clock.sleep,
    fetch: fetchTracked,
    budget: new SharedBudget(counter, QUOTA, clock),
  });
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

function envelope(event: AppEvent) {
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

/** Powertools' records in memory, counting the state-table reads and writes each would be. */
class CountingIdempotencyStore extends MemoryIdempotencyStore {
  constructor(private readonly tally: { reads: number; writes: number }) {
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
async function ownViews(world: World, registry: MemoryClusterRegistry) {
  const names: FunctionName[] = ['reconcile', 'provision', 'probe', 'troubleshoot'];
  const views = await Promise.all(
    names.map(async (fn) => {
      const [deps, ports] = await Promise.all([world.depsFor(fn), world.portsFor(fn)]);
      return [fn, { deps, ports, registry: ports.registry(registry) }] as const;
    }),
  );
  return Object.fromEntries(views) as Record<FunctionName, (typeof views)[number][1]>;
}

async function runStack(size: number): Promise<Figures> {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  // Every function's sleeps listen on the abort signal middy shares between invocations.
  setMaxListeners(0);
  const { clock, world, vpc } = await startStack(size);
  const logger = new Logger({ serviceName: 'tidb-privatelink', logLevel: 'SILENT' });
  const counter = new MemoryQuotaCounter();
  const registry = new MemoryClusterRegistry();
  const lease = new MemoryLeaseStore();
  const idempotencyTally = { reads: 0, writes: 0 };
  const figures: Figures = {
    readyMinusWaits: [],
    clusters: size,
    requests: [],
    activeSeen: new Set(),
    invocations: { reconcile: 0, provision: 0, probe: 0, troubleshoot: 0, dataPlane: 0 },
    throttled: 0,
    errors: [],
    detected: new Map(),
    tripsPerProbeRun: [],
    falseFlips: 0,
    falseFailing: new Map(),
    healthChanged: new Map(),
    overran: [],
    running: 0,
    table: { reads: 0, writes: 0 },
    virtualMs: 0,
    budgetWrites: { taken: 0, refused: 0 },
  };
  const own = await ownViews(world, registry);
  const client = (fn: FunctionName) => stackClient(world, clock, own[fn].ports.quota(counter), figures, fn);
  const reconcileDeps = {
    ...own.reconcile.deps,
    tidb: recordingServices(client('reconcile'), own.reconcile.registry),
    events: detectOnce(own.reconcile.deps.events, own.reconcile.registry, clock),
    registry: own.reconcile.registry,
    lease: own.reconcile.ports.lease(lease),
    // As deployed (app/lambda-deps.ts): one warm instance keeps ACTIVE services across runs.
    services: new TtlCache<PrivateLinkService>(PROBE_CACHE_TTL_MS, clock.now),
  };
  const provisionDeps = {
    ...own.provision.deps,
    tidb: client('provision'),
    registry: own.provision.registry,
  };
  // EMF goes to stdout regardless: publishing is disabled above; the logger only gets its warnings.
  const metrics = new Metrics({ namespace: 'Bench', logger: logger });
  // One warm instance per function: its hour-long service caches outlive an invocation, as in Lambda.
  const caches = probeCaches(clock.now);
  const diagnostics = (
    fn: 'probe' | 'troubleshoot',
    tidb: TidbCloudClient,
    trips: { count: number },
  ): DiagnosticsDeps => {
    const invoked: DataPlaneBatchPort = {
      probe: (input, options) => clock.track(() => vpc.dataPlane.probe(input, options)),
      probeMany: (inputs, options) => {
        trips.count += 1;
        figures.invocations.dataPlane += 1;
        return clock.track(() => vpc.dataPlane.probeMany(inputs, options));
      },
    };
    return {
      tidb,
      ec2: own[fn].deps.ec2,
      events: own[fn].deps.events,
      clock,
      dataPlane: own[fn].ports.dataPlane(invoked),
      metrics: new PowertoolsProbeMetrics(metrics),
      caches,
      // As deployed: with the state table, overlapping probe runs report each health flip once.
      healthRecord: own[fn].registry,
      settings: {
        region: 'us-east-1',
        vpcId: world.settings.vpcId,
        stackName: 'tidb-privatelink',
        dnsServer: vpc.dnsServer,
        timeoutMs: 5000,
        concurrency: 4,
      },
    };
  };
  const probeClient = client('probe');
  const troubleshootClient = client('troubleshoot');
  const stores = {
    provision: own.provision.ports.idempotency(new CountingIdempotencyStore(idempotencyTally)),
    probe: own.probe.ports.idempotency(new CountingIdempotencyStore(idempotencyTally)),
    troubleshoot: own.troubleshoot.ports.idempotency(new CountingIdempotencyStore(idempotencyTally)),
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
  const invoke = async (name: FunctionName, event: unknown) => {
    figures.invocations[name] += 1;
    figures.running += 1;
    const startedAt = clock.now();
    const context = contextOf(clock, name, TIMEOUTS_MS[name]);
    try {
      if (name === 'probe') {
        const trips = { count: 0 };
        const handler = createProbeHandler(
          async () => diagnostics('probe', probeClient, trips),
          logger,
          metrics,
          DEPLOYED_BUDGETS,
          stores.probe,
        );
        const result = (await handler(event, context)) as { probed?: number };
        if ((result.probed ?? 0) > 0) {
          figures.tripsPerProbeRun.push({ trips: trips.count, endpoints: result.probed ?? 0 });
        }
      } else {
        const result = (await handlers[name](event, context)) as { leaseHeldBy?: unknown } | undefined;
        if (result?.leaseHeldBy) figures.throttled += 1;
      }
    } catch (error) {
      figures.errors.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      figures.running -= 1;
      // The bench cannot stop a handler as Lambda would: one that outlives its timeout is counted instead.
      const took = clock.now() - startedAt;
      if (took > TIMEOUTS_MS[name]) figures.overran.push(`${name} ran ${minutes(took)}`);
    }
  };
  // EventBridge: the template's rules, delivered half a second later.
  const ready = new Map<string, number>();
  world.events.onEvent((event) => {
    const { clusterId } = event.detail;
    if (event.detailType === DETAIL_TYPES.clusterDetected) {
      figures.detected.set(clusterId, (figures.detected.get(clusterId) ?? 0) + 1);
    }
    if (event.detailType === DETAIL_TYPES.endpointReady && !ready.has(clusterId))
      ready.set(clusterId, clock.now());
    if (event.detailType === DETAIL_TYPES.healthChanged) {
      figures.healthChanged.set(clusterId, (figures.healthChanged.get(clusterId) ?? 0) + 1);
      const { previous, current } = event.detail;
      if (previous === 'unhealthy' || current === 'unhealthy') {
        figures.falseFlips += 1;
        for (const id of (event.detail as { failing?: string[] }).failing ?? []) {
          figures.falseFailing.set(id, (figures.falseFailing.get(id) ?? 0) + 1);
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
  const every = (period: number, offset: number, work: () => Promise<void>) => {
    void (async () => {
      await clock.sleep(offset);
      for (;;) {
        void work();
        await clock.sleep(period);
      }
    })();
  };
  const clusters = Array.from({ length: size }, () => world.addCluster({ port: vpc.port }));
  for (const cluster of clusters) vpc.serve(cluster.serviceDnsName, cluster.serviceName);
  every(TICK_MS, 0, () => invoke('reconcile', { 'detail-type': 'Scheduled Event', id: randomUUID() }));
  every(TICK_MS, 2 * MINUTE, () => invoke('probe', { 'detail-type': 'Scheduled Event', id: randomUUID() }));
  every(3 * MINUTE, 90_000, () =>
    invoke(
      'troubleshoot',
      envelope({
        detailType: DETAIL_TYPES.troubleshootRequested,
        detail: { clusterId: clusters[0]?.clusterId ?? '' } as AppEvent['detail'],
      }),
    ),
  );
  // Until every cluster is Ready and one scheduled probe has seen them all, at most an hour.
  let settledAt: number | undefined;
  await clock.runUntil(START + 60 * MINUTE, () => {
    if (ready.size < size) return false;
    settledAt ??= clock.now();
    return clock.now() >= settledAt + TICK_MS;
  });
  figures.virtualMs = clock.now() - START;
  figures.budgetWrites = { taken: counter.taken.length, refused: counter.refused };
  figures.table = {
    reads: registry.reads + idempotencyTally.reads,
    writes:
      registry.writes +
      counter.taken.length +
      counter.refused +
      lease.takes +
      lease.releases +
      idempotencyTally.writes,
  };
  for (const cluster of clusters) {
    const at = ready.get(cluster.clusterId);
    figures.readyMinusWaits.push(at === undefined ? Number.POSITIVE_INFINITY : at - START - WAITS_MS);
  }
  figures.requests.push(
    ...Array.from(
      {
        length: Math.max(
          0,
          (world.sim.stats().byStatus['429'] ?? 0) - figures.requests.filter((r) => r.status === 429).length,
        ),
      },
      () => ({ at: 0, operation: 'untracked', status: 429, progress: false }),
    ),
  );
  await vpc.close();
  await world.close();
  return figures;
}

function busiestMinute(requests: Figures['requests']) {
  const perWindow = new Map<number, Figures['requests']>();
  for (const request of requests) {
    const window = Math.floor(request.at / MINUTE);
    perWindow.set(window, [...(perWindow.get(window) ?? []), request]);
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

/** An event's count per cluster as min–max, or how many clusters had any when some had none. */
function perClusterRange(counts: Map<string, number>, clusters: number): string {
  const values = [...counts.values()];
  return values.length === clusters
    ? `${Math.min(...values)}–${Math.max(...values)}`
    : `${values.length} of ${clusters} clusters`;
}

const minutes = (ms: number) => (Number.isFinite(ms) ? `${(ms / MINUTE).toFixed(1)} min` : 'never');

/** `number`: the section's number in `npm run bench` (8 for 10 and 100 clusters, 9 for 1,000). */
export async function benchStack(sizes: number[], number = 8): Promise<void> {
  section(`${number}. The whole stack as deployed: N clusters created at the same moment`);
  note(
    `Handlers wired as deployed on a discrete-event clock; one API key at the real 100/min, counted by the simulator in every sliding 60 s; the shared budget ${QUOTA} per sliding ${WINDOW_MS / 1000} s; waits scaled to 1 + 1 min.`,
  );
  const columns: Cell[][] = [];
  const results: Figures[] = [];
  for (const size of sizes) results.push(await runStack(size));
  const row = (label: string, cell: (f: Figures) => Cell, goal: string) =>
    columns.push([label, ...results.map(cell), goal]);
  row('ACTIVE → Ready minus waits, p50', (f) => minutes(percentile(f.readyMinusWaits, 50)), '');
  row('ACTIVE → Ready minus waits, max', (f) => minutes(Math.max(...f.readyMinusWaits)), '≤ floor + 1 min');
  row(
    `quota floor (2 requests per cluster at ${QUOTA} per ${WINDOW_MS / 1000} s)`,
    (f) => minutes((2 * f.clusters * WINDOW_MS) / QUOTA),
    '',
  );
  row('TiDB requests, busiest wall-clock minute', (f) => busiestMinute(f.requests).fixed, '≤ 100');
  row('TiDB requests, busiest sliding 60 s', (f) => busiestMinute(f.requests).sliding, '≤ 100');
  row(
    '  of which waiting/looking (not a first ACTIVE read or a registration)',
    (f) => {
      const busiest = busiestMinute(f.requests);
      return `${busiest.polling} (${Math.round((100 * busiest.polling) / Math.max(1, busiest.fixed))} %)`;
    },
    '',
  );
  row(
    'TiDB requests in all (per cluster)',
    (f) => `${f.requests.length} (${(f.requests.length / f.clusters).toFixed(1)})`,
    '',
  );
  row(
    'TiDB requests by function: reconcile / provision / probe / troubleshoot',
    (f) =>
      (['reconcile', 'provision', 'probe', 'troubleshoot'] as const)
        .map((fn) => f.requests.filter((r) => r.fn === fn).length)
        .join(' / '),
    '',
  );
  row('429 answers', (f) => f.requests.filter((r) => r.status === 429).length, '0');
  row(
    'shared budget: conditional writes per TiDB request (refused ones)',
    (f) => {
      const { taken, refused } = f.budgetWrites;
      return `${((taken + refused) / Math.max(1, taken)).toFixed(2)} (${refused})`;
    },
    '',
  );
  row(
    'TiDB Cluster Detected per cluster (min–max)',
    (f) => perClusterRange(f.detected, f.clusters),
    'exactly 1',
  );
  for (const name of ['reconcile', 'provision', 'probe', 'troubleshoot', 'dataPlane'] as const) {
    row(`Lambda invocations: ${name}`, (f) => f.invocations[name], '');
  }
  row(
    'Lambda invocations per cluster (all five functions)',
    (f) => (Object.values(f.invocations).reduce((a, b) => a + b, 0) / f.clusters).toFixed(2),
    '',
  );
  row(
    'state table reads / writes per cluster (registry, health, quota ring, lease, idempotency)',
    (f) => `${(f.table.reads / f.clusters).toFixed(2)} / ${(f.table.writes / f.clusters).toFixed(2)}`,
    '',
  );
  row('reconcile ticks refused (the lease)', (f) => f.throttled, '');
  row(
    'data-plane invocations per probe run (largest run; any over 1 per 50)',
    (f) => {
      const largest = [...f.tripsPerProbeRun].sort((a, b) => b.endpoints - a.endpoints)[0];
      const over = f.tripsPerProbeRun.filter((run) => run.trips > Math.ceil(run.endpoints / 50)).length;
      return largest ? `${largest.trips} for ${largest.endpoints}; ${over} over` : 'none';
    },
    '1 per ≤ 50 endpoints',
  );
  row(
    'Health Changed per cluster (min–max)',
    (f) => perClusterRange(f.healthChanged, f.clusters),
    'exactly 1',
  );
  row('false health changes', (f) => f.falseFlips, '0');
  row('function errors', (f) => f.errors.length, '0');
  row(
    'invocations past their Lambda timeout / still running at the end',
    (f) => `${f.overran.length} / ${f.running}`,
    '0 / 0',
  );
  row('virtual time simulated', (f) => minutes(f.virtualMs), '');
  printTable(['figure', ...sizes.map((size) => `${size} clusters`), 'goal'], columns, [sizes.length + 1]);
  for (const f of results) {
    for (const error of [...f.errors, ...f.overran].slice(0, 3)) note(`error (${f.clusters}): ${error}`);
    const failing = [...f.falseFailing].map(([id, count]) => `${id} × ${count}`).join(', ');
    if (failing) note(`false health changes (${f.clusters}) failed: ${failing}`);
  }
}
