import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  METRIC_NAMES,
  METRIC_NAMESPACE,
  PowertoolsProbeMetrics,
} from '../../../functions/adapters/powertools-metrics.ts';
import { createProbeHandler, createTroubleshootHandler } from '../../../functions/app/diagnostics.ts';
import type { DiagnosticsDeps } from '../../../functions/app/lambda-deps.ts';
import { createProvisionHandler, createReconcileHandler } from '../../../functions/app/provisioning.ts';
import { AwsError } from '../../../functions/core/errors.ts';
import { SUBNET_CONFIG_TAG } from '../../../functions/core/model.ts';
import { DETAIL_TYPES } from '../../../functions/core/ports.ts';
import { provision } from '../../../functions/core/reconcile/reconcile.ts';
import { PHASES, type Phase, type ProvisionOutcome } from '../../../functions/core/reconcile/types.ts';
import { crashAfter } from '../../../testing/crash.ts';
import { MemoryClusterRegistry } from '../../../testing/registry-fake.ts';
import { startVpcStandIn, type VpcStandIn } from '../../../testing/vpc-stand-in.ts';
import { startWorld, VirtualClock, type World } from '../../../testing/world.ts';

const sample = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../../events/${name}`, import.meta.url), 'utf8'));

function lambdaContext(remainingMs: number): Context {
  return {
    functionName: 'test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:test',
    memoryLimitInMB: '256',
    awsRequestId: 'req-1',
    logGroupName: '/aws/lambda/test',
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const logger = new Logger({ serviceName: 'tidb-privatelink', logLevel: 'SILENT' });

type EmfRecord = Record<string, unknown>;

/** As the handler modules build it: the namespace constant, the service from POWERTOOLS_SERVICE_NAME. */
function stackMetrics(): Metrics {
  return new Metrics({ namespace: METRIC_NAMESPACE, serviceName: 'tidb-privatelink-dev' });
}

/** Runs `run` and returns the embedded-metric-format records it wrote to stdout, and its result or error. */
async function captureEmf(
  run: () => Promise<unknown>,
): Promise<{ emf: EmfRecord[]; result?: unknown; error?: unknown }> {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  let outcome: { result?: unknown; error?: unknown };
  try {
    outcome = { result: await run() };
  } catch (error) {
    outcome = { error };
  } finally {
    spy.mockRestore();
  }
  const emf = lines
    .flatMap((line) => line.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfRecord);
  return { emf, ...outcome };
}

/** The record carrying `metric` (and matching `where`), with its namespace and dimension sets. */
function recordWith(emf: EmfRecord[], metric: string, where: EmfRecord = {}) {
  const record = emf.find(
    (candidate) =>
      metric in candidate && Object.entries(where).every(([key, value]) => candidate[key] === value),
  );
  const meta = (record?._aws as { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][] }> })
    ?.CloudWatchMetrics[0];
  return { record, namespace: meta?.Namespace, dimensions: meta?.Dimensions };
}
let world: World;
let vpc: VpcStandIn;

beforeEach(async () => {
  world = await startWorld();
  vpc = await startVpcStandIn(world.ec2, { sourceCidr: world.ec2.world.cidrBlock });
});

afterEach(async () => {
  await vpc.close();
  await world.close();
});

/** The invocation's TiDB Cloud API usage record: service dimension only, as the dashboard reads it. */
function expectApiUsage(emf: EmfRecord[], usage: { requests: unknown; rateLimited: number }): void {
  expect(recordWith(emf, METRIC_NAMES.tidbApiRequests)).toEqual({
    record: expect.objectContaining({
      [METRIC_NAMES.tidbApiRequests]: usage.requests,
      [METRIC_NAMES.tidbApiRateLimited]: usage.rateLimited,
      service: 'tidb-privatelink-dev',
    }),
    namespace: METRIC_NAMESPACE,
    dimensions: [['service']],
  });
  expect(emf.filter((record) => METRIC_NAMES.tidbApiRequests in record)).toHaveLength(1);
}

describe('provisioning handlers', () => {
  it('provision: a TiDB Cluster Detected event takes the immediate steps in one pass and never polls', async () => {
    const cluster = world.addCluster();
    const event = { ...sample('cluster-detected.json'), detail: { clusterId: cluster.clusterId } };
    const handler = createProvisionHandler(() => world.depsFor('provision'), logger);
    const started = world.clock.now();
    const outcome = (await handler(event, lambdaContext(900_000))) as ProvisionOutcome;
    expect(outcome).toMatchObject({ clusterId: cluster.clusterId, phase: 'Progressing' });
    expect(outcome.actions.map((a) => a.type)).toEqual(['create-endpoint', 'register-connection']);
    expect(world.clock.now()).toBe(started);
  });

  it("provision: publishes the invocation's own TiDB Cloud API requests and 429 answers", async () => {
    // The client weighs a 429's wait against the deadline on the wall clock: let virtual time start now.
    await world.close();
    world = await startWorld({ clock: new VirtualClock(Date.now()) });
    const cluster = world.addCluster();
    // A direct invoke converges until its deadline (a Detected event takes one pass), so both runs reach Ready.
    const event = { clusterId: cluster.clusterId };
    const handler = createProvisionHandler(() => world.depsFor('provision'), logger, stackMetrics());
    world.sim.faults.rateLimitBurst(2, 1);
    const first = await captureEmf(() => handler(event, lambdaContext(900_000)));
    expect(first.result).toMatchObject({ phase: 'Ready' });
    // Every HTTP request the simulator received (digest challenges and the refused ones included).
    const sent = world.sim.requests.length;
    expect(world.sim.stats().byStatus['429']).toBe(2);
    expectApiUsage(first.emf, { requests: sent, rateLimited: 2 });

    // The client outlives the invocation (one per cold start): the next one reports only its own share.
    const second = await captureEmf(() => handler(event, lambdaContext(900_000)));
    expect(second.result).toMatchObject({ phase: 'Ready' });
    expectApiUsage(second.emf, { requests: world.sim.requests.length - sent, rateLimited: 0 });
  });

  it('provision: a malformed event is rejected before any dependency is built or called', async () => {
    const getDeps = vi.fn(async () => world.deps);
    const handler = createProvisionHandler(getDeps, logger);
    // Answered, not thrown: a thrown error would make EventBridge deliver the same bad event twice more.
    await expect(handler({ clusterId: 42 }, lambdaContext(900_000))).resolves.toEqual({
      rejected: true,
      reason: expect.stringMatching(/string of digits/),
    });
    await expect(handler({ ...sample('endpoint-ready.json') }, lambdaContext(900_000))).resolves.toEqual({
      rejected: true,
      reason: expect.stringMatching(/Unexpected event detail-type "PrivateLink Endpoint Ready"/),
    });
    expect(getDeps).not.toHaveBeenCalled();
    expect(world.sim.requests).toHaveLength(0);
    expect(world.ec2.totalCalls).toBe(0);
  });

  it('provision: an unknown cluster id fails with a sentence naming it', async () => {
    const handler = createProvisionHandler(() => world.depsFor('provision'), logger);
    await expect(handler({ clusterId: '1379661944646413143' }, lambdaContext(60_000))).rejects.toThrow(
      /1379661944646413143/,
    );
    expect(world.ec2.calls.CreateVpcEndpoint).toBe(0);
  });

  it('reconcile: the schedule tick reconciles every cluster and stops before the deadline', async () => {
    world.addCluster();
    world.addCluster();
    const handler = createReconcileHandler(async () => world.deps, logger);
    const started = world.clock.now();
    const { clusters } = (await handler(sample('schedule-tick.json'), lambdaContext(120_000))) as {
      clusters: ProvisionOutcome[];
    };
    // 2 minutes of Lambda time is less than TiDB's 5 minutes of System Checking: still Progressing, on time.
    expect(clusters.map((c) => c.phase)).toEqual(['Progressing', 'Progressing']);
    expect(world.clock.now() - started).toBeLessThanOrEqual(120_000 - 10_000);
  });

  it('reconcile: one cluster failing is reported (logged as an error) and the tick still succeeds', async () => {
    const ok = world.addCluster();
    const broken = world.addCluster();
    world.sim.faults.failPath(`/clusters/${broken.clusterId}/`, 503);
    const errors: unknown[][] = [];
    const spying = new Logger({ serviceName: 'tidb-privatelink', logLevel: 'SILENT' });
    vi.spyOn(spying, 'error').mockImplementation((...args: unknown[]) => {
      errors.push(args);
    });
    const handler = createReconcileHandler(async () => world.deps, spying, stackMetrics());
    const { emf, result } = await captureEmf(() =>
      handler(sample('schedule-tick.json'), lambdaContext(900_000)),
    );
    const { clusters } = result as { clusters: ProvisionOutcome[] };
    expect(clusters.find((c) => c.clusterId === ok.clusterId)?.phase).toBe('Ready');
    expect(clusters.find((c) => c.clusterId === broken.clusterId)).toMatchObject({ phase: 'Error' });
    expect(errors).toEqual([
      ['cluster reconcile failed', expect.objectContaining({ clusterId: broken.clusterId })],
    ]);
    // Exactly what the Blocked/Error alarm reads: Clusters by (service, Phase), every phase, zeros included.
    const expected: Record<Phase, number> = {
      Ready: 1,
      Progressing: 0,
      Blocked: 0,
      Idle: 0,
      Orphaned: 0,
      Error: 1,
    };
    for (const phase of PHASES) {
      expect(recordWith(emf, METRIC_NAMES.clustersByPhase, { Phase: phase })).toMatchObject({
        record: { Clusters: expected[phase], service: 'tidb-privatelink-dev' },
        namespace: METRIC_NAMESPACE,
        dimensions: [['service', 'Phase']],
      });
    }
    expect(emf.filter((record) => METRIC_NAMES.clustersByPhase in record)).toHaveLength(PHASES.length);
    expect(emf.some((record) => Object.keys(record).some((key) => /^Clusters./.test(key)))).toBe(false);
  });

  it('provision: a refused bookkeeping write is logged with the outcome, and the cluster stays Ready', async () => {
    const cluster = world.addCluster();
    const ready = await provision(
      world.deps,
      { clusterId: cluster.clusterId },
      { deadline: world.clock.now() + 3_600_000 },
    );
    await world.ec2.deleteTags(ready.vpcEndpointId ?? '', [SUBNET_CONFIG_TAG]);
    const text = 'You are not authorized to perform this operation.';
    world.ec2.failNext('CreateTags', new AwsError('UnauthorizedOperation', text, { fault: 'client' }));
    const infos: unknown[][] = [];
    const spying = new Logger({ serviceName: 'tidb-privatelink', logLevel: 'SILENT' });
    vi.spyOn(spying, 'info').mockImplementation((...args: unknown[]) => {
      infos.push(args);
    });

    const handler = createProvisionHandler(async () => world.deps, spying);
    await handler({ clusterId: cluster.clusterId }, lambdaContext(60_000));

    expect(infos).toContainEqual([
      'cluster reconciled',
      expect.objectContaining({ phase: 'Ready', notes: [expect.stringContaining(text)] }),
    ]);
  });

  it('reconcile: a cluster that turned Ready in a run that died before announcing it gets its Endpoint Ready next tick', async () => {
    const cluster = world.addCluster();
    // The state table, as the reconcile's role sees it.
    const table = new MemoryClusterRegistry();
    const registry = (await world.portsFor('reconcile')).registry(table);
    const deps = { ...world.deps, registry };
    // The run dies right after enabling private DNS: the endpoint is Ready, but nothing announced it.
    const dying = { ...deps, ec2: crashAfter(deps.ec2, 'enablePrivateDns', { dies: true }) };
    await createReconcileHandler(async () => dying, logger)(
      sample('schedule-tick.json'),
      lambdaContext(900_000),
    );
    expect(world.events.ofType(DETAIL_TYPES.endpointReady)).toEqual([]);
    expect((await table.get(cluster.clusterId))?.phase).toBe('Error');

    const tick = createReconcileHandler(async () => deps, logger);
    const { clusters } = (await tick(sample('schedule-tick.json'), lambdaContext(900_000))) as {
      clusters: ProvisionOutcome[];
    };
    expect(clusters).toMatchObject([{ clusterId: cluster.clusterId, phase: 'Ready', actions: [] }]);
    const ready = world.events.ofType(DETAIL_TYPES.endpointReady);
    expect(ready.map((event) => event.detail)).toEqual([
      {
        clusterId: cluster.clusterId,
        tidbNodeGroupId: expect.any(String),
        vpcEndpointId: expect.stringMatching(/^vpce-/),
      },
    ]);
    // Announced once: a cluster that stays Ready is not announced again.
    await tick(sample('schedule-tick.json'), lambdaContext(900_000));
    expect(world.events.ofType(DETAIL_TYPES.endpointReady)).toHaveLength(1);
  });

  it('reconcile: the row of a cluster deleted before it turned ACTIVE expires, as an orphan row does', async () => {
    const creating = world.addCluster({ state: 'CREATING' });
    const live = world.addCluster({ state: 'CREATING' });
    const table = new MemoryClusterRegistry();
    const registry = (await world.portsFor('reconcile')).registry(table);
    const tick = createReconcileHandler(async () => ({ ...world.deps, registry }), logger);
    await tick(sample('schedule-tick.json'), lambdaContext(120_000));
    expect(table.rows.get(creating.clusterId)).toMatchObject({ phase: 'Progressing' });
    // Deleted while CREATING: it never had an endpoint, so it never has an Orphaned outcome.
    world.sim.removeCluster(creating.clusterId);
    const gets = () => world.sim.requests.filter((r) => r.path.endsWith(`/clusters/${creating.clusterId}`));
    const before = gets().length;
    await tick(sample('schedule-tick.json'), lambdaContext(120_000));
    // The proof: one GET, answered 404 (absence from the listing alone proves nothing).
    expect(
      gets()
        .slice(before)
        .map((r) => r.status),
    ).toEqual([404]);
    expect(table.rows.get(creating.clusterId)).toMatchObject({ deletedAt: expect.any(String) });
    expect(table.rows.get(creating.clusterId)?.expiresAt).toBeGreaterThan(0);
    expect(table.rows.get(live.clusterId)?.expiresAt).toBeUndefined();
    // Once expiring, the row costs no GET and no write in later runs.
    const row = table.rows.get(creating.clusterId);
    await tick(sample('schedule-tick.json'), lambdaContext(120_000));
    expect(gets().length).toBe(before + 1);
    expect(table.rows.get(creating.clusterId)).toEqual(row);
  });

  it('reconcile: throws when the pass itself cannot run (the cluster listing fails)', async () => {
    world.addCluster();
    world.sim.faults.failPath('/clusters', 503);
    const handler = createReconcileHandler(async () => world.deps, logger, stackMetrics());
    const { emf, error } = await captureEmf(() =>
      handler(sample('schedule-tick.json'), lambdaContext(900_000)),
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/HTTP 503/);
    // A failed invocation still reports what it cost: at least the listing's five attempts (its sibling
    // listing may still be retrying when the pass gives up). It publishes no Clusters: no pass ran.
    expectApiUsage(emf, { requests: expect.any(Number), rateLimited: 0 });
    expect(recordWith(emf, METRIC_NAMES.tidbApiRequests).record?.TidbApiRequests).toBeGreaterThanOrEqual(5);
    expect(emf.some((record) => METRIC_NAMES.clustersByPhase in record)).toBe(false);
  });
});

describe('diagnostics handlers', () => {
  async function readyCluster() {
    const cluster = world.addCluster({ port: vpc.port });
    vpc.serve(cluster.serviceDnsName, cluster.serviceName);
    vpc.admit(world.ec2.world.securityGroupId);
    const reconcile = createReconcileHandler(async () => world.deps, logger);
    await reconcile({}, lambdaContext(900_000));
    return cluster;
  }

  /** The diagnostics function's dependencies: EC2 and events under its own packaged role. */
  async function diagnosticsDeps(fn: 'probe' | 'troubleshoot', metrics: Metrics): Promise<DiagnosticsDeps> {
    return {
      ...(await world.partsFor(fn, vpc.dataPlane)),
      metrics: new PowertoolsProbeMetrics(metrics),
      settings: {
        region: 'us-east-1',
        vpcId: world.settings.vpcId,
        dnsServer: vpc.dnsServer,
        timeoutMs: 2000,
        concurrency: 4,
      },
    };
  }

  it('troubleshoot: serverless invoke -d {"clusterId"} returns the report; the event path also publishes it', async () => {
    const cluster = await readyCluster();
    const metrics = stackMetrics();
    const handler = createTroubleshootHandler(
      () => diagnosticsDeps('troubleshoot', metrics),
      logger,
      metrics,
    );
    const sentBefore = world.sim.requests.length;
    const { emf, result: direct } = await captureEmf(() =>
      handler({ clusterId: cluster.clusterId }, lambdaContext(10_000)),
    );
    expect(direct).toMatchObject({ clusterId: cluster.clusterId, healthy: true });
    expect(world.sim.requests.length).toBeGreaterThan(sentBefore);
    expectApiUsage(emf, { requests: world.sim.requests.length - sentBefore, rateLimited: 0 });
    expect(world.events.ofType(DETAIL_TYPES.probeCompleted)).toHaveLength(0);

    const event = { ...sample('troubleshoot-requested.json'), detail: { clusterId: cluster.clusterId } };
    await handler(event, lambdaContext(10_000));
    const [published] = world.events.ofType(DETAIL_TYPES.probeCompleted);
    expect(published?.detail).toMatchObject({
      clusterId: cluster.clusterId,
      requestedBy: 'troubleshoot',
      healthy: true,
    });
  });

  /** Runs the probe handler once and returns the EMF records it wrote to stdout, and its summary. */
  async function probeRun(): Promise<{ emf: EmfRecord[]; summary: unknown }> {
    const metrics = stackMetrics();
    const handler = createProbeHandler(() => diagnosticsDeps('probe', metrics), logger, metrics);
    const { emf, result } = await captureEmf(() => handler({}, lambdaContext(300_000)));
    return { emf, summary: result };
  }

  it('probe: every completed run publishes the fleet heartbeat the alarms watch, even with no endpoint', async () => {
    const empty = await probeRun();
    expect(empty.summary).toMatchObject({ probed: 0 });
    const heartbeat = recordWith(empty.emf, 'ProbeHeartbeat');
    expect(heartbeat).toMatchObject({
      record: {
        ProbeHeartbeat: 1,
        EndpointsProbed: 0,
        EndpointsUnhealthy: 0,
        service: 'tidb-privatelink-dev',
      },
      namespace: 'TidbPrivateLink',
      dimensions: [['service']],
    });

    const cluster = world.addCluster({ port: vpc.port });
    vpc.serve(cluster.serviceDnsName, cluster.serviceName);
    // No admission for the probe's group: the endpoint exists but the probe cannot reach it.
    const reconcile = createReconcileHandler(async () => world.deps, logger);
    await reconcile({}, lambdaContext(900_000));
    const unhealthy = await probeRun();
    expect(unhealthy.summary).toMatchObject({ probed: 1, unhealthy: 1 });
    expect(recordWith(unhealthy.emf, 'EndpointsUnhealthy').record).toMatchObject({
      ProbeHeartbeat: 1,
      EndpointsProbed: 1,
      EndpointsUnhealthy: 1,
    });
  });

  it('probe: publishes EMF metrics per cluster through Powertools', async () => {
    const cluster = await readyCluster();
    const sentBefore = world.sim.requests.length;
    const { emf, summary } = await probeRun();
    expect(summary).toMatchObject({ probed: 1, healthy: 1 });
    expectApiUsage(emf, { requests: world.sim.requests.length - sentBefore, rateLimited: 0 });
    expect(recordWith(emf, 'Healthy')).toMatchObject({
      namespace: 'TidbPrivateLink',
      dimensions: [['service', 'ClusterId']],
    });
    const perCluster = emf.find((record) => record.ClusterId === cluster.clusterId);
    expect(perCluster?.Healthy).toBe(1);
    for (const name of ['DnsMs', 'TcpConnectMs', 'HandshakeMs'])
      expect(perCluster?.[name]).toBeGreaterThanOrEqual(0);
  });
});
