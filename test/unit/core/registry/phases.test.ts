/**
 * The registry after a reconcile run (functions/core/registry/phases.ts), on the in-memory table: only what
 * changed is written, an orphan's row is marked once however many runs see it, and the row of a cluster
 * deleted before it ever had an endpoint expires too, on proof from TiDB Cloud only.
 */
import { describe, expect, it } from 'vitest';
import { TidbCloudNotFoundError, TidbCloudUnavailableError } from '../../../../functions/core/errors.ts';
import type { Cluster, ClusterState } from '../../../../functions/core/model.ts';
import type { TidbCloudPort } from '../../../../functions/core/ports.ts';
import type { Phase, ProvisionOutcome } from '../../../../functions/core/reconcile/types.ts';
import {
  DELETED_ROW_RETAIN_S,
  expireGoneRows,
  recordPhases,
} from '../../../../functions/core/registry/phases.ts';
import { MemoryClusterRegistry } from '../../../../testing/registry-fake.ts';

const NOW = Date.parse('2026-11-26T12:00:00.000Z');
const MINUTE = 60_000;

function outcome(clusterId: string, phase: Phase): ProvisionOutcome {
  const base = { clusterId, tidbNodeGroupId: 'g', vpcEndpointId: null, actions: [] };
  switch (phase) {
    case 'Orphaned':
      return { ...base, phase, vpcEndpointId: 'vpce-1', message: 'gone', actions: [] };
    case 'Progressing':
      return { ...base, phase, waitingFor: 'the service' };
    default:
      return { ...base, phase: 'Ready' };
  }
}

/** One run's bookkeeping as the reconcile handler does it: read the rows once, then record. */
async function run(table: MemoryClusterRegistry, outcomes: ProvisionOutcome[], at: number) {
  const rows = new Map((await table.list()).map((row) => [row.clusterId, row]));
  return recordPhases(table, rows, outcomes, at, {});
}

/** The fields the registry's bookkeeping looks at. */
const clusterOf = (clusterId: string, state: ClusterState): Cluster =>
  ({ clusterId, state, nodeGroups: [] }) as unknown as Cluster;

/** A TiDB Cloud port that answers GET cluster from `states` (absent: 404) and counts the GETs. */
function tidbOf(states: Record<string, ClusterState | 'unavailable'>): TidbCloudPort & { gets: string[] } {
  const gets: string[] = [];
  const unexpected = () => Promise.reject(new Error('not expected in this test'));
  return {
    gets,
    getCluster: async (clusterId) => {
      gets.push(clusterId);
      const state = states[clusterId];
      if (state === 'unavailable') throw new TidbCloudUnavailableError('503');
      if (!state) throw new TidbCloudNotFoundError(`no cluster ${clusterId}`);
      return clusterOf(clusterId, state);
    },
    listClusters: unexpected,
    listNodeGroups: unexpected,
    getPrivateLinkService: unexpected,
    listConnections: unexpected,
    createConnection: unexpected,
    getConnection: unexpected,
    deleteConnection: unexpected,
  };
}

describe('recordPhases', () => {
  it('writes a phase only when the row shows another one', async () => {
    const table = new MemoryClusterRegistry();
    await run(table, [outcome('a', 'Progressing'), outcome('b', 'Ready')], NOW);
    expect(table.writes).toBe(2);
    await run(table, [outcome('a', 'Progressing'), outcome('b', 'Ready')], NOW + MINUTE);
    expect(table.writes).toBe(2);
    await run(table, [outcome('a', 'Ready'), outcome('b', 'Ready')], NOW + 2 * MINUTE);
    expect(table.writes).toBe(3);
    expect(table.rows.get('a')).toMatchObject({
      phase: 'Ready',
      phaseSince: new Date(NOW + 2 * MINUTE).toISOString(),
    });
  });

  it('answers a cluster the registry knew that turned Ready, once', async () => {
    const table = new MemoryClusterRegistry();
    expect(await run(table, [outcome('a', 'Progressing')], NOW)).toEqual([]);
    expect((await run(table, [outcome('a', 'Ready')], NOW + MINUTE)).map((o) => o.clusterId)).toEqual(['a']);
    expect(await run(table, [outcome('a', 'Ready')], NOW + 2 * MINUTE)).toEqual([]);
  });

  it("marks an orphan's row once: the grace's later runs write nothing", async () => {
    const table = new MemoryClusterRegistry();
    await run(table, [outcome('a', 'Ready')], NOW);
    const before = table.writes;
    await run(table, [outcome('a', 'Orphaned')], NOW + MINUTE);
    // The phase and the expiry: two writes.
    expect(table.writes - before).toBe(2);
    const expiresAt = Math.floor((NOW + MINUTE) / 1000) + DELETED_ROW_RETAIN_S;
    expect(table.rows.get('a')).toMatchObject({ phase: 'Orphaned', expiresAt });
    for (let tick = 2; tick < 62; tick++) await run(table, [outcome('a', 'Orphaned')], NOW + tick * MINUTE);
    expect(table.writes - before).toBe(2);
    // The expiry stays the first one: it does not move with every run.
    expect(table.rows.get('a')?.expiresAt).toBe(expiresAt);
  });
});

describe('expireGoneRows', () => {
  async function tableWith(ids: string[]) {
    const table = new MemoryClusterRegistry();
    await run(
      table,
      ids.map((id) => outcome(id, 'Progressing')),
      NOW,
    );
    return table;
  }
  const rowsOf = async (table: MemoryClusterRegistry) =>
    new Map((await table.list()).map((row) => [row.clusterId, row]));
  const listing = (states: Record<string, ClusterState>) =>
    new Map(Object.entries(states).map(([clusterId, state]) => [clusterId, clusterOf(clusterId, state)]));
  const nothing = { listed: new Map<string, Cluster>(), reconciled: new Set<string>() };

  it('gives an expiry to the row of a cluster deleted before it had an endpoint, on a 404 or DELETED', async () => {
    const table = await tableWith(['creating', 'deleted', 'gone', 'live', 'reconciled']);
    const tidb = tidbOf({ creating: 'CREATING', deleted: 'DELETED' });
    const run = { listed: listing({ live: 'ACTIVE' }), reconciled: new Set(['reconciled']) };
    const marked = await expireGoneRows({ tidb, registry: table }, await rowsOf(table), run, NOW, {});
    expect(marked.sort()).toEqual(['deleted', 'gone']);
    // Only the clusters neither listed nor reconciled are asked about; one that answers alive keeps its row.
    expect(tidb.gets.sort()).toEqual(['creating', 'deleted', 'gone']);
    expect(table.rows.get('gone')).toMatchObject({
      expiresAt: Math.floor(NOW / 1000) + DELETED_ROW_RETAIN_S,
    });
    for (const id of ['creating', 'live', 'reconciled'])
      expect(table.rows.get(id)?.expiresAt).toBeUndefined();
  });

  it('takes a listing that shows the cluster DELETING as proof, without a GET', async () => {
    const table = await tableWith(['deleting', 'paused']);
    const tidb = tidbOf({});
    const run = {
      listed: listing({ deleting: 'DELETING', paused: 'PAUSED' }),
      reconciled: new Set<string>(),
    };
    expect(await expireGoneRows({ tidb, registry: table }, await rowsOf(table), run, NOW, {})).toEqual([
      'deleting',
    ]);
    expect(tidb.gets).toEqual([]);
  });

  it('asks once per gone cluster: a row already expiring is no candidate', async () => {
    const table = await tableWith(['gone']);
    const tidb = tidbOf({});
    await expireGoneRows({ tidb, registry: table }, await rowsOf(table), nothing, NOW, {});
    const writes = table.writes;
    await expireGoneRows({ tidb, registry: table }, await rowsOf(table), nothing, NOW + MINUTE, {});
    expect(tidb.gets).toEqual(['gone']);
    expect(table.writes).toBe(writes);
  });

  it('marks nothing on a failed read: absence from the listing is no proof', async () => {
    const table = await tableWith(['unsure']);
    const tidb = tidbOf({ unsure: 'unavailable' });
    expect(await expireGoneRows({ tidb, registry: table }, await rowsOf(table), nothing, NOW, {})).toEqual(
      [],
    );
    expect(table.rows.get('unsure')?.expiresAt).toBeUndefined();
  });
});
