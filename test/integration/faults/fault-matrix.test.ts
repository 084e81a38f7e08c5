/**
 * The fault matrix at a small size (the figures at 20 clusters are `npm run bench`'s): 4 clusters from
 * scratch, the real CLI in a child process on a ×60 clock, one fault kind per test. Every row must end with
 * every cluster converged, nothing duplicated and the TiDB key never above its quota; each row also proves
 * its faults were really injected.
 */
import { describe, expect, it } from 'vitest';
import {
  type FaultRow,
  faultRows,
  type MatrixOptions,
  type RowResult,
  runFaultRow,
  type SideEffect,
  TIDB_QUOTA_PER_MINUTE,
} from '../../../testing/fault-matrix/harness.ts';

const SMALL: MatrixOptions = {
  clusters: 4,
  seed: 10,
  timeFactor: 60,
  // Scaled-down waits: one minute of System Checking and a 30 s schedule keep each row to a few seconds.
  systemCheckingMs: 60_000,
  tickMs: 30_000,
  maxVirtualMs: 3_600_000,
  maxRuns: 60,
};
const ROW_TIMEOUT_MS = 120_000;
const SIDE_EFFECTS: SideEffect[] = ['endpoint created', 'registered', 'private DNS enabled'];

/** What every row must show: no duplicate, the key within its quota. */
function expectSafe(result: RowResult): void {
  expect(result.duplicateEndpoints).toBe(0);
  expect(result.duplicateConnections).toBe(0);
  expect(result.busiestMinute).toBeLessThanOrEqual(TIDB_QUOTA_PER_MINUTE);
}

function expectInjected(row: FaultRow, result: RowResult): void {
  if (row.tidb) expect(result.tidbFaulted).toBeGreaterThan(0);
  if (row.ec2) expect(result.ec2.throttled + result.ec2.failed).toBeGreaterThan(0);
  // A killed run is one that did a side effect of that kind and never heard back.
  if (row.kill) for (const effect of SIDE_EFFECTS) expect(result.kills[effect]).toBeGreaterThan(0);
}

const rows = faultRows(0.3);

describe('fault matrix, 4 clusters from scratch', () => {
  // Every row, the one whose EC2 faults all reach the core included: the reads and changes a pass or a
  // cluster depends on are retried inside the pass (retry-read.ts), so no row is left to luck.
  it.each(rows.map((row) => [row.name, row] as const))(
    '%s: all converge and the CLI reports them Ready, with no duplicate and the key within its quota',
    async (_, row) => {
      const result = await runFaultRow(row, SMALL);
      expectInjected(row, result);
      expect(result.converged).toBe(SMALL.clusters);
      expect(result.reportedReadyAtRun).toBeDefined();
      expectSafe(result);
    },
    ROW_TIMEOUT_MS,
  );
});
