/**
 * Powertools Idempotency on the event-driven handlers (in-memory persistence, a custom BasePersistenceLayer):
 * a redelivered EventBridge event does no work twice and logs one line; a new event always runs; a malformed
 * event is rejected before any record is written.
 */
import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PowertoolsProbeMetrics } from '../../../functions/adapters/powertools-metrics.ts';
import { DEPLOYED_BUDGETS } from '../../../functions/app/budgets.ts';
import { createProbeHandler, createTroubleshootHandler } from '../../../functions/app/diagnostics.ts';
import type { DiagnosticsDeps } from '../../../functions/app/lambda-deps.ts';
import { createProvisionHandler } from '../../../functions/app/provisioning.ts';
import { DETAIL_TYPES } from '../../../functions/core/ports.ts';
import { provision } from '../../../functions/core/reconcile/reconcile.ts';
import { MemoryIdempotencyStore } from '../../../testing/idempotency-fake.ts';
import { lambdaContext } from '../../../testing/lambda-context.ts';
import { MemoryClusterRegistry } from '../../../testing/registry-fake.ts';
import { startVpcStandIn, type VpcStandIn } from '../../../testing/vpc-stand-in.ts';
import { startWorld, type World } from '../../../testing/world.ts';

const sample = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../../events/${name}`, import.meta.url), 'utf8'));

let world: World;
let vpc: VpcStandIn;
let logger: Logger;
let logged: string[];

beforeEach(async () => {
  world = await startWorld();
  vpc = await startVpcStandIn(world.ec2, { sourceCidr: world.ec2.world.cidrBlock });
  logger = new Logger({ serviceName: 'tidb-privatelink', logLevel: 'SILENT' });
  logged = [];
  vi.spyOn(logger, 'info').mockImplementation((...args: unknown[]) => {
    logged.push(String(args[0]));
  });
});

afterEach(async () => {
  vi.restoreAllMocks();
  await vpc.close();
  await world.close();
});

/** The provision function's own idempotency store, under its packaged role. */
const provisionStore = async () =>
  (await world.portsFor('provision')).idempotency(new MemoryIdempotencyStore());

const duplicates = () => logged.filter((line) => line.startsWith('Duplicate delivery ignored'));

describe('provision once per event', () => {
  it('a redelivered TiDB Cluster Detected provisions once; a new event id runs again', async () => {
    const cluster = world.addCluster();
    const store = await provisionStore();
    const handler = createProvisionHandler(() => world.depsFor('provision'), logger, undefined, store);
    const event = { ...sample('cluster-detected.json'), detail: { clusterId: cluster.clusterId } };

    const first = await handler(event, lambdaContext(900_000));
    const requestsAfterFirst = world.sim.requests.length;
    const again = await handler(structuredClone(event), lambdaContext(900_000));

    expect(again).toEqual(first);
    expect(first).toMatchObject({ phase: 'Progressing' });
    expect(world.ec2.calls.CreateVpcEndpoint).toBe(1);
    expect(world.sim.stats().byOperation.createConnection).toBe(1);
    expect(world.sim.requests.length).toBe(requestsAfterFirst);
    expect(duplicates()).toHaveLength(1);

    await handler({ ...event, id: 'another-delivery' }, lambdaContext(900_000));
    expect(world.sim.requests.length).toBeGreaterThan(requestsAfterFirst);
  });

  it('a store given as a source is built on the first event, once, and serves the redelivery', async () => {
    const cluster = world.addCluster();
    const store = await provisionStore();
    let built = 0;
    const source = async () => {
      built += 1;
      return store;
    };
    const handler = createProvisionHandler(() => world.depsFor('provision'), logger, undefined, source);
    expect(built).toBe(0);
    const event = { ...sample('cluster-detected.json'), detail: { clusterId: cluster.clusterId } };
    const first = await handler(event, lambdaContext(900_000));
    expect(await handler(structuredClone(event), lambdaContext(900_000))).toEqual(first);
    expect(built).toBe(1);
    expect(store.records.size).toBe(1);
    expect(duplicates()).toHaveLength(1);
  });

  it('a malformed event is rejected before any record is written', async () => {
    const store = await provisionStore();
    const handler = createProvisionHandler(() => world.depsFor('provision'), logger, undefined, store);
    const event = { ...sample('cluster-detected.json'), detail: { clusterId: 'not-a-number' } };
    await expect(handler(event, lambdaContext(900_000))).resolves.toEqual({
      rejected: true,
      reason: expect.stringMatching(/string of digits/),
    });
    expect(store.records.size).toBe(0);
    expect(world.sim.requests).toHaveLength(0);
  });

  it('with the registry, a Detected event for a cluster the reconcile already handled costs no TiDB call', async () => {
    const cluster = world.addCluster();
    const table = new MemoryClusterRegistry();
    await table.recordSighting(cluster.clusterId, '', world.clock.now());
    const registry = (await world.portsFor('provision')).registry(table);
    const handler = createProvisionHandler(
      async () => ({ ...(await world.depsFor('provision')), registry }),
      logger,
    );
    const event = { ...sample('cluster-detected.json'), detail: { clusterId: cluster.clusterId } };
    expect(await handler(event, lambdaContext(900_000))).toEqual({
      clusterId: cluster.clusterId,
      inHand: true,
    });
    expect(world.sim.requests).toHaveLength(0);
    // A direct request (a person's invoke) is always carried out, and converges until its deadline.
    expect(await handler({ clusterId: cluster.clusterId }, lambdaContext(900_000))).toMatchObject({
      phase: 'Ready',
    });
  });

  it('without a table every delivery runs (the CLI and local invokes)', async () => {
    const cluster = world.addCluster();
    const handler = createProvisionHandler(() => world.depsFor('provision'), logger);
    const event = { ...sample('cluster-detected.json'), detail: { clusterId: cluster.clusterId } };
    await handler(event, lambdaContext(900_000));
    const before = world.sim.requests.length;
    await handler(event, lambdaContext(900_000));
    expect(world.sim.requests.length).toBeGreaterThan(before);
    expect(duplicates()).toEqual([]);
  });
});

describe('diagnostics once per event', () => {
  async function readyCluster() {
    const cluster = world.addCluster({ port: vpc.port });
    vpc.serve(cluster.serviceDnsName, cluster.serviceName);
    vpc.admit(world.ec2.world.securityGroupId);
    await provision(
      world.deps,
      { clusterId: cluster.clusterId },
      { deadline: world.clock.now() + 3_600_000 },
    );
    return cluster;
  }

  /** The probe's or the troubleshoot's parts, each AWS call under its packaged role. */
  const diagnosticsDeps = async (fn: 'probe' | 'troubleshoot'): Promise<DiagnosticsDeps> => ({
    ...(await world.partsFor(fn, vpc.dataPlane)),
    metrics: new PowertoolsProbeMetrics(new Metrics({ namespace: 'Test' })),
    settings: {
      region: 'us-east-1',
      vpcId: world.settings.vpcId,
      dnsServer: vpc.dnsServer,
      timeoutMs: 2000,
      concurrency: 4,
    },
  });

  it('Endpoint Ready probes that one cluster at once, and a redelivery probes nothing', async () => {
    const cluster = await readyCluster();
    const other = await readyCluster();
    const metrics = new Metrics({ namespace: 'Test' });
    vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);
    const handler = createProbeHandler(
      () => diagnosticsDeps('probe'),
      logger,
      metrics,
      DEPLOYED_BUDGETS,
      (await world.portsFor('probe')).idempotency(new MemoryIdempotencyStore()),
    );
    const event = { ...sample('endpoint-ready.json'), detail: { clusterId: cluster.clusterId } };

    const summary = await handler(event, lambdaContext(60_000));
    expect(summary).toMatchObject({ clusterId: cluster.clusterId, probed: 1, healthy: 1 });
    const completed = world.events.ofType(DETAIL_TYPES.probeCompleted);
    expect(completed.map((e) => e.detail.clusterId)).toEqual([cluster.clusterId]);
    expect(world.events.ofType(DETAIL_TYPES.healthChanged).map((e) => e.detail.current)).toEqual(['healthy']);

    await handler(structuredClone(event), lambdaContext(60_000));
    expect(world.events.ofType(DETAIL_TYPES.probeCompleted)).toHaveLength(1);
    expect(duplicates()).toHaveLength(1);
    expect(other.clusterId).not.toBe(cluster.clusterId);
  });

  it('a redelivered Troubleshoot Requested runs the doctor once', async () => {
    const cluster = await readyCluster();
    const handler = createTroubleshootHandler(
      () => diagnosticsDeps('troubleshoot'),
      logger,
      undefined,
      DEPLOYED_BUDGETS,
      (await world.portsFor('troubleshoot')).idempotency(new MemoryIdempotencyStore()),
    );
    const event = { ...sample('troubleshoot-requested.json'), detail: { clusterId: cluster.clusterId } };
    await handler(event, lambdaContext(10_000));
    await handler(structuredClone(event), lambdaContext(10_000));
    expect(world.events.ofType(DETAIL_TYPES.probeCompleted)).toHaveLength(1);
    expect(duplicates()).toHaveLength(1);
  });
});
