/**
 * The week's verdict (issue 16, goal 4): what an operator of a large fleet expects after a week of churn,
 * judged from the world (EC2 fake, simulator, state table) and the events, never from the code's own
 * reports; and the month's AWS bill computed from what was counted.
 */
import { HOURS_PER_MONTH, PRICES } from '../../functions/core/pricing.ts';
import { CONTRACT_TAGS, carriesManagedByTag } from '../fault-matrix/judge.ts';
import { busiestMinute, STACK_START, TICK_MS } from '../stack-sim.ts';
import { WEEK_MS } from './plan.ts';
import type { GroupLife, WeekRecord } from './run.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NODE_GROUP_TAG = 'tidb-privatelink:node-group-id';
/** A week's counts times this are a month's (AWS's 730-hour month). */
const MONTH_PER_WEEK = HOURS_PER_MONTH / 168;

/**
 * us-east-1 list prices other than the endpoint's (functions/core/pricing.ts), as docs/operations.md
 * ("What it costs per month") quotes them, dated there.
 */
export const LIST_PRICES = {
  lambdaPerGbSecond: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  dynamoPerMillionWrites: 0.625,
  dynamoPerMillionReads: 0.125,
  customMetricPerMonth: 0.3,
  alarmMetricPerMonth: 0.1,
  dashboardPerMonth: 3,
  secretPerMonth: 0.4,
} as const;

/** What the month's bill assumes beyond what the week counts, each named in the printed bill. */
export const BILL_ASSUMPTIONS = {
  memoryGb: 0.25,
  /** The data plane is in memory in the week: each invocation billed as a second (its probes' budget is 5 s). */
  dataPlaneSeconds: 1,
  /** The reconcile's lease in the state table: a conditional put to take it, one to give it back. */
  leaseWritesPerReconcile: 2,
  /** Powertools idempotency: a put when an invocation starts, an update when it ends. */
  idempotencyWritesPerInvocation: 2,
  /** Fleet-wide metrics (heartbeat, endpoints probed/unhealthy, clusters by phase, TiDB requests/429s). */
  fleetMetrics: 11,
  alarmMetrics: 11,
} as const;

export interface WeekVerdict {
  clusters: number;
  clusterDays: number;
  /** Node groups of live clusters, and those without a converged endpoint at the end. */
  liveGroups: number;
  notConverged: string[];
  /** Ready minus TiDB's waits, per default node group of a live cluster whose `Endpoint Ready` was sent (ms). */
  readyLagMs: number[];
  /** Converged at the end, but no `PrivateLink Endpoint Ready` was ever sent for it. */
  readyEventMissing: string[];
  /** Node groups Ready later than one reconcile pass after their waits. */
  laterThanOnePass: string[];
  deletedClusters: number;
  orphanEndpoints: number;
  /** Endpoints of deleted clusters never marked, and marked ones due but not deleted by the end. */
  unmarked: string[];
  dueNotDeleted: string[];
  /** Endpoints deleted before the grace was over. */
  deletedEarly: string[];
  /** Marked → deleted, beyond the grace: the worst. */
  maxDeletionDelayMs: number;
  /** Endpoints of live clusters ever marked orphaned (a paused or maintained cluster is alive). */
  falseOrphans: string[];
  maxDuplicateEndpoints: number;
  maxDuplicateConnections: number;
  /**
   * State-table rows at the end: live clusters', stale ones (cluster gone, no expiry) of clusters that had an
   * endpoint, stale ones of clusters deleted before they turned ACTIVE (never given an expiry: they stay
   * for ever), expiring ones.
   */
  registry: {
    liveClusters: number;
    liveRows: number;
    missingRows: number;
    staleRows: number;
    staleRowsNeverActive: number;
    expiringRows: number;
  };
  busiestSliding60s: number;
  tidbRequests: number;
  requestsPerClusterDay: number;
  errors: number;
  bill: MonthBill;
}

export interface MonthBill {
  endpointAzHours: number;
  lambdaInvocations: number;
  lambdaGbSeconds: number;
  dynamoWrites: number;
  dynamoReads: number;
  /** Per-cluster custom metrics, in metric-months (metric-hours / 730). */
  metricMonths: number;
  usd: Record<'endpoints' | 'lambda' | 'dynamodb' | 'metrics' | 'fixed' | 'total', number>;
}

const cents = (usd: number) => Math.round(usd * 100) / 100;
const keyOf = (g: { clusterId: string; tidbNodeGroupId: string }) => `${g.clusterId}/${g.tidbNodeGroupId}`;

/** Live node groups whose endpoint is available, private DNS on, and TiDB's connection ACTIVE. */
async function unconverged(record: WeekRecord, live: GroupLife[]): Promise<string[]> {
  const { world } = record.sim;
  const endpoints = world.ec2
    .peekEndpoints()
    .filter((e) => carriesManagedByTag(e) && e.state === 'available');
  const active = new Set(
    (await world.sim.connections()).filter((c) => c.endpointState === 'ACTIVE').map((c) => c.endpointId),
  );
  const converged = new Set(
    endpoints
      .filter((e) => e.privateDnsEnabled && active.has(e.vpcEndpointId))
      .map((e) => `${e.tags[CONTRACT_TAGS.clusterId]}/${e.tags[NODE_GROUP_TAG]}`),
  );
  return live.map(keyOf).filter((key) => !converged.has(key));
}

function orphanVerdict(record: WeekRecord) {
  const graceMs = record.options.deleteOrphansAfterH * HOUR;
  const end = STACK_START + WEEK_MS;
  const all = record.sim.world.ec2.peekEndpoints().filter(carriesManagedByTag);
  const ofDeleted = all.filter((e) => record.deleted.has(e.tags[CONTRACT_TAGS.clusterId] ?? ''));
  const unmarked: string[] = [];
  const dueNotDeleted: string[] = [];
  const deletedEarly: string[] = [];
  let maxDeletionDelayMs = 0;
  for (const endpoint of ofDeleted) {
    const id = endpoint.vpcEndpointId;
    const marked = record.orphaned.get(id);
    const deleted = record.endpointDeleted.get(id);
    if (!marked) {
      unmarked.push(id);
      continue;
    }
    // The grace counts from the product's mark (the tag), which the event carries: a mark whose answer was
    // lost is tagged a pass before its event is sent.
    const due = marked.since + graceMs;
    if (deleted && deleted.at < due) deletedEarly.push(id);
    if (deleted) maxDeletionDelayMs = Math.max(maxDeletionDelayMs, deleted.at - due);
    if (due + TICK_MS <= end && (!deleted || endpoint.state !== 'deleted')) dueNotDeleted.push(id);
  }
  const falseOrphans = [...record.orphaned]
    .filter(([, o]) => !record.deleted.has(o.clusterId))
    .map(([id]) => id);
  return {
    orphanEndpoints: ofDeleted.length,
    unmarked,
    dueNotDeleted,
    deletedEarly,
    maxDeletionDelayMs,
    falseOrphans,
  };
}

function registryVerdict(record: WeekRecord, liveClusters: Set<string>) {
  const rows = [...record.sim.registry.rows.values()];
  const liveRows = rows.filter((row) => row.deletedAt === undefined);
  const everActive = new Set(record.groups.map((g) => g.clusterId));
  const stale = liveRows.filter((row) => !liveClusters.has(row.clusterId));
  return {
    liveClusters: liveClusters.size,
    liveRows: liveRows.filter((row) => liveClusters.has(row.clusterId)).length,
    missingRows: [...liveClusters].filter((id) => !rows.some((row) => row.clusterId === id)).length,
    staleRows: stale.filter((row) => everActive.has(row.clusterId)).length,
    staleRowsNeverActive: stale.filter((row) => !everActive.has(row.clusterId)).length,
    expiringRows: rows.length - liveRows.length,
  };
}

function clusterDaysOf(record: WeekRecord): number {
  let days = 0;
  for (const plan of record.plans) {
    const until = plan.deletedAt === undefined ? WEEK_MS : Math.min(WEEK_MS, plan.deletedAt);
    days += Math.max(0, until - plan.createdAt) / DAY;
  }
  return days;
}

/** The month's bill: the week's counts × 730/168, at the named prices. */
export function monthBill(record: WeekRecord): MonthBill {
  const { counts, registry, counter } = record.sim;
  const a = BILL_ASSUMPTIONS;
  const endpointAzHours = record.samples.reduce((sum, s) => sum + s.endpointAzs, 0) * MONTH_PER_WEEK;
  const invocations = Object.values(counts.invocations).reduce((sum, n) => sum + n, 0);
  const seconds = Object.values(counts.durationMs).reduce((sum, ms) => sum + ms, 0) / 1000;
  const lambdaGbSeconds =
    (seconds + counts.invocations.dataPlane * a.dataPlaneSeconds) * a.memoryGb * MONTH_PER_WEEK;
  const idempotent =
    counts.invocations.provision + counts.invocations.probe + counts.invocations.troubleshoot;
  const writes =
    registry.writes +
    counter.taken.length +
    counter.refused +
    counts.invocations.reconcile * a.leaseWritesPerReconcile +
    idempotent * a.idempotencyWritesPerInvocation;
  const dynamoWrites = writes * MONTH_PER_WEEK;
  const dynamoReads = registry.reads * MONTH_PER_WEEK;
  const metricMonths = (counts.metricHours.size * MONTH_PER_WEEK) / HOURS_PER_MONTH;
  const p = LIST_PRICES;
  const usd = {
    endpoints: endpointAzHours * PRICES.endpointPerAzHour,
    lambda:
      lambdaGbSeconds * p.lambdaPerGbSecond +
      ((invocations * MONTH_PER_WEEK) / 1e6) * p.lambdaPerMillionRequests,
    dynamodb: (dynamoWrites / 1e6) * p.dynamoPerMillionWrites + (dynamoReads / 1e6) * p.dynamoPerMillionReads,
    metrics: metricMonths * p.customMetricPerMonth,
    fixed:
      a.fleetMetrics * p.customMetricPerMonth +
      a.alarmMetrics * p.alarmMetricPerMonth +
      p.dashboardPerMonth +
      p.secretPerMonth,
  };
  const total = Object.values(usd).reduce((sum, x) => sum + x, 0);
  return {
    endpointAzHours,
    lambdaInvocations: invocations * MONTH_PER_WEEK,
    lambdaGbSeconds,
    dynamoWrites,
    dynamoReads,
    metricMonths,
    usd: {
      endpoints: cents(usd.endpoints),
      lambda: cents(usd.lambda),
      dynamodb: cents(usd.dynamodb),
      metrics: cents(usd.metrics),
      fixed: cents(usd.fixed),
      total: cents(total),
    },
  };
}

export async function judgeWeek(record: WeekRecord): Promise<WeekVerdict> {
  const live = record.groups.filter((g) => !record.deleted.has(g.clusterId));
  const liveClusters = new Set(live.map((g) => g.clusterId));
  const announced = live.filter((g) => g.readyAt !== undefined);
  const lagOf = (g: GroupLife) => (g.readyAt ?? 0) - g.waitsEndAt;
  const { requests } = record.sim.counts;
  const clusterDays = clusterDaysOf(record);
  const notConverged = await unconverged(record, live);
  return {
    clusters: record.plans.length,
    clusterDays,
    liveGroups: live.length,
    notConverged,
    readyLagMs: announced.map(lagOf),
    readyEventMissing: live
      .filter((g) => g.readyAt === undefined)
      .map(keyOf)
      .filter((key) => !notConverged.includes(key)),
    laterThanOnePass: announced.filter((g) => lagOf(g) > TICK_MS).map(keyOf),
    deletedClusters: record.deleted.size,
    ...orphanVerdict(record),
    maxDuplicateEndpoints: Math.max(0, ...record.samples.map((s) => s.duplicateEndpoints)),
    maxDuplicateConnections: Math.max(0, ...record.samples.map((s) => s.duplicateConnections)),
    registry: registryVerdict(record, liveClusters),
    busiestSliding60s: busiestMinute(requests).sliding,
    tidbRequests: requests.length,
    requestsPerClusterDay: requests.length / Math.max(1e-9, clusterDays),
    errors: record.sim.counts.errors.length,
    bill: monthBill(record),
  };
}
