/**
 * Section: the fault matrix (issue 10). 20 clusters provisioned from scratch by `tidb-privatelink
 * reconcile --json` in a child process, run on a schedule until it reports every cluster Ready, under one
 * kind of fault per row. Figures come from the world afterwards (the EC2 fake's endpoints, the simulator's
 * connections and request log), not from what the CLI says about itself.
 */
import { pathToFileURL } from 'node:url';
import {
  type FaultRow,
  faultRows,
  type MatrixOptions,
  type RowResult,
  runFaultRow,
  TIDB_QUOTA_PER_MINUTE,
} from '../testing/fault-matrix/harness.ts';
import { type Cell, note, printTable, seconds, section, wall } from './table.ts';

const RATE = 0.3;
export const FAULT_MATRIX: MatrixOptions = {
  clusters: 20,
  seed: 10,
  timeFactor: 60,
  systemCheckingMs: 300_000,
  tickMs: 60_000,
  requestTimeoutMs: 30_000,
  maxVirtualMs: 3_600_000,
  maxRuns: 150,
};

const HEADER = [
  'fault kind',
  'faulted',
  'converged',
  'CLI all Ready',
  'dup endpoints',
  'dup connections',
  'busiest min',
  'time to converge',
  'vs none',
  'runs (killed)',
  'runs failed',
  'wall',
];

function injected(row: FaultRow, result: RowResult): string {
  const parts: string[] = [];
  if (row.tidb) parts.push(`${result.tidbFaulted}/${result.tidbRequests} TiDB`);
  if (row.ec2) {
    const { throttled, failed, attempts, surfaced } = result.ec2;
    parts.push(
      `${throttled + failed}/${attempts} EC2${row.ec2.sdkRetries ? ` (${surfaced} after retries)` : ''}`,
    );
  }
  const kills = Object.values(result.kills).reduce((sum, count) => sum + count, 0);
  if (row.kill) parts.push(`${kills} kills`);
  return parts.join(' + ') || '-';
}

function rowCells(row: FaultRow, result: RowResult, baselineMs: number, wallMs: number): Cell[] {
  const done = result.reportedReadyAtRun !== undefined;
  const killed = Object.values(result.kills).reduce((sum, count) => sum + count, 0);
  const failed = Object.entries(result.exitCodes)
    .filter(([code]) => code !== '0' && code !== '1')
    .reduce((sum, [, count]) => sum + count, 0);
  return [
    row.name,
    injected(row, result),
    `${result.converged}/${result.clusters}`,
    done ? `run ${result.reportedReadyAtRun}` : 'no',
    result.duplicateEndpoints,
    result.duplicateConnections,
    result.busiestMinute,
    done ? seconds(result.virtualMs) : `> ${seconds(result.virtualMs)}`,
    done ? `× ${(result.virtualMs / baselineMs).toFixed(1)}` : '-',
    `${result.runs} (${killed})`,
    failed,
    seconds(wallMs),
  ];
}

/** `name ×count, …`, largest first. */
const tally = (counts: Record<string, number>): string =>
  Object.entries(counts)
    .sort(([, a], [, b]) => b - a)
    .map(([name, count]) => `${name} ×${count}`)
    .join(', ');

/** Where a row's faults landed: a failed pass costs every cluster a tick, an Error outcome one cluster. */
function whereFaultsLanded(row: FaultRow, result: RowResult): void {
  const failed = tally(result.ec2FailuresByMethod);
  if (failed) note(`${row.name}: EC2 calls that failed in the core: ${failed}`);
  const errors = tally(result.errors);
  if (errors || result.passFailures > 0) {
    note(
      `${row.name}: runs that failed as a whole ${result.passFailures}; cluster outcomes in Error: ${errors || 0}`,
    );
  }
}

function findings(results: Array<{ row: FaultRow; result: RowResult }>): void {
  for (const { row, result } of results) {
    whereFaultsLanded(row, result);
    const blocked = Object.entries(result.blocked).map(([reason, count]) => `${reason} ×${count}`);
    if (blocked.length > 0) note(`${row.name}: printed Blocked for a transient fault: ${blocked.join(', ')}`);
    if (result.lastError) note(`${row.name}: last run without a report said "${result.lastError}"`);
    if (result.busiestMinute > TIDB_QUOTA_PER_MINUTE) {
      note(`${row.name}: ${result.busiestMinute} TiDB requests in one minute, above the key's quota`);
    }
  }
}

/**
 * The rows to run: all, or (`--row <text>`) the baseline and the rows whose name contains `text`, so one row
 * can be iterated on in a minute; the baseline stays, as "vs none" needs it.
 */
export function selectRows(rows: FaultRow[], only?: string): FaultRow[] {
  if (only === undefined) return rows;
  const wanted = rows.filter(
    (row, index) => index === 0 || row.name.toLowerCase().includes(only.toLowerCase()),
  );
  if (wanted.length === 1) {
    throw new Error(
      `No fault row matches "${only}"; the rows are: ${rows.map((row) => row.name).join('; ')}.`,
    );
  }
  return wanted;
}

export async function benchFaults(options: MatrixOptions = FAULT_MATRIX, only?: string): Promise<void> {
  const selected = selectRows(faultRows(RATE), only);
  section(
    `7. Fault matrix: ${options.clusters} clusters from scratch, ${RATE * 100} % faults per kind (seed ${options.seed})`,
  );
  const results: Array<{ row: FaultRow; result: RowResult }> = [];
  const rows: Cell[][] = [];
  let baselineMs = Number.NaN;
  for (const row of selected) {
    const { result, ms } = await wall(() => runFaultRow(row, options));
    if (Number.isNaN(baselineMs)) baselineMs = result.virtualMs;
    results.push({ row, result });
    rows.push(rowCells(row, result, baselineMs, ms));
  }
  printTable(HEADER, rows, [1, 3]);
  const minutes = (options.systemCheckingMs ?? 300_000) / 60_000;
  note(
    `Time scale: ×${options.timeFactor} (1 real s = ${options.timeFactor} virtual s), shared by the simulator and` +
      ' every CLI run; times above are virtual.',
  );
  note(
    `Virtual waits: System Checking ${minutes} min, schedule tick ${(options.tickMs ?? 60_000) / 1000} s after a run` +
      ` that did not finish, client timeout ${(options.requestTimeoutMs ?? 30_000) / 1000} s, pace 95/min;` +
      ` a killed run restarts at once. Bound: ${(options.maxVirtualMs ?? 0) / 60_000} min or ${options.maxRuns} runs.`,
  );
  note(
    'Each run is a new process (bundled child, ~0.3 s real to start = ~20 virtual s at ×60): it weighs on',
  );
  note('the SIGKILL rows, where every side effect costs a restart.');
  note('converged = endpoint available + private DNS on + TiDB connection ACTIVE, read from the world.');
  note(
    `CLI all Ready = the run whose reconcile --json first said so. busiest min = TiDB requests the simulator saw`,
  );
  note(
    `(401 challenges, faults and 429s included) in its busiest fixed 60 s window; the key's quota is ${TIDB_QUOTA_PER_MINUTE}.`,
  );
  note('runs failed = runs that exited 2 (a cluster in Error, or the pass could not run at all) or hung.');
  note(
    'TiDB faults come from the simulator (seeded draw per request); timeouts hang past the client timeout and',
  );
  note(
    'are then carried out. EC2 faults hit a share of API attempts, each retried as createAwsClients configures',
  );
  note('the SDK (5 attempts, full-jitter backoff); "(n after retries)" = faults that reached the core. The');
  note(
    '"SDK retries bypassed" row lets every EC2 fault reach the core. Half the InternalErrors on a write come',
  );
  note('after the write (the endpoint exists, the answer is lost).');
  note('Times vary between runs: which request draws which fault depends on arrival order, and process');
  note('start-up (real time, ×60) is part of them; the rows with SIGKILL or unretried faults vary most.');
  note(
    '"all at once": TiDB kinds 6 % each (30 % in all), EC2 15 % throttling + 15 % InternalError, SIGKILL.',
  );
  findings(results);
}

/** `--row <text>` from the command line, if given. */
function rowFlag(argv: string[]): string | undefined {
  const at = argv.indexOf('--row');
  if (at === -1) return undefined;
  const value = argv[at + 1];
  if (!value || value.startsWith('--'))
    throw new Error('--row needs part of a row name, e.g. --row bypassed.');
  return value;
}

// `npx tsx bench/faults.ts [--row <text>]`: this section alone, or the baseline and the matching rows.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  let only: string | undefined;
  try {
    only = rowFlag(process.argv.slice(2));
    selectRows(faultRows(RATE), only);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  }
  await benchFaults(FAULT_MATRIX, only);
}
