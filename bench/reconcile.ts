/**
 * Section 1: what a reconcile costs in API calls, from scratch and once converged, for 10 / 100 / 1000
 * clusters. Limits are lifted so the count is not slowed by the 95/min limiter; the real quota is then
 * applied on paper to the converged figure, the one a schedule pays every tick.
 */
import { reconcileAll } from '../functions/core/reconcile/reconcile.ts';
import type { ProvisionOutcome } from '../functions/core/reconcile/types.ts';
import { startWorld, type World } from '../test/kit/world.ts';
import { type Cell, note, printTable, section, seconds, wall } from './table.ts';

const HOUR = 3_600_000;
/** The real API allows 100 requests per key per minute (API-FACTS); the client keeps 5 for humans. */
const REAL_QUOTA_PER_MINUTE = 100;
const CLIENT_LIMIT_PER_MINUTE = 95;

export const UNLIMITED = {
  requestsPerMinute: 1e6,
  simulator: { rateLimitPerMinute: 1e6 },
  ec2: { endpointLimitPerVpc: 2000 },
} as const;

interface RunCost {
  tidbRequests: number;
  challenges: number;
  simRequests: number;
  ec2Calls: number;
  wallMs: number;
  virtualMs: number;
  ready: number;
}

async function measured(world: World, run: () => Promise<ProvisionOutcome[]>): Promise<RunCost> {
  world.tidb.resetStats();
  world.ec2.resetCalls();
  world.sim.clearRequests();
  const virtualStart = world.clock.now();
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
  };
}

async function costFor(clusters: number): Promise<{ scratch: RunCost; converged: RunCost }> {
  const world = await startWorld(UNLIMITED);
  try {
    for (let i = 0; i < clusters; i++) world.addCluster({ displayName: `bench-${i}` });
    const scratch = await measured(world, () =>
      reconcileAll(world.deps, { deadline: world.clock.now() + HOUR }),
    );
    const converged = await measured(world, () => reconcileAll(world.deps));
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
    cost.ec2Calls,
    (cost.tidbRequests / clusters).toFixed(2),
    (cost.ec2Calls / clusters).toFixed(2),
    seconds(cost.virtualMs),
    `${Math.round(cost.wallMs)} ms`,
  ];
}

export async function benchReconcile(sizes: number[]): Promise<void> {
  section('1. Reconcile cost (reconcileAll; virtual clock, poll 5 s; rate limits lifted to count calls)');
  const results: Array<{ clusters: number; scratch: RunCost; converged: RunCost }> = [];
  for (const clusters of sizes) results.push({ clusters, ...(await costFor(clusters)) });
  printTable(
    [
      'clusters / run',
      'Ready',
      'TiDB req',
      'of which 401',
      'sim saw',
      'EC2 calls',
      'TiDB/cluster',
      'EC2/cluster',
      'virtual time',
      'wall time',
    ],
    results.flatMap(({ clusters, scratch, converged }) => [
      row(clusters, 'from scratch', scratch),
      row(clusters, 'converged', converged),
    ]),
  );
  note('TiDB req = HTTP requests the client sent (TidbCloudClient.stats.requests), digest challenges (401');
  note('round trips, column "of which 401") and retries included; "sim saw" is the simulator’s own count.');
  note('"from scratch" is one reconcileAll with a 1 h deadline that keeps polling every 5 s until all are');
  note('Ready (TiDB: service ACTIVE at once, ~5 min of System Checking per connection).');
  console.log('');
  note('Against the real quota (100 requests/min per API key; the client itself stops at 95/min):');
  for (const { clusters, converged } of results) {
    const share = converged.tidbRequests / REAL_QUOTA_PER_MINUTE;
    note(
      `${clusters} clusters converged: ${converged.tidbRequests} TiDB calls = ${share.toFixed(2)} of one minute's quota` +
        `, ${converged.ec2Calls} EC2 calls`,
    );
  }
  // From scratch is where the quota bites: the client's limiter would stretch the run, not fail it.
  for (const { clusters, scratch } of results) {
    const minutes = scratch.tidbRequests / CLIENT_LIMIT_PER_MINUTE;
    note(
      `${clusters} clusters from scratch: ${scratch.tidbRequests} TiDB calls = ${minutes.toFixed(1)} min at 95/min` +
        ` (vs ${seconds(scratch.virtualMs)} of simulated waiting)`,
    );
  }
}
