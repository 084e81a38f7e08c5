/**
 * A simulated week of churn (issue 16, goal 4): the whole stack as deployed (testing/stack-sim.ts) on the
 * discrete clock for seven virtual days, the plan of testing/week/plan.ts played against the TiDB Cloud
 * simulator, seeded faults on both APIs (TiDB: 500s and dropped connections; EC2: throttling and
 * InternalError, half of the failures after the change was made, retried as the SDK does), and crashes
 * right after side effects (the reconcile dies after its first endpoint create and first private-DNS
 * change; the answers of the first registrations are lost after TiDB carried them out). The data plane
 * is in memory (healthy answers from the endpoint's ENI addresses). What happened is recorded for the
 * verdict (testing/week/verdict.ts): when each node group's endpoint turned Ready, orphan marks and
 * deletions, and hourly samples of duplicates, endpoint AZ-hours and the state table's size.
 */
import type {
  DataPlaneBatchPort,
  DataPlaneProbeInput,
  DataPlaneResult,
} from '../../functions/core/diagnose/ports.ts';
import { type Clock, DETAIL_TYPES } from '../../functions/core/ports.ts';
import { crashAfter } from '../crash.ts';
import { CONTRACT_TAGS, carriesManagedByTag } from '../fault-matrix/judge.ts';
import { type Ec2FaultCounts, faultyEc2, noEc2Faults } from '../faulty-ec2.ts';
import {
  MINUTE,
  STACK_START,
  type StackOptions,
  type StackSim,
  startStackWorld,
  wireStack,
} from '../stack-sim.ts';
import type { World } from '../world.ts';
import { type ChurnRates, type ClusterPlan, planWeek, WEEK_MS } from './plan.ts';

const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const NODE_GROUP_TAG = 'tidb-privatelink:node-group-id';

export interface WeekOptions {
  clusters: number;
  seed: number;
  churn?: ChurnRates;
  /** Share of requests (TiDB) and attempts (EC2) faulted. */
  faultRate: number;
  /** `PRIVATELINK_DELETE_ORPHANS_AFTER_H`, in hours. */
  deleteOrphansAfterH: number;
  /** Registrations whose answer is lost after TiDB carried them out. */
  lostRegistrations: number;
  /** Called at each virtual midnight with the day just begun and the real time so far, for a long run's log. */
  progress?: (day: number, realMs: number) => void;
}

/** The week as the bench (1,000 clusters) and the CI test (100) run it. */
export const WEEK_RUN = { seed: 16, faultRate: 0.05, deleteOrphansAfterH: 24, lostRegistrations: 3 } as const;

/** TiDB's own waits, as the real API's (the clock is virtual: they cost no real time). */
export const WAITS = {
  clusterCreateMs: 20 * MINUTE,
  serviceReadyMs: 4 * MINUTE,
  connectionAcceptMs: 5 * MINUTE,
};

export interface HourSample {
  at: number;
  duplicateEndpoints: number;
  duplicateConnections: number;
  /** Σ over this stack's endpoints not deleted of their AZs (subnets): billed endpoint AZ-hours this hour. */
  endpointAzs: number;
  registryRows: number;
  healthRows: number;
  idempotencyRecords: number;
  /** Tags on the most tagged managed endpoint. */
  maxTags: number;
}

/** A node group of a cluster, as the plan made it appear. */
export interface GroupLife {
  clusterId: string;
  tidbNodeGroupId: string;
  plan: ClusterPlan;
  /** When TiDB's waits for its endpoint could first be over: ACTIVE (or added) + service + System Checking. */
  waitsEndAt: number;
  readyAt?: number;
}

export interface WeekRecord {
  options: WeekOptions;
  plans: ClusterPlan[];
  sim: StackSim;
  /** The default node group of each cluster that lived long enough to turn ACTIVE. */
  groups: GroupLife[];
  /** Non-default node groups added (no endpoint of their own unless asked for, as designed). */
  addedGroups: number;
  /** Cluster ids the user deleted. */
  deleted: Set<string>;
  /** By endpoint: the first `Endpoint Orphaned`, and the mark (`orphanedSince`) it carries. */
  orphaned: Map<string, { at: number; since: number; clusterId: string }>;
  endpointDeleted: Map<string, { at: number; clusterId: string }>;
  samples: HourSample[];
  ec2Faults: Ec2FaultCounts;
  crashes: number;
  realMs: number;
}

/** The data plane in memory: DNS answers the endpoint's addresses, each connects, TiDB greets. */
function memoryDataPlane(): DataPlaneBatchPort {
  const probe = async (input: DataPlaneProbeInput): Promise<DataPlaneResult> => ({
    dns: {
      server: input.dnsServer ?? 'system',
      status: 'answered',
      addresses: input.expectedAddresses,
      durationMs: 1,
    },
    tcp: input.expectedAddresses.map((address) => ({
      address,
      port: input.port,
      status: 'connected',
      latencyMs: 1,
    })),
    handshake: {
      address: input.expectedAddresses[0] ?? '',
      status: 'greeting',
      serverVersion: '8.0.11-TiDB-v7.5.2',
      latencyMs: 2,
    },
  });
  return {
    probe,
    probeMany: (inputs) =>
      Promise.all(inputs.map(async (input) => ({ ok: true as const, result: await probe(input) }))),
  };
}

function stackOptions(options: WeekOptions, crashes: { count: number }): StackOptions {
  let lost = 0;
  return {
    quota: 95,
    simulator: {
      ...WAITS,
      rateLimitWindow: 'sliding',
      afterApplied: (request) => {
        if (request.operation !== 'createConnection' || request.status >= 300) return undefined;
        if (lost >= options.lostRegistrations) return undefined;
        lost += 1;
        crashes.count += 1;
        return 'drop';
      },
    },
    ec2: { endpointLimitPerVpc: 10 * options.clusters + 100 },
    deleteOrphansAfterMs: options.deleteOrphansAfterH * HOUR,
  };
}

/** Each function's EC2 faulty (its own seed); the reconcile's also crashes once after each of two side effects. */
function faultyEc2Of(options: WeekOptions, clock: Clock, counts: Ec2FaultCounts): StackOptions['wrapEc2'] {
  const half = options.faultRate / 2;
  const functions = ['reconcile', 'provision', 'probe', 'troubleshoot'];
  return (fn, ec2) => {
    const seed = options.seed + functions.indexOf(fn) + 1;
    const faulty = faultyEc2(
      ec2,
      { seed, throttle: half, fail: half, sdkRetries: { sleep: clock.sleep } },
      counts,
    );
    if (fn !== 'reconcile') return faulty;
    return crashAfter(crashAfter(faulty, 'createInterfaceEndpoint'), 'enablePrivateDns');
  };
}

function excess(keys: string[]): number {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return [...counts.values()].reduce((sum, count) => sum + count - 1, 0);
}

async function sample(sim: StackSim): Promise<HourSample> {
  const { world, registry, idempotency } = sim;
  const endpoints = world.ec2.peekEndpoints().filter((e) => carriesManagedByTag(e) && e.state !== 'deleted');
  const connections = await world.sim.connections();
  return {
    at: sim.clock.now(),
    duplicateEndpoints: excess(
      endpoints.map((e) => `${e.tags[CONTRACT_TAGS.clusterId]}/${e.tags[NODE_GROUP_TAG]}`),
    ),
    duplicateConnections: excess(connections.map((c) => `${c.clusterId}/${c.tidbNodeGroupId}`)),
    endpointAzs: endpoints.reduce((sum, e) => sum + e.subnetIds.length, 0),
    registryRows: registry.rows.size,
    healthRows: registry.health.size,
    idempotencyRecords: Object.values(idempotency).reduce((sum, store) => sum + store.records.size, 0),
    maxTags: Math.max(0, ...endpoints.map((e) => Object.keys(e.tags).length)),
  };
}

/** Sets `states` one after another, then ACTIVE: the first and last for 5 minutes when there are several. */
async function interlude(sim: StackSim, clusterId: string, states: string[], forMs: number): Promise<void> {
  const edge = states.length > 1 ? 5 * MINUTE : 0;
  const middle = states.length > 2 ? states.slice(1, -1) : states.slice(states.length - 1);
  const steps = [
    ...(states.length > 1 ? [{ state: states[0], ms: edge }] : []),
    ...middle.map((state) => ({ state, ms: (forMs - 2 * edge) / middle.length })),
    ...(states.length > 2 ? [{ state: states[states.length - 1], ms: edge }] : []),
  ];
  for (const step of steps) {
    sim.world.sim.setClusterState(clusterId, step.state as Parameters<World['sim']['setClusterState']>[1]);
    await sim.clock.sleep(step.ms);
  }
  sim.world.sim.setClusterState(clusterId, 'ACTIVE');
}

/** Plays one cluster's plan on the clock. */
async function playCluster(sim: StackSim, record: WeekRecord, plan: ClusterPlan): Promise<void> {
  const { clock, world } = sim;
  await clock.sleep(plan.createdAt);
  const cluster = world.addCluster({ clusterCreateMs: plan.createdAt === 0 ? 0 : WAITS.clusterCreateMs });
  const activeAt = clock.now() + (plan.createdAt === 0 ? 0 : WAITS.clusterCreateMs);
  const waits = WAITS.serviceReadyMs + WAITS.connectionAcceptMs;
  const group = { clusterId: cluster.clusterId, tidbNodeGroupId: cluster.tidbNodeGroupId, plan };
  if (plan.deletedAt === undefined || plan.deletedAt > activeAt)
    record.groups.push({ ...group, waitsEndAt: activeAt + waits });
  const events: Array<{ at: number; run: () => Promise<void> }> = plan.interludes.map((i) => ({
    at: i.at,
    run: () => interlude(sim, cluster.clusterId, i.states, i.forMs),
  }));
  if (plan.nodeGroupAt !== undefined) {
    events.push({
      at: plan.nodeGroupAt,
      run: async () => {
        const added = world.sim.addNodeGroup(cluster.clusterId, { availableZones: cluster.availableZones });
        world.ec2.registerService(added.serviceName, added.availableZones);
        // Private link serves the default group unless told otherwise: the new group must disturb nothing.
        record.addedGroups += 1;
      },
    });
  }
  if (plan.deletedAt !== undefined) {
    const clusterId = cluster.clusterId;
    events.push({
      at: plan.deletedAt,
      run: async () => {
        record.deleted.add(clusterId);
        world.sim.setClusterState(clusterId, 'DELETING');
        await clock.sleep(30 * MINUTE);
        world.sim.removeCluster(clusterId);
      },
    });
  }
  for (const event of events.sort((a, b) => a.at - b.at)) {
    await clock.sleep(Math.max(0, event.at - (clock.now() - STACK_START)));
    await event.run();
  }
}

function recordEvents(sim: StackSim, record: WeekRecord): void {
  const groups = new Map<string, GroupLife>();
  const groupOf = (clusterId: string, groupId: string) => {
    if (groups.size !== record.groups.length) {
      for (const g of record.groups) groups.set(`${g.clusterId}/${g.tidbNodeGroupId}`, g);
    }
    return groups.get(`${clusterId}/${groupId}`);
  };
  sim.world.events.onEvent((event) => {
    const { clusterId, tidbNodeGroupId } = event.detail;
    const at = sim.clock.now();
    if (event.detailType === DETAIL_TYPES.endpointReady) {
      const group = groupOf(clusterId, tidbNodeGroupId);
      if (group && group.readyAt === undefined) group.readyAt = at;
    }
    const endpointId = String(event.detail.vpcEndpointId ?? '');
    if (event.detailType === DETAIL_TYPES.endpointOrphaned && !record.orphaned.has(endpointId)) {
      record.orphaned.set(endpointId, {
        at,
        since: Date.parse(String(event.detail.orphanedSince)),
        clusterId,
      });
    }
    if (event.detailType === DETAIL_TYPES.endpointDeleted)
      record.endpointDeleted.set(endpointId, { at, clusterId });
  });
}

/** Runs the week; `WeekRecord.sim` holds the world as it is at the end (close it with `closeWeek`). */
export async function runWeek(options: WeekOptions): Promise<WeekRecord> {
  const started = performance.now();
  const ec2Faults = noEc2Faults();
  const crashes = { count: 0 };
  const stack = stackOptions(options, crashes);
  const { clock, world } = await startStackWorld(stack);
  const wrapEc2 = faultyEc2Of(options, clock, ec2Faults);
  const dataPlane = { dataPlane: memoryDataPlane(), dnsServer: '127.0.0.1:53' };
  const sim = await wireStack(clock, world, dataPlane, { ...stack, wrapEc2 });
  // Crashes in the reconcile surface as its errors; TiDB's lost answers are counted by the simulator hook.
  const half = options.faultRate / 2;
  world.sim.faults.random({ seed: options.seed, rates: { serverError: half, drop: half } });
  const plans = planWeek({
    clusters: options.clusters,
    seed: options.seed,
    churn: options.churn,
    settleMs: 12 * HOUR,
    orphanGraceMs: (options.deleteOrphansAfterH + 2) * HOUR,
  });
  const record: WeekRecord = {
    options,
    plans,
    sim,
    groups: [],
    addedGroups: 0,
    deleted: new Set(),
    orphaned: new Map(),
    endpointDeleted: new Map(),
    samples: [],
    ec2Faults,
    crashes: 0,
    realMs: 0,
  };
  recordEvents(sim, record);
  for (const plan of plans) void playCluster(sim, record, plan);
  const live = () => record.groups.filter((g) => !record.deleted.has(g.clusterId));
  sim.schedule({
    everyMs: HOUR,
    clusterId: () => live()[Math.floor(clock.now() / HOUR) % Math.max(1, live().length)]?.clusterId,
  });
  clock.every(HOUR, 30 * MINUTE, async () => {
    record.samples.push(await sample(sim));
  });
  const { progress } = options;
  if (progress) {
    clock.every(DAY, DAY, () =>
      progress(Math.round((clock.now() - STACK_START) / DAY), performance.now() - started),
    );
  }
  await clock.runUntil(STACK_START + WEEK_MS, () => false);
  record.samples.push(await sample(sim));
  record.crashes = crashes.count + sim.counts.errors.filter((e) => e.includes('simulated crash')).length;
  record.realMs = performance.now() - started;
  return record;
}

export const closeWeek = (record: WeekRecord): Promise<void> => record.sim.world.close();
