/**
 * The fault matrix (issue 10): N clusters provisioned from scratch by the real CLI (`reconcile --json`) in a
 * child process, run again and again as a schedule would, while one kind of fault (a row) is injected:
 * the TiDB Cloud simulator failing a seeded share of requests, the EC2 port throttling or failing a share of
 * calls, or the child being SIGKILLed right after each side effect. Afterwards the world itself is
 * inspected: what converged and what was duplicated (judge.ts, reading the tags as the contract spells them),
 * and the busiest minute of TiDB requests the simulator saw. Every EC2 call the child makes is first decided
 * against the provision operator policy (a person running `reconcile`), as in-process CLI runs are (testing/iam).
 * Used by `npm run bench` (bench/faults.ts) and, smaller, by test/integration/faults/fault-matrix.test.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rename } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { VpcEndpoint } from '../../functions/core/model.ts';
import type { Clock, ProvisioningEc2Port } from '../../functions/core/ports.ts';
import type { ProvisionOutcome } from '../../functions/core/reconcile/types.ts';
import { Ec2Fake, type Ec2FakeWithWorld } from '../ec2-fake.ts';
import { type Ec2FaultCounts, type Ec2FaultRates, faultyEc2, noEc2Faults } from '../faulty-ec2.ts';
import { authorizeEc2Call, enforcedEc2 } from '../iam/enforce.ts';
import { authorizerAs } from '../iam/enforce-ports.ts';
import { OPERATOR_PROVISION } from '../iam/roles.ts';
import type { RandomFaultRates } from '../tidbcloud-simulator/faults.ts';
import { type RecordedRequest, type Simulator, startSimulator } from '../tidbcloud-simulator/index.ts';
import { type Ec2Server, serveEc2 } from './ec2-rpc.ts';
import { carriesManagedByTag, judgeWorld } from './judge.ts';
import { scaledClock, type TimeScale, timeScaleEnv } from './scaled-clock.ts';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));
let bundled: Promise<string> | undefined;

/**
 * child.ts bundled once per process with esbuild: a restart after SIGKILL then costs ~0.3 s instead of
 * tsx's ~0.8 s, and on the scaled clock every real second of start-up is `timeFactor` virtual seconds.
 */
function childScript(): Promise<string> {
  bundled ??= (async () => {
    // One file per checkout, replaced atomically: concurrent test files and benches never read half a
    // bundle, and nothing piles up in the temp folder.
    const checkout = createHash('sha256').update(CHILD).digest('hex').slice(0, 12);
    const outfile = join(tmpdir(), `tidb-privatelink-fault-child-${checkout}.mjs`);
    const partial = `${outfile}.${process.pid}.tmp`;
    await build({
      entryPoints: [CHILD],
      outfile: partial,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'error',
      // CommonJS dependencies (mysql2, the AWS SDK) call require() inside an ES module bundle.
      banner: {
        js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
    });
    await rename(partial, outfile);
    return outfile;
  })();
  return bundled;
}

const VIRTUAL_START = Date.parse('2026-01-01T00:00:00.000Z');
/** The real API's quota per key and minute (API-FACTS). */
export const TIDB_QUOTA_PER_MINUTE = 100;

export type SideEffect = 'endpoint created' | 'registered' | 'private DNS enabled';

export interface FaultRow {
  name: string;
  tidb?: RandomFaultRates;
  ec2?: Pick<Ec2FaultRates, 'throttle' | 'fail'> & {
    /** Retried as the SDK would first (the real stack); without, every fault reaches the core. */
    sdkRetries: boolean;
  };
  /** SIGKILL the CLI right after each new side effect, then start it again. */
  kill?: boolean;
}

/** The rows: a fault-free baseline, one row per fault kind at `rate`, and all of them at once. */
export function faultRows(rate: number): FaultRow[] {
  const fifth = rate / 5;
  return [
    { name: 'none (baseline)' },
    { name: 'TiDB 5xx', tidb: { serverError: rate } },
    { name: 'TiDB timeouts', tidb: { timeout: rate } },
    { name: 'TiDB dropped connections', tidb: { drop: rate } },
    { name: 'TiDB 429 bursts', tidb: { rateLimit: rate } },
    { name: 'TiDB stale nonces', tidb: { staleNonce: rate } },
    { name: 'EC2 throttling', ec2: { throttle: rate, sdkRetries: true } },
    { name: 'EC2 InternalError', ec2: { fail: rate, sdkRetries: true } },
    {
      name: 'EC2 faults, SDK retries bypassed',
      ec2: { throttle: rate / 2, fail: rate / 2, sdkRetries: false },
    },
    { name: 'SIGKILL after each side effect', kill: true },
    {
      name: 'all at once',
      tidb: { serverError: fifth, timeout: fifth, drop: fifth, rateLimit: fifth, staleNonce: fifth },
      ec2: { throttle: rate / 2, fail: rate / 2, sdkRetries: true },
      kill: true,
    },
  ];
}

export interface MatrixOptions {
  clusters: number;
  seed: number;
  /** Virtual ms per real ms, shared by the simulator and every CLI run. */
  timeFactor: number;
  /** TiDB's System Checking (connection PENDING → ACTIVE), virtual ms. Default 5 min, as the real service. */
  systemCheckingMs?: number;
  /** The schedule's period between two `reconcile` runs that did not converge, virtual ms. Default 1 min. */
  tickMs?: number;
  /** The client's per-request timeout, virtual ms (default 30 s, the client's own default). */
  requestTimeoutMs?: number;
  /** Give up after this many runs or this much virtual time. Defaults: 150 runs, 2 h. */
  maxRuns?: number;
  maxVirtualMs?: number;
}

export interface RowResult {
  row: string;
  clusters: number;
  /** Clusters whose endpoint is available with private DNS on and whose TiDB connection is ACTIVE (judge.ts). */
  converged: number;
  /** The run (1-based) whose `reconcile --json` reported every cluster Ready; absent if none did. */
  reportedReadyAtRun?: number;
  /** Blocked verdicts the runs printed, by reason (a transient fault should never produce one). */
  blocked: Record<string, number>;
  /** Σ over clusters of (managed endpoints − 1), and the same for TiDB connections. */
  duplicateEndpoints: number;
  duplicateConnections: number;
  /** Most requests the simulator saw in one fixed 60 s window of its clock (all of them: 401s, faults…). */
  busiestMinute: number;
  /** From the first run's start until the run that reported every cluster Ready ended (or the bound). */
  virtualMs: number;
  runs: number;
  kills: Record<SideEffect, number>;
  /** Exit codes of the runs that were not killed. */
  exitCodes: Record<string, number>;
  tidbRequests: number;
  tidbFaulted: number;
  ec2: Ec2FaultCounts;
  /** EC2 calls that reached the core failed, by port method (where the row's faults land). */
  ec2FailuresByMethod: Record<string, number>;
  /** Cluster outcomes the runs printed in Error, by error code (each costs that cluster a tick). */
  errors: Record<string, number>;
  /** Runs that printed no report: the pass itself failed (every cluster waits for the next tick). */
  passFailures: number;
  /** The last error line of a run that printed no report (the pass could not run at all). */
  lastError?: string;
}

interface Run {
  runId: string;
  child: ChildProcess;
  killed: boolean;
}

/** The harness's own view of the world, to tell a new side effect from one already seen. */
class SideEffects {
  private readonly endpoints = new Set<string>();
  private readonly dns = new Set<string>();
  private readonly registered = new Set<string>();

  /** New side effects in EC2 since the last look. */
  ec2(endpoints: VpcEndpoint[]): SideEffect[] {
    const found: SideEffect[] = [];
    for (const endpoint of endpoints) {
      if (!this.endpoints.has(endpoint.vpcEndpointId)) {
        this.endpoints.add(endpoint.vpcEndpointId);
        found.push('endpoint created');
      }
      if (endpoint.privateDnsEnabled && !this.dns.has(endpoint.vpcEndpointId)) {
        this.dns.add(endpoint.vpcEndpointId);
        found.push('private DNS enabled');
      }
    }
    return found;
  }

  /** Whether a carried-out createConnection registered an endpoint for the first time. */
  tidb(request: RecordedRequest): boolean {
    if (request.operation !== 'createConnection') return false;
    const { endpointId } = JSON.parse(request.body) as { endpointId: string };
    if (this.registered.has(endpointId)) return false;
    this.registered.add(endpointId);
    return true;
  }
}

/** The CLI's view of the fake: as a person holding the provision operator policy (with the read-only one). */
async function operatorView(fake: Ec2FakeWithWorld): Promise<ProvisioningEc2Port> {
  const { vpcId, subnetIds, securityGroupId } = fake.world;
  const vpcs = [{ vpcId, subnetIds, securityGroupIds: [securityGroupId] }];
  return enforcedEc2(fake, await authorizerAs(OPERATOR_PROVISION, vpcs));
}

/** The EC2 the row's CLI runs see: the operator's view of the fake, throttling and failing as the row says. */
async function faultyPort(
  row: FaultRow,
  options: MatrixOptions,
  fake: Ec2FakeWithWorld,
  clock: Clock,
  counts: Ec2FaultCounts,
): Promise<ProvisioningEc2Port> {
  const { ec2 } = row;
  const enforced = await operatorView(fake);
  if (!ec2) return enforced;
  const sleep = (ms: number) => clock.sleep(ms);
  const rates = { seed: options.seed + 1, throttle: ec2.throttle, fail: ec2.fail };
  return faultyEc2(enforced, ec2.sdkRetries ? { ...rates, sdkRetries: { sleep } } : rates, counts);
}

/** `port` counting, by method, the calls that failed: which reads and changes the row's faults reach. */
function countingFailures<Port extends object>(port: Port, byMethod: Record<string, number>): Port {
  return new Proxy(port, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        try {
          return (await Reflect.apply(value, object, args)) as unknown;
        } catch (error) {
          byMethod[String(property)] = (byMethod[String(property)] ?? 0) + 1;
          throw error;
        }
      };
    },
  });
}

const runIdOf = (headers: IncomingHttpHeaders): string =>
  /fault-run\/(\S+)/.exec(String(headers['user-agent'] ?? ''))?.[1] ?? '';

class RowWorld {
  readonly clusterIds: string[] = [];
  readonly kills: Record<SideEffect, number> = {
    'endpoint created': 0,
    registered: 0,
    'private DNS enabled': 0,
  };
  current: Run | undefined;
  private readonly seen = new SideEffects();

  private constructor(
    readonly row: FaultRow,
    readonly options: MatrixOptions,
    readonly scale: TimeScale,
    readonly clock: Clock,
    readonly fake: Ec2FakeWithWorld,
    readonly ec2Counts: Ec2FaultCounts,
    readonly ec2FailuresByMethod: Record<string, number>,
    readonly sim: Simulator,
    private readonly ec2Server: Ec2Server,
  ) {}

  static async start(row: FaultRow, options: MatrixOptions): Promise<RowWorld> {
    const scale = { realStart: Date.now(), virtualStart: VIRTUAL_START, factor: options.timeFactor };
    const clock = scaledClock(scale);
    const fake: Ec2FakeWithWorld = Ec2Fake.withDefaultWorld({
      region: 'us-east-1',
      now: clock.now,
      endpointLimitPerVpc: 1000,
      authorize: authorizeEc2Call(() => fake),
    });
    const ec2Counts = noEc2Faults();
    const failuresByMethod: Record<string, number> = {};
    // The servers report side effects to the world, which needs the servers: it is set right after.
    let world: RowWorld | undefined;
    const sim = await startSimulator({
      now: clock.now,
      serviceReadyMs: 0,
      connectionAcceptMs: options.systemCheckingMs ?? 300_000,
      endpointExists: (endpointId) => fake.endpointAddresses(endpointId).length > 0,
      onConnectionActive: (endpointId) => fake.accept(endpointId),
      afterApplied: (request, headers) => world?.afterTidbWrite(request, headers),
    });
    const port = countingFailures(await faultyPort(row, options, fake, clock, ec2Counts), failuresByMethod);
    const server = await serveEc2(port, (_, runId) => world?.afterEc2Call(runId));
    world = new RowWorld(row, options, scale, clock, fake, ec2Counts, failuresByMethod, sim, server);
    if (row.tidb) {
      sim.faults.random({
        seed: options.seed,
        rates: row.tidb,
        // Past the client's timeout, in real time (the client's timer is a real one).
        hangMs: (world.requestTimeoutMs() / options.timeFactor) * 1.5,
      });
    }
    for (let i = 0; i < options.clusters; i++) {
      const cluster = sim.addCluster({
        displayName: `fault-${i}`,
        availableZones: ['use1-az1', 'use1-az4', 'use1-az6'],
      });
      fake.registerService(cluster.serviceName, cluster.availableZones);
      world.clusterIds.push(cluster.clusterId);
    }
    return world;
  }

  afterTidbWrite(request: RecordedRequest, headers: IncomingHttpHeaders): 'drop' | undefined {
    return this.seen.tidb(request) ? this.kill(runIdOf(headers), ['registered']) : undefined;
  }

  afterEc2Call(runId: string): 'drop' | undefined {
    return this.kill(runId, this.seen.ec2(this.fake.peekEndpoints().filter(carriesManagedByTag)));
  }

  requestTimeoutMs(): number {
    return this.options.requestTimeoutMs ?? 30_000;
  }

  /** Kills the run that caused `effects` if it is the live one and this row kills; 'drop' its answer. */
  kill(runId: string, effects: SideEffect[]): 'drop' | undefined {
    const run = this.current;
    if (!this.row.kill || effects.length === 0 || !run || run.runId !== runId || run.killed) return undefined;
    run.killed = true;
    run.child.kill('SIGKILL');
    for (const effect of effects) this.kills[effect] += 1;
    return 'drop';
  }

  childEnv(runId: string): Record<string, string> {
    const { world } = this.fake;
    return {
      PATH: process.env.PATH ?? '',
      NO_COLOR: '1',
      TIDB_CLOUD_API_URL: this.sim.url,
      TIDB_CLOUD_PUBLIC_KEY: this.sim.publicKey,
      TIDB_CLOUD_PRIVATE_KEY: this.sim.privateKey,
      AWS_REGION: 'us-east-1',
      PRIVATELINK_VPC_ID: world.vpcId,
      PRIVATELINK_SUBNET_IDS: world.subnetIds.join(','),
      PRIVATELINK_SECURITY_GROUP_IDS: world.securityGroupId,
      FAULT_EC2_URL: this.ec2Server.url,
      FAULT_RUN_ID: runId,
      FAULT_REQUEST_TIMEOUT_MS: String(Math.round(this.requestTimeoutMs() / this.options.timeFactor)),
      ...timeScaleEnv(this.scale),
    };
  }

  async close(): Promise<void> {
    if (this.current && !this.current.killed) this.current.child.kill('SIGKILL');
    await this.sim.close();
    await this.ec2Server.close();
  }
}

/** Real time after which a run that neither finished nor was killed counts as hung (and is killed). */
const RUN_WATCHDOG_MS = 120_000;

interface RunResult {
  killed: boolean;
  /** The exit code; `'hung'` when the watchdog had to kill it. */
  code: number | 'hung' | null;
  stdout: string;
  stderr: string;
}

/** One `tidb-privatelink reconcile --json` in a child process, until it exits or is killed. */
async function runOnce(world: RowWorld, runId: string): Promise<RunResult> {
  const script = await childScript();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, 'reconcile', '--json'], {
      env: world.childEnv(runId),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run: Run = { runId, child, killed: false };
    world.current = run;
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    let hung = false;
    const watchdog = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, RUN_WATCHDOG_MS);
    child.on('close', (code) => {
      clearTimeout(watchdog);
      resolve({ killed: run.killed, code: hung ? 'hung' : code, stdout, stderr });
    });
  });
}

function outcomesOf(stdout: string): ProvisionOutcome[] | undefined {
  try {
    const parsed = JSON.parse(stdout) as { clusters?: ProvisionOutcome[] };
    return parsed.clusters;
  } catch {
    return undefined;
  }
}

function busiestMinute(requests: RecordedRequest[]): number {
  const perWindow = new Map<number, number>();
  for (const request of requests) {
    const window = Math.floor(request.at / 60_000);
    perWindow.set(window, (perWindow.get(window) ?? 0) + 1);
  }
  return Math.max(0, ...perWindow.values());
}

/** Runs the schedule until a run reports every cluster Ready, or the bound. */
async function schedule(world: RowWorld): Promise<{
  runs: number;
  exitCodes: Record<string, number>;
  blocked: Record<string, number>;
  errors: Record<string, number>;
  passFailures: number;
  reportedReadyAtRun?: number;
  lastError?: string;
}> {
  const { options } = world;
  const maxRuns = options.maxRuns ?? 150;
  const deadline = world.clock.now() + (options.maxVirtualMs ?? 2 * 3_600_000);
  const exitCodes: Record<string, number> = {};
  const blocked: Record<string, number> = {};
  const errors: Record<string, number> = {};
  let passFailures = 0;
  let lastError: string | undefined;
  let runs = 0;
  while (runs < maxRuns && world.clock.now() < deadline) {
    runs += 1;
    const result = await runOnce(world, String(runs));
    // Killed after a side effect: started again at once, as a crashed Lambda is retried.
    if (result.killed) continue;
    exitCodes[String(result.code)] = (exitCodes[String(result.code)] ?? 0) + 1;
    const outcomes = outcomesOf(result.stdout);
    for (const outcome of outcomes ?? []) {
      if (outcome.phase === 'Blocked' && outcome.reason)
        blocked[outcome.reason] = (blocked[outcome.reason] ?? 0) + 1;
      if (outcome.phase === 'Error') {
        const code = outcome.error?.code ?? 'UNKNOWN';
        errors[code] = (errors[code] ?? 0) + 1;
      }
    }
    if (!outcomes) {
      passFailures += 1;
      lastError = result.stderr.trim().split('\n').at(-1);
    }
    const allReady =
      outcomes?.length === options.clusters && outcomes.every((outcome) => outcome.phase === 'Ready');
    if (allReady) {
      const last = lastError ? { lastError } : {};
      return { runs, exitCodes, blocked, errors, passFailures, reportedReadyAtRun: runs, ...last };
    }
    await world.clock.sleep(options.tickMs ?? 60_000);
  }
  return { runs, exitCodes, blocked, errors, passFailures, ...(lastError ? { lastError } : {}) };
}

/** Provisions `options.clusters` clusters from scratch under `row`'s faults and measures the outcome. */
export async function runFaultRow(row: FaultRow, options: MatrixOptions): Promise<RowResult> {
  // Bundled before the row's clock starts: on the scaled clock the seconds esbuild takes would otherwise be
  // minutes added to the first row's time (the baseline's, which every other row is measured against).
  await childScript();
  const world = await RowWorld.start(row, options);
  try {
    const started = world.clock.now();
    const scheduled = await schedule(world);
    const virtualMs = world.clock.now() - started;
    const verdict = judgeWorld(world.clusterIds, world.fake.peekEndpoints(), await world.sim.connections());
    return {
      row: row.name,
      clusters: options.clusters,
      ...verdict,
      ...scheduled,
      busiestMinute: busiestMinute(world.sim.requests),
      virtualMs,
      kills: world.kills,
      tidbRequests: world.sim.requests.length,
      tidbFaulted: world.sim.requests.filter((r) => r.fault !== undefined).length,
      ec2: world.ec2Counts,
      ec2FailuresByMethod: world.ec2FailuresByMethod,
    };
  } finally {
    await world.close();
  }
}
