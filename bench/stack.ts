/**
 * Section 8: the whole stack as deployed (testing/stack-sim.ts: the handlers' own code on a discrete-event
 * clock, every AWS call under the function's packaged role), N clusters created at the same moment, a
 * troubleshoot request every few minutes. All functions share the simulator's one API key, with its real
 * 100/minute limit counted in every sliding 60 s. TiDB's waits are scaled down (service 1 min, System
 * Checking 1 min); EC2 runs without throttling. Probes go to the VPC stand-in on loopback for real.
 */
import { WINDOW_MS } from '../functions/core/shared-budget.ts';
import {
  busiestMinute,
  MINUTE,
  STACK_START,
  type StackCounts,
  startStackWorld,
  TICK_MS,
  wireStack,
} from '../testing/stack-sim.ts';
import { startVpcStandIn } from '../testing/vpc-stand-in.ts';
import { ENIS_PER_ENDPOINT, loopbackAddresses } from './stand-in.ts';
import { type Cell, note, percentile, printTable, section } from './table.ts';

const QUOTA = 95;
const SERVICE_WAIT_MS = MINUTE;
const CHECKING_WAIT_MS = MINUTE;
const WAITS_MS = SERVICE_WAIT_MS + CHECKING_WAIT_MS;

interface Figures extends StackCounts {
  readyMinusWaits: number[];
  clusters: number;
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
      rateLimitWindow: 'sliding' as const,
    },
    ec2: { endpointLimitPerVpc: 2000 },
  };
  const { clock, world } = await startStackWorld(options);
  const vpc = await startVpcStandIn(world.ec2, {
    sourceCidr: world.ec2.world.cidrBlock,
    addresses: loopbackAddresses(size * ENIS_PER_ENDPOINT),
  });
  vpc.admit(world.ec2.world.securityGroupId);
  const stack = await wireStack(clock, world, vpc, options);
  const ready = new Map<string, number>();
  world.events.onEvent((event) => {
    const { clusterId } = event.detail;
    if (event.detailType === 'PrivateLink Endpoint Ready' && !ready.has(clusterId))
      ready.set(clusterId, clock.now());
  });
  const clusters = Array.from({ length: size }, () => world.addCluster({ port: vpc.port }));
  for (const cluster of clusters) vpc.serve(cluster.serviceDnsName, cluster.serviceName);
  stack.schedule({ everyMs: 3 * MINUTE, clusterId: () => clusters[0]?.clusterId });
  // Until every cluster is Ready and one scheduled probe has seen them all, at most an hour.
  let settledAt: number | undefined;
  await clock.runUntil(STACK_START + 60 * MINUTE, () => {
    if (ready.size < size) return false;
    settledAt ??= clock.now();
    return clock.now() >= settledAt + TICK_MS;
  });
  const figures: Figures = {
    ...stack.counts,
    clusters: size,
    virtualMs: clock.now() - STACK_START,
    budgetWrites: { taken: stack.counter.taken.length, refused: stack.counter.refused },
    readyMinusWaits: clusters.map((cluster) => {
      const at = ready.get(cluster.clusterId);
      return at === undefined ? Number.POSITIVE_INFINITY : at - STACK_START - WAITS_MS;
    }),
  };
  const untracked =
    (world.sim.stats().byStatus['429'] ?? 0) - figures.requests.filter((r) => r.status === 429).length;
  for (let i = 0; i < untracked; i++)
    figures.requests.push({ at: 0, operation: 'untracked', status: 429, progress: false });
  await vpc.close();
  await world.close();
  return figures;
}

const minutes = (ms: number) => (Number.isFinite(ms) ? `${(ms / MINUTE).toFixed(1)} min` : 'never');

export async function benchStack(sizes: number[]): Promise<void> {
  section('8. The whole stack as deployed: N clusters created at the same moment');
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
    (f) => {
      const counts = [...f.detected.values()];
      return counts.length === f.clusters
        ? `${Math.min(...counts)}–${Math.max(...counts)}`
        : `${counts.length} of ${f.clusters} clusters`;
    },
    'exactly 1',
  );
  for (const name of ['reconcile', 'provision', 'probe', 'troubleshoot', 'dataPlane'] as const) {
    row(`Lambda invocations: ${name}`, (f) => f.invocations[name], '');
  }
  row('reconcile ticks refused (one at a time)', (f) => f.throttled, '');
  row(
    'data-plane invocations per probe run (largest run; any over 1 per 50)',
    (f) => {
      const largest = [...f.tripsPerProbeRun].sort((a, b) => b.endpoints - a.endpoints)[0];
      const over = f.tripsPerProbeRun.filter((run) => run.trips > Math.ceil(run.endpoints / 50)).length;
      return largest ? `${largest.trips} for ${largest.endpoints}; ${over} over` : 'none';
    },
    '1 per ≤ 50 endpoints',
  );
  row('false health changes', (f) => f.falseFlips, '0');
  row('function errors', (f) => f.errors.length, '0');
  row('virtual time simulated', (f) => minutes(f.virtualMs), '');
  printTable(['figure', ...sizes.map((size) => `${size} clusters`), 'goal'], columns, [sizes.length + 1]);
  for (const f of results) for (const error of f.errors.slice(0, 3)) note(`error (${f.clusters}): ${error}`);
}
