/**
 * The events the code emits, validated against schema/events/<detail-type>.schema.json. Not the samples: the
 * real reconcile, provision, probe and troubleshoot run against the TiDB Cloud simulator, the EC2 fake and the
 * VPC stand-in, through healthy, blocked and broken paths; what they publish goes through the real
 * EventBridgeAdapter (its PutEvents entries are captured) and is delivered as EventBridge wraps it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBridgeAdapter } from '../../../functions/adapters/aws/eventbridge.ts';
import { PowertoolsProbeMetrics } from '../../../functions/adapters/powertools-metrics.ts';
import { createTroubleshootHandler } from '../../../functions/app/diagnostics.ts';
import type { DiagnosticReport } from '../../../functions/core/diagnose/report.ts';
import { type AppEvent, DETAIL_TYPES } from '../../../functions/core/ports.ts';
import { probeAll } from '../../../functions/core/probe/probe.ts';
import { provision, reconcileAll } from '../../../functions/core/reconcile/reconcile.ts';
import { orphanLifecycle } from '../../../testing/orphan-scenario.ts';
import {
  EVENT_SCHEMA_FILES,
  eventSchemaErrors,
  eventSchemaFile,
  schemaErrors,
} from '../../../testing/report-schema.ts';
import { startVpcStandIn, type VpcStandIn } from '../../../testing/vpc-stand-in.ts';
import { startWorld, type World } from '../../../testing/world.ts';
import { stubClient } from '../../unit/adapters/aws/sdk-stub.ts';

/** What a rule's target receives for a PutEvents entry: EventBridge adds the envelope around the detail. */
function delivered(entry: Record<string, unknown>, index: number) {
  return {
    version: '0',
    id: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    'detail-type': entry.DetailType,
    source: entry.Source,
    account: '123456789012',
    time: '2026-01-01T00:00:00Z',
    region: 'us-east-1',
    resources: entry.Resources ?? [],
    detail: JSON.parse(String(entry.Detail)) as unknown,
  };
}

/** Sends the events through the production adapter and returns them as EventBridge would deliver them. */
async function throughEventBridge(events: AppEvent[]) {
  const client = new EventBridgeClient({ region: 'us-east-1' });
  const calls = stubClient(client, () => ({ FailedEntryCount: 0, Entries: [] }));
  await new EventBridgeAdapter({ client, eventBusName: 'default', source: 'tidb-privatelink' }).publish(
    events,
  );
  const entries = calls.flatMap((call) => call.input.Entries as Array<Record<string, unknown>>);
  return entries.map(delivered);
}

function lambdaContext(remainingMs: number): Context {
  return {
    getRemainingTimeInMillis: () => remainingMs,
    functionName: 'troubleshoot',
    awsRequestId: 'req-1',
  } as Partial<Context> as Context;
}

const sample = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../../events/${name}`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;

let world: World;
let vpc: VpcStandIn;
let events: ReturnType<typeof delivered>[];
let troubleshootResult: DiagnosticReport;

/** Healthy, blocked and broken paths of every part that publishes. */
async function runEverything(): Promise<AppEvent[]> {
  const cluster = world.addCluster({ displayName: 'orders', port: vpc.port });
  vpc.serve(cluster.serviceDnsName, cluster.serviceName);
  vpc.admit(world.ec2.world.securityGroupId);
  await reconcileAll(world.deps, { deadline: world.clock.now() + 3_600_000 });
  const paused = world.addCluster({ state: 'PAUSED' });
  await provision(world.deps, { clusterId: paused.clusterId });
  const elsewhere = world.addCluster({ regionId: 'aws-eu-west-1' });
  await provision(world.deps, { clusterId: elsewhere.clusterId });
  const diagnosticsDeps = {
    ...(await world.partsFor('probe', vpc.dataPlane)),
    metrics: new PowertoolsProbeMetrics(new Metrics()),
    settings: { region: 'us-east-1', dnsServer: vpc.dnsServer, timeoutMs: 1500, concurrency: 2 },
  };
  await probeAll(diagnosticsDeps, diagnosticsDeps.settings);
  // Someone tidies the security group: the next probe finds it unhealthy, with the failing checks.
  vpc.revoke(world.ec2.world.securityGroupId);
  await probeAll(diagnosticsDeps, diagnosticsDeps.settings);
  const troubleshoot = createTroubleshootHandler(
    async () => ({
      ...diagnosticsDeps,
      settings: { ...diagnosticsDeps.settings, vpcId: world.settings.vpcId },
    }),
    new Logger({ serviceName: 'tidb-privatelink', logLevel: 'SILENT' }),
  );
  const request = { ...sample('troubleshoot-requested.json'), detail: { clusterId: cluster.clusterId } };
  troubleshootResult = (await troubleshoot(request, lambdaContext(10_000))) as DiagnosticReport;
  await orphanLifecycle(world);
  return world.events.published;
}

beforeAll(async () => {
  world = await startWorld();
  vpc = await startVpcStandIn(world.ec2, { sourceCidr: world.ec2.world.cidrBlock });
  events = await throughEventBridge(await runEverything());
}, 60_000);

afterAll(async () => {
  await vpc.close();
  await world.close();
});

describe('schema/events', () => {
  it('has a schema for every detail type, named after it in kebab case', () => {
    for (const detailType of Object.values(DETAIL_TYPES)) {
      expect(EVENT_SCHEMA_FILES).toContain(eventSchemaFile(detailType));
    }
    const files = readdirSync(new URL('../../../schema/events/', import.meta.url));
    for (const file of files) {
      const schema = JSON.parse(
        readFileSync(new URL(`../../../schema/events/${file}`, import.meta.url), 'utf8'),
      ) as { title: string };
      expect(eventSchemaFile(schema.title)).toBe(file);
    }
  });

  it('the code emitted every outbound detail type in these runs', () => {
    const emitted = new Set(events.map((event) => event['detail-type']));
    for (const detailType of Object.values(DETAIL_TYPES)) {
      if (detailType !== DETAIL_TYPES.troubleshootRequested) expect(emitted).toContain(detailType);
    }
    const healths = events
      .filter((event) => event['detail-type'] === DETAIL_TYPES.healthChanged)
      .map((event) => (event.detail as { current: string }).current);
    expect(healths).toEqual(['healthy', 'unhealthy']);
  });

  it('every emitted event validates against the schema of its detail type', () => {
    expect(events.length).toBeGreaterThan(8);
    for (const event of events) {
      expect(
        eventSchemaErrors(event),
        `${String(event['detail-type'])}: ${JSON.stringify(event.detail)}`,
      ).toEqual([]);
    }
  });

  it('the troubleshoot result validates against the report schema, its event against Probe Completed', () => {
    expect(schemaErrors(troubleshootResult)).toEqual([]);
    const requested = events.filter(
      (event) => (event.detail as { requestedBy?: string }).requestedBy === 'troubleshoot',
    );
    expect(requested).toHaveLength(1);
    expect(eventSchemaErrors(requested[0] ?? {})).toEqual([]);
  });

  it('the events/ samples validate too', () => {
    const dir = new URL('../../../events/', import.meta.url);
    const envelopes = readdirSync(dir)
      .map((name) => sample(name))
      .filter((event) => typeof event['detail-type'] === 'string' && event.source !== 'aws.events');
    expect(envelopes.length).toBeGreaterThanOrEqual(7);
    for (const event of envelopes) expect(eventSchemaErrors(event)).toEqual([]);
  });

  it('accept new Blocked reasons and every documented phase, but not a detail without its ids', () => {
    const blocked = events.find((event) => event['detail-type'] === DETAIL_TYPES.provisioningBlocked);
    const progressed = events.find((event) => event['detail-type'] === DETAIL_TYPES.provisioningProgressed);
    if (!blocked || !progressed) throw new Error('the runs emitted no Blocked or Progressed event');
    const withDetail = <T extends { detail: unknown }>(event: T, change: Record<string, unknown>) => ({
      ...event,
      detail: { ...(event.detail as object), ...change },
    });
    expect(eventSchemaErrors(withDetail(blocked, { reason: 'PENDING_TOO_LONG' }))).toEqual([]);
    expect(eventSchemaErrors(withDetail(blocked, { reason: 'not a code' }))).not.toEqual([]);
    for (const phase of ['Idle', 'Orphaned', 'Error', 'Ready'])
      expect(eventSchemaErrors(withDetail(progressed, { phase }))).toEqual([]);
    expect(eventSchemaErrors(withDetail(progressed, { phase: 'Done' }))).not.toEqual([]);
    expect(eventSchemaErrors(withDetail(blocked, { clusterId: undefined }))).not.toEqual([]);
    expect(eventSchemaErrors({ ...blocked, source: 'aws.ec2' })).not.toEqual([]);
    // Probe Completed holds the report: a fail without its fix breaks it, as in the report schema.
    const completed = events.find((event) => event['detail-type'] === DETAIL_TYPES.probeCompleted);
    if (!completed) throw new Error('the runs emitted no Probe Completed event');
    const noFix = { checks: [{ id: 'tcp.connect', status: 'fail', summary: 'dropped' }] };
    expect(eventSchemaErrors(withDetail(completed, noFix))).not.toEqual([]);
  });
});
