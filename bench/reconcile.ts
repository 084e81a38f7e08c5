/**
 * Section 1: what a reconcile costs in API calls, from scratch and once converged, for 10 / 100 / 1000
 * clusters. Limits are lifted so the count is not slowed by the 95/min limiter; the real quota is then
 * applied on paper to the converged figure, the one a schedule pays every tick.
 */

import type { Clock } from '../functions/core/ports.ts';
import { reconcileAll } from '../functions/core/reconcile/reconcile.ts';
import type { ProvisionOutcome } from '../functions/core/reconcile/types.ts';
import { startWorld, VirtualClock, type World } from '../testing/world.ts';
import { type Cell, note, printTable, seconds, section, wall } from './table.ts';

const HOUR = 3_600_000;
/** The real API allows 100 requests per key per minute (API-FACTS); the client keeps 5 for humans. */
const REAL_QUOTA_PER_MINUTE = 100;
const CLIENT_LIMIT_PER_MINUTE = 95;

export const UNLIMITED = {
  requestsPerMinute: 1e6,
  simulator: { rateLimitPerMinute: 1e6 },
  ec2: { endpointLimitPerVpc: 2000 },
} as const;

/**
 * A virtual clock that notes the request count every time someone sleeps. Virtual time only moves in
 * sleeps, so these marks give exactly how many requests fell in any minute of simulated time.
 */
class MarkingClock implements Clock {
  readonly marks: Array<{ at: number; requests: number }> = [];
  private readonly inner = new VirtualClock();
  count: () => number = () => 0;

  now = (): number => this.inner.now();

  sleep = (ms: number, signal?: AbortSignal): Promise<void> => {
    this.mark();
    return this.inner.sleep(ms, signal);
  };

  mark(): void {
    this.marks.push({ at: this.inner.now(), requests: this.count() });
  }

  /** Most requests sent within any 60 s of virtual time, over the marks taken since the last reset. */
  peakMinute(): number {
    this.mark();
    const marks = this.marks;
    // Requests made at an instant are counted by the mark taken when that instant's work sleeps.
    const before = (t: number) => marks.filter((mark) => mark.at < t).at(-1)?.requests ?? 0;
    const upTo = (t: number) => marks.filter((mark) => mark.at <= t).at(-1)?.requests ?? 0;
    return Math.max(0, ...marks.map((mark) => upTo(mark.at + 59_999) - before(mark.at)));
  }
}

interface RunCost {
  tidbRequests: number;
  challenges: number;
  simRequests: number;
  ec2Calls: number;
  wallMs: number;
  virtualMs: number;
  ready: number;
  peakMinute: number;
}

async function measured(
  world: World,
  clock: MarkingClock,
  run: () => Promise<ProvisionOutcome[]>,
): Promise<RunCost> {
  world.tidb.resetStats();
  world.ec2.resetCalls();
  world.sim.clearRequests();
  const virtualStart = world.clock.now();
  clock.marks.length = 0;
  clock.mark();
  const { result, ms } = await wall(run);
  const stats = world.tidb.stats;
  return {
    tidbRequests: stats.requests,
    challenges: stats.challenges,
    simRequests: world.sim.stats().total,
    ec2Calls: world.ec2.totalCalls,
    wallMs: ms,
    virtualMs: world.clock.now() - virtualStart,
    ready: result.filter((outcome) => outcome.phase === 'Ready').length,
    peakMinute: clock.peakMinute(),
  };
}

async function costFor(clusters: number): Promise<{ scratch: RunCost; converged: RunCost }> {
  const clock = new MarkingClock();
  const world = await startWorld({ ...UNLIMITED, clock });
  clock.count = () => world.tidb.stats.requests;
  try {
    for (let i = 0; i < clusters; i++) world.addCluster({ displayName: `bench-${i}` });
    const scratch = await measured(world, clock, () =>
      reconcileAll(world.deps, { deadline: world.clock.now() + HOUR }),
    );
    const converged = await measured(world, clock, () => reconcileAll(world.deps));
    return { scratch, converged };
  } finally {
    await world.close();
  }
}

function row(clusters: number, label: string, cost: RunCost): Cell[] {
  return [
    `${clusters} ${label}`,
    `${cost.ready}/${clusters}`,
    cost.tidbRequests,
    cost.challenges,
    cost.simRequests,
    cost.peakMinute,
    cost.ec2Calls,
    (cost.tidbRequests / clusters).toFixed(2),
    (cost.ec2Calls / clusters).toFixed(2),
    seconds(cost.virtualMs),
    `${Math.round(cost.wallMs)} ms`,
  ];
}

type Result = { clusters: number; scratch: RunCost; converged: RunCost };

const HEADER = [
  'clusters / run',
  'Ready',
  'TiDB req',
  'of which 401',
  'sim saw',
  'TiDB peak/min',
  'EC2 calls',
  'TiDB/cluster',
  'EC2/cluster',
  'virtual time',
  'wall time',
];

/** The converged figure is what every scheduled tick pays; from scratch is where the quota bites. */
function quotaNotes(results: Result[]): void {
  note('Against the real quota (100 requests/min per API key; the client itself stops at 95/min):');
  for (const { clusters, converged } of results) {
    const share = converged.tidbRequests / REAL_QUOTA_PER_MINUTE;
    note(
      `${clusters} clusters converged: ${converged.tidbRequests} TiDB calls = ${share.toFixed(2)} of one minute's quota` +
        ` (+ ${converged.ec2Calls} EC2 call${converged.ec2Calls === 1 ? '' : 's'})`,
    );
  }
  // Over the limit, the client's limiter stretches the run rather than failing it.
  for (const { clusters, scratch } of results) {
    const stretch = (scratch.peakMinute / CLIENT_LIMIT_PER_MINUTE).toFixed(1);
    const verdict =
      scratch.peakMinute > CLIENT_LIMIT_PER_MINUTE
        ? `over 95/min: the limiter stretches that minute to ≥ ${stretch} min`
        : 'within 95/min: the limiter never waits';
    note(
      `${clusters} clusters from scratch: busiest simulated minute ${scratch.peakMinute} TiDB calls, ${verdict}`,
    );
  }
}

export async function benchReconcile(sizes: number[]): Promise<void> {
  section('1. Reconcile cost (reconcileAll; virtual clock, poll 5 s; rate limits lifted to count calls)');
  const results: Result[] = [];
  for (const clusters of sizes) results.push({ clusters, ...(await costFor(clusters)) });
  printTable(
    HEADER,
    results.flatMap(({ clusters, scratch, converged }) => [
      row(clusters, 'from scratch', scratch),
      row(clusters, 'converged', converged),
    ]),
  );
  note('TiDB req = HTTP requests the client sent (TidbCloudClient.stats.requests), digest challenges (401');
  note('round trips, column "of which 401") and retries included; "sim saw" is the simulator’s own count.');
  note(
    'TiDB peak/min = most TiDB requests in any 60 s of simulated time. "from scratch" is one reconcileAll',
  );
  note('with a 1 h deadline, polling every 5 s until all are Ready (service ACTIVE at once, then ~5 min of');
  note('System Checking per connection); "converged" is the next reconcileAll, with nothing left to do.');
  console.log('');
  quotaNotes(results);
}
