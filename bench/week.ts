/**
 * Section 11: a simulated week of churn (testing/week/): N clusters created, deleted, paused and resumed,
 * through maintenance states, given node groups, under 5 % faults on both APIs and crashes after side
 * effects, with every handler on its schedule on the discrete clock. Prints the verdict and the month's bill
 * computed from the counts. `npx tsx bench/week.ts 100` runs one size alone.
 */
import { STACK_START } from '../testing/stack-sim.ts';
import { WEEK_MS } from '../testing/week/plan.ts';
import { closeWeek, runWeek, WEEK_RUN } from '../testing/week/run.ts';
import { BILL_ASSUMPTIONS, judgeWeek, LIST_PRICES, type WeekVerdict } from '../testing/week/verdict.ts';
import { type Cell, note, percentile, printTable, section } from './table.ts';

const minutes = (ms: number) => (Number.isFinite(ms) ? `${(ms / 60_000).toFixed(1)} min` : 'never');
const usd = (x: number) =>
  `$${x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

interface Run {
  verdict: WeekVerdict;
  addedGroups: number;
  realS: number;
  samples: { registryRows: number[]; healthRows: number[]; idempotency: number[]; maxTags: number };
}

async function weekOf(clusters: number): Promise<Run> {
  // A long run's progress on stderr, so a log shows how far it is (the table goes to stdout at the end).
  const progress = (day: number, realMs: number) =>
    process.stderr.write(`week of ${clusters} clusters: day ${day} after ${(realMs / 1000).toFixed(0)} s\n`);
  const record = await runWeek({ clusters, ...WEEK_RUN, progress });
  try {
    const verdict = await judgeWeek(record);
    const last = (pick: (s: (typeof record.samples)[number]) => number) => {
      const days = [1, 3, 5, 7].map((d) =>
        record.samples.find((s) => s.at >= STACK_START + (d * WEEK_MS) / 7 - 3_600_000),
      );
      return days.map((s) => (s ? pick(s) : Number.NaN));
    };
    return {
      verdict,
      addedGroups: record.addedGroups,
      realS: record.realMs / 1000,
      samples: {
        registryRows: last((s) => s.registryRows),
        healthRows: last((s) => s.healthRows),
        idempotency: last((s) => s.idempotencyRecords),
        maxTags: Math.max(...record.samples.map((s) => s.maxTags)),
      },
    };
  } finally {
    await closeWeek(record);
  }
}

function rows(runs: Run[]): Cell[][] {
  const out: Cell[][] = [];
  const row = (label: string, cell: (r: Run) => Cell, goal = '') =>
    out.push([label, ...runs.map(cell), goal]);
  row('cluster-days (live clusters × days)', (r) => r.verdict.clusterDays.toFixed(0));
  row(
    'node groups of live clusters / not converged at the end',
    (r) => `${r.verdict.liveGroups} / ${r.verdict.notConverged.length}`,
    '— / 0',
  );
  row(
    'Ready minus TiDB waits, p50 / max',
    (r) => `${minutes(percentile(r.verdict.readyLagMs, 50))} / ${minutes(Math.max(...r.verdict.readyLagMs))}`,
  );
  row('  Ready later than one pass (5 min) after the waits', (r) => r.verdict.laterThanOnePass.length, '0');
  row('  Ready, but no Endpoint Ready event was sent', (r) => r.verdict.readyEventMissing.length, '0');
  row('non-default node groups added (the default group is served)', (r) => r.addedGroups);
  row(
    'deleted clusters / their endpoints',
    (r) => `${r.verdict.deletedClusters} / ${r.verdict.orphanEndpoints}`,
  );
  row(
    '  never marked / due but not deleted / deleted early',
    (r) =>
      `${r.verdict.unmarked.length} / ${r.verdict.dueNotDeleted.length} / ${r.verdict.deletedEarly.length}`,
    '0 / 0 / 0',
  );
  row('  deletion after the grace, worst', (r) => minutes(r.verdict.maxDeletionDelayMs), '≤ 1 pass');
  row("live clusters' endpoints marked orphaned", (r) => r.verdict.falseOrphans.length, '0');
  row(
    'duplicate endpoints / connections (worst hour)',
    (r) => `${r.verdict.maxDuplicateEndpoints} / ${r.verdict.maxDuplicateConnections}`,
    '0 / 0',
  );
  row(
    'registry: live clusters / their rows / missing / stale / stale, deleted while CREATING / expiring',
    (r) => {
      const g = r.verdict.registry;
      return `${g.liveClusters} / ${g.liveRows} / ${g.missingRows} / ${g.staleRows} / ${g.staleRowsNeverActive} / ${g.expiringRows}`;
    },
    'n / n / 0 / 0 / 0 / —',
  );
  row('state-table rows, day 1 / 3 / 5 / 7', (r) => r.samples.registryRows.join(' / '));
  row('health rows, day 1 / 3 / 5 / 7', (r) => r.samples.healthRows.join(' / '));
  row('idempotency records (in memory: no TTL applied), day 1 / 3 / 5 / 7', (r) =>
    r.samples.idempotency.join(' / '),
  );
  row('tags on the most tagged endpoint', (r) => r.samples.maxTags);
  row('TiDB requests, busiest sliding 60 s', (r) => r.verdict.busiestSliding60s, '≤ 100');
  row('TiDB requests per cluster-day', (r) => r.verdict.requestsPerClusterDay.toFixed(1));
  row('function errors (faults and crashes included)', (r) => r.verdict.errors);
  row('month: endpoint AZ-hours', (r) => Math.round(r.verdict.bill.endpointAzHours));
  row(
    'month: Lambda invocations / GB-s',
    (r) => `${Math.round(r.verdict.bill.lambdaInvocations)} / ${Math.round(r.verdict.bill.lambdaGbSeconds)}`,
  );
  row(
    'month: DynamoDB writes / reads',
    (r) => `${Math.round(r.verdict.bill.dynamoWrites)} / ${Math.round(r.verdict.bill.dynamoReads)}`,
  );
  row('month: per-cluster metric-months', (r) => r.verdict.bill.metricMonths.toFixed(0));
  for (const item of ['endpoints', 'lambda', 'dynamodb', 'metrics', 'fixed', 'total'] as const) {
    row(`month's bill: ${item}`, (r) => usd(r.verdict.bill.usd[item]));
  }
  row('real time', (r) => `${r.realS.toFixed(0)} s`);
  return out;
}

export async function benchWeek(sizes: number[]): Promise<void> {
  section('11. A simulated week of churn');
  note(
    `Seed ${WEEK_RUN.seed}; ${WEEK_RUN.faultRate * 100} % faults on TiDB (500s, dropped connections) and EC2 (throttling, InternalError, SDK retries); crashes after side effects; PRIVATELINK_DELETE_ORPHANS_AFTER_H=${WEEK_RUN.deleteOrphansAfterH}; data plane in memory.`,
  );
  const runs: Run[] = [];
  for (const size of sizes) runs.push(await weekOf(size));
  printTable(['figure', ...sizes.map((n) => `${n} clusters`), 'goal'], rows(runs), [sizes.length + 1]);
  note(`Prices: endpoint $0.01 per AZ-hour (functions/core/pricing.ts); ${JSON.stringify(LIST_PRICES)}.`);
  note(`Assumed, not counted: ${JSON.stringify(BILL_ASSUMPTIONS)}.`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = (process.argv[2] ?? '100').split(',').map(Number);
  await benchWeek(sizes);
}
