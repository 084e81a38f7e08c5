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
import { WINDOW_MS } from '../functions/core/shared-budget.ts';
import {
  busiestMinute,
  MINUTE,
  STACK_START,
  type StackCounts,
  type StackOptions,
  startStackWorld,
  stateTableOps,
  TICK_MS,
  wireStack,
} from '../testing/stack-sim.ts';
import { startVpcProcess } from '../testing/vpc-process.ts';
import { ENIS_PER_ENDPOINT, loopbackAddresses } from './stand-in.ts';
import { type Cell, note, percentile, printTable, section } from './table.ts';

const QUOTA = 95;
const SERVICE_WAIT_MS = MINUTE;
const CHECKING_WAIT_MS = MINUTE;
const WAITS_MS = SERVICE_WAIT_MS + CHECKING_WAIT_MS;

/** What one size's run is judged by: the sim's counts and what is derived from them at the end. */
interface Figures extends StackCounts {
  clusters: number;
  readyMinusWaits: number[];
  /** State-table operations (registry and health records, quota ring, lease, idempotency records). */
  table: { reads: number; writes: number };
  virtualMs: number;
  /** The shared budget's conditional writes: takes recorded, and refused ones (a lost race or a stale view). */
  budgetWrites: { taken: number; refused: number };
}

async function runStack(size: number): Promise<Figures> {
  const options = {
    quota: QUOTA,
    // The gateway counts every sliding 60 s, the stricter of the two ways it might: 0 × 429 here holds
    // for per-minute counting too, since every clock minute is one of those windows.
    simulator: {
      serviceReadyMs: SERVICE_WAIT_MS,
      connectionAcceptMs: CHECKING_WAIT_MS,
      rateLimitWindow: 'sliding',
    },
    ec2: { endpointLimitPerVpc: 2000 },
    deployedReconcile: true,
    deployedProbe: true,
  } satisfies StackOptions;
  const { clock, world } = await startStackWorld(options);
  // Probes go to the VPC stand-in on loopback for real, in a process of its own (testing/vpc-process.ts).
  const vpc = await startVpcProcess(world.ec2, {
    sourceCidr: world.ec2.world.cidrBlock,
    addresses: loopbackAddresses(size * ENIS_PER_ENDPOINT),
  });
  vpc.admit(world.ec2.world.securityGroupId);
  const sim = await wireStack(clock, world, vpc, options);
  const clusters = Array.from({ length: size }, () => world.addCluster({ port: vpc.port }));
  for (const cluster of clusters) vpc.serve(cluster.serviceDnsName, cluster.serviceName);
  sim.schedule({ everyMs: 3 * MINUTE, clusterId: () => clusters[0]?.clusterId });
  // Until every cluster is Ready and one scheduled probe has seen them all, at most an hour.
  const { counts } = sim;
  let settledAt: number | undefined;
  await clock.runUntil(STACK_START + 60 * MINUTE, () => {
    if (counts.ready.size < size) return false;
    settledAt ??= clock.now();
    return clock.now() >= settledAt + TICK_MS;
  });
  const readyMinusWaits = clusters.map((cluster) => {
    const at = counts.ready.get(cluster.clusterId);
    return at === undefined ? Number.POSITIVE_INFINITY : at - STACK_START - WAITS_MS;
  });
  // 429s the simulator answered to requests the clients never saw answered (none expected): counted too.
  const untracked =
    (world.sim.stats().byStatus['429'] ?? 0) - counts.requests.filter((r) => r.status === 429).length;
  for (let i = 0; i < untracked; i++)
    counts.requests.push({ at: 0, operation: 'untracked', status: 429, progress: false });
  await vpc.close();
  await world.close();
  return {
    ...counts,
    clusters: size,
    readyMinusWaits,
    table: stateTableOps(sim),
    virtualMs: clock.now() - STACK_START,
    budgetWrites: { taken: sim.counter.taken.length, refused: sim.counter.refused },
  };
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
    const overran = f.overran.map(({ fn, ms }) => `${fn} ran ${minutes(ms)}`);
    for (const error of [...f.errors, ...overran].slice(0, 3)) note(`error (${f.clusters}): ${error}`);
    const failing = [...f.falseFailing].map(([id, count]) => `${id} × ${count}`).join(', ');
    if (failing) note(`false health changes (${f.clusters}) failed: ${failing}`);
  }
}
