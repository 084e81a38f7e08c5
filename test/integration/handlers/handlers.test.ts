import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { METRIC_NAMESPACE, PowertoolsProbeMetrics } from '../../../functions/adapters/powertools-metrics.ts';
import { createProbeHandler, createTroubleshootHandler } from '../../../functions/app/diagnostics.ts';
import type { DiagnosticsDeps } from '../../../functions/app/lambda-deps.ts';
import { createProvisionHandler, createReconcileHandler } from '../../../functions/app/provisioning.ts';
import type { DiagnosticReport } from '../../../functions/core/diagnose/report.ts';
import { DETAIL_TYPES } from '../../../functions/core/ports.ts';
import type { ProvisionOutcome } from '../../../functions/core/reconcile/types.ts';
import { startVpcStandIn, type VpcStandIn } from '../../kit/vpc-stand-in.ts';
import { startWorld, type World } from '../../kit/world.ts';

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

describe('provisioning handlers', () => {
  it('provision: a TiDB Cluster Detected event takes the cluster to Ready within the invocation', async () => {
    const cluster = world.addCluster();
    const event = { ...sample('cluster-detected.json'), detail: { clusterId: cluster.clusterId } };
    const handler = createProvisionHandler(async () => world.deps, logger);
    const outcome = (await handler(event, lambdaContext(900_000))) as ProvisionOutcome;
    expect(outcome).toMatchObject({ clusterId: cluster.clusterId, phase: 'Ready' });
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
    const handler = createProvisionHandler(async () => world.deps, logger);
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
    const metrics = new Metrics({ namespace: 'TidbPrivateLinkTest' });
    const counted: Array<[string, number]> = [];
    vi.spyOn(metrics, 'addMetric').mockImplementation((name: string, _unit: unknown, value: number) => {
      counted.push([name, value]);
      return metrics;
    });
    vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);
    const handler = createReconcileHandler(async () => world.deps, spying, metrics);
    const { clusters } = (await handler(sample('schedule-tick.json'), lambdaContext(900_000))) as {
      clusters: ProvisionOutcome[];
    };
    expect(clusters.find((c) => c.clusterId === ok.clusterId)?.phase).toBe('Ready');
    expect(clusters.find((c) => c.clusterId === broken.clusterId)).toMatchObject({ phase: 'Error' });
    expect(errors).toEqual([
      ['cluster reconcile failed', expect.objectContaining({ clusterId: broken.clusterId })],
    ]);
    expect(counted).toEqual(
      expect.arrayContaining([
        ['ClustersError', 1],
        ['ClustersReady', 1],
      ]),
    );
  });

  it('reconcile: throws when the pass itself cannot run (the cluster listing fails)', async () => {
    world.addCluster();
    world.sim.faults.failPath('/clusters', 503);
    const handler = createReconcileHandler(async () => world.deps, logger);
    await expect(handler(sample('schedule-tick.json'), lambdaContext(900_000))).rejects.toThrow(/HTTP 503/);
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

  function diagnosticsDeps(metrics: Metrics): DiagnosticsDeps {
    return {
      ...world.cliDeps,
      dataPlane: vpc.dataPlane,
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
    const handler = createTroubleshootHandler(async () => diagnosticsDeps(new Metrics()), logger);
    const direct = (await handler(
      { clusterId: cluster.clusterId },
      lambdaContext(10_000),
    )) as DiagnosticReport;
    expect(direct).toMatchObject({ clusterId: cluster.clusterId, healthy: true });
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
  async function probeRun(): Promise<{ emf: Array<Record<string, unknown>>; summary: unknown }> {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    let summary: unknown;
    try {
      // As the handler module builds it: the namespace constant, the service from POWERTOOLS_SERVICE_NAME
      // (the stack's name).
      const metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName: 'tidb-privatelink-dev' });
      const handler = createProbeHandler(async () => diagnosticsDeps(metrics), logger, metrics);
      summary = await handler({}, lambdaContext(300_000));
    } finally {
      spy.mockRestore();
    }
    const emf = lines
      .flatMap((line) => line.split('\n'))
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    return { emf, summary };
  }

  /** The record carrying `metric`, with its namespace and dimension sets from the EMF metadata. */
  function recordWith(emf: Array<Record<string, unknown>>, metric: string) {
    const record = emf.find((candidate) => metric in candidate);
    const meta = (record?._aws as { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][] }> })
      ?.CloudWatchMetrics[0];
    return { record, namespace: meta?.Namespace, dimensions: meta?.Dimensions };
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
    const { emf, summary } = await probeRun();
    expect(summary).toMatchObject({ probed: 1, healthy: 1 });
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
