/**
 * Section 5: one scheduled probe invocation over 1 and over 100 Ready endpoints, each diagnosed for real on
 * loopback (DNS, TCP, greeting), concurrency 8. Shows wall time, API calls and the memory it takes.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { systemClock } from '../functions/adapters/system-clock.ts';
import { TidbCloudClient } from '../functions/adapters/tidbcloud/client.ts';
import type { TidbCloudPort } from '../functions/core/ports.ts';
import {
  type EndpointProbe,
  type ProbeCaches,
  type ProbeSettings,
  probeAll,
  probeCaches,
} from '../functions/core/probe/probe.ts';
import { type StandInWorld, startStandInWorld } from './stand-in.ts';
import { type Cell, mib, note, printTable, section, wall } from './table.ts';

const ENDPOINTS = 100;
const CONCURRENCY = 8;
const TIMEOUT_MS = 3000;
/** The client's own limit under the API's 100/min: what a deployed probe really runs with. */
const CLIENT_LIMIT_PER_MINUTE = 95;

interface Round {
  label: string;
  endpoints: number;
  healthy: number;
  wallMs: number;
  tidbCalls: number;
  ec2Calls: number;
  rssMb: number;
  heapMb: number;
  retainedMb: number;
  /** Failing check id → how many endpoints failed it. */
  failing: Map<string, number>;
}

function failingChecks(probes: EndpointProbe[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const id of probes.flatMap((probe) => probe.failing ?? [])) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

/**
 * A full GC before the baseline, so the peak delta is what the run itself holds, not the previous run's
 * garbage. Node hides gc() without --expose-gc, and `npm run bench` runs plain tsx; the flag can still be
 * turned on at run time, after which a fresh context sees the global.
 */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc: unknown = runInNewContext('gc');
  if (typeof gc === 'function') gc();
}

/** Peak RSS and heap above the level at the start, sampled every 10 ms while `work` runs. */
async function withPeakMemory<T>(
  work: () => Promise<T>,
): Promise<{ result: T; rss: number; heap: number; retained: number }> {
  collectGarbage();
  const base = process.memoryUsage();
  let rss = base.rss;
  let heap = base.heapUsed;
  const timer = setInterval(() => {
    const now = process.memoryUsage();
    rss = Math.max(rss, now.rss);
    heap = Math.max(heap, now.heapUsed);
  }, 10);
  try {
    const result = await work();
    clearInterval(timer);
    // What is still reachable once the run's garbage is gone: per-run state that would pile up in a Lambda.
    collectGarbage();
    const retained = process.memoryUsage().heapUsed - base.heapUsed;
    return { result, rss: rss - base.rss, heap: heap - base.heapUsed, retained };
  } finally {
    clearInterval(timer);
  }
}

async function probeRound(
  stand: StandInWorld,
  label: string,
  tidb?: TidbCloudPort,
  caches?: ProbeCaches,
): Promise<Round> {
  const { world, vpc } = stand;
  world.tidb.resetStats();
  world.ec2.resetCalls();
  world.sim.clearRequests();
  const settings: ProbeSettings = {
    region: world.settings.region,
    dnsServer: vpc.dnsServer,
    timeoutMs: TIMEOUT_MS,
    concurrency: CONCURRENCY,
  };
  // Real clock: report durations and the per-endpoint deadline are wall time, as in the Lambda.
  const deps = {
    ...world.cliDeps,
    ...(tidb ? { tidb } : {}),
    ...(caches ? { caches } : {}),
    dataPlane: vpc.dataPlane,
    clock: systemClock,
    metrics: { record: () => {} },
  };
  const measured = await withPeakMemory(() => wall(() => probeAll(deps, settings)));
  const probes: EndpointProbe[] = measured.result.result;
  return {
    label,
    endpoints: probes.length,
    healthy: probes.filter((probe) => probe.health === 'healthy').length,
    wallMs: measured.result.ms,
    tidbCalls: world.sim.stats().total,
    ec2Calls: world.ec2.totalCalls,
    rssMb: measured.rss,
    heapMb: measured.heap,
    retainedMb: measured.retained,
    failing: failingChecks(probes),
  };
}

/** A fresh client with the real 95/min limiter on the real clock: its window starts empty, as a new Lambda's. */
function limitedClient(stand: StandInWorld): TidbCloudClient {
  const { sim } = stand.world;
  return new TidbCloudClient({
    baseUrl: sim.url,
    publicKey: sim.publicKey,
    privateKey: sim.privateKey,
    requestsPerMinute: CLIENT_LIMIT_PER_MINUTE,
  });
}

function row(round: Round): Cell[] {
  return [
    round.label,
    `${round.healthy}/${round.endpoints}`,
    `${Math.round(round.wallMs)} ms`,
    `${(round.wallMs / Math.max(1, round.endpoints)).toFixed(1)} ms`,
    round.tidbCalls,
    round.ec2Calls,
    mib(round.rssMb),
    mib(round.heapMb),
    mib(round.retainedMb),
  ];
}

async function rounds(stand: StandInWorld): Promise<Round[]> {
  const list: Round[] = [];
  await stand.addReady(1);
  list.push(await probeRound(stand, '1 endpoint, first probe'));
  list.push(await probeRound(stand, '1 endpoint, steady'));
  await stand.addReady(ENDPOINTS - 1);
  list.push(await probeRound(stand, `${ENDPOINTS} endpoints, ${ENDPOINTS - 1} new`));
  list.push(await probeRound(stand, `${ENDPOINTS} endpoints, steady`));
  // A warm Lambda keeps the service and AZ caches between scheduled runs: fill them, then measure.
  const caches = probeCaches(Date.now);
  await probeRound(stand, 'warm-up', undefined, caches);
  list.push(await probeRound(stand, `${ENDPOINTS} endpoints, warm Lambda`, undefined, caches));
  list.push(await probeRound(stand, `${ENDPOINTS}, cold, limiter 95/min`, limitedClient(stand)));
  return list;
}

function limiterNotes(round: Round | undefined): void {
  if (!round) return;
  const failing = [...round.failing].map(([id, n]) => `${id} ×${n}`).join(', ') || 'none';
  note('Last row: a cold start through a fresh client keeping the real 95/min limit (other rows lift it).');
  note(
    `A cold run needs 2 list calls + 1 service read per endpoint (+ a digest challenge): > 95 at ${ENDPOINTS}`,
  );
  note(
    'endpoints, so the limiter paces the service prefetch, which runs before and outside every endpoint’s',
  );
  note(
    `deadline: ${round.endpoints - round.healthy} endpoints reported unhealthy (failing: ${failing}). A warm Lambda needs 2 TiDB calls.`,
  );
}

/** EC2's Describe* bucket (100 burst, 20/s refill) is not modelled by the fake in these runs. */
function ec2Notes(round: Round | undefined): void {
  if (!round) return;
  const refillS = Math.max(0, round.ec2Calls - 100) / 20;
  note(
    `EC2: ${round.ec2Calls} calls in a warm run (one batch of describes for all endpoints, AZs of each service cached);`,
  );
  note(
    `against EC2's Describe* bucket (burst 100, 20/s) that needs ≥ ${refillS.toFixed(0)} s of refill. A cold run adds one DescribeVpcEndpointServices per endpoint.`,
  );
}

export async function benchProbe(): Promise<void> {
  section(
    `5. probeAll over ${ENDPOINTS} endpoints in one invocation (concurrency ${CONCURRENCY}, ${TIMEOUT_MS} ms per endpoint)`,
  );
  const stand = await startStandInWorld(ENDPOINTS);
  try {
    const list = await rounds(stand);
    printTable(
      [
        'invocation',
        'healthy',
        'wall',
        'wall/endpoint',
        'TiDB req',
        'EC2 calls',
        'peak ΔRSS',
        'peak Δheap',
        'Δheap after GC',
      ],
      list.map(row),
    );
    note(
      'TiDB req = requests the simulator received (the probe uses its own snapshot port over the client).',
    );
    note(
      '"first probe" rows also write each endpoint’s health tag (one CreateTags per endpoint whose health',
    );
    note(
      'changed); "steady" rows are a repeat run, the schedule’s usual case. Memory: process.memoryUsage()',
    );
    note('every 10 ms minus the level right after a full GC just before the run; peak heap includes garbage');
    note('not yet collected; "after GC" is what the run left reachable (near zero: nothing accumulates).');
    limiterNotes(list.at(-1));
    ec2Notes(list.at(-2));
  } finally {
    await stand.close();
  }
}
