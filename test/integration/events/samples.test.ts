import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clusterKeyOf,
  PROVISION_TRIGGERS,
  TROUBLESHOOT_TRIGGERS,
} from '../../../functions/app/inbound-events.ts';
import { type AppEvent, DETAIL_TYPES } from '../../../functions/core/ports.ts';
import { probeAll } from '../../../functions/core/probe/probe.ts';
import { provision, reconcileAll } from '../../../functions/core/reconcile/reconcile.ts';
import { orphanLifecycle } from '../../../testing/orphan-scenario.ts';
import { schemaErrors } from '../../../testing/report-schema.ts';
import { startVpcStandIn, type VpcStandIn } from '../../../testing/vpc-stand-in.ts';
import { startWorld, type World } from '../../../testing/world.ts';

const EVENTS_DIR = new URL('../../../events/', import.meta.url);
const samples = readdirSync(EVENTS_DIR)
  .filter((name) => name.endsWith('.json'))
  .map((name) => ({
    name,
    event: JSON.parse(readFileSync(new URL(name, EVENTS_DIR), 'utf8')) as Record<string, unknown>,
  }));
const envelopes = samples.filter(({ event }) => 'detail-type' in event);
const sampleOf = (detailType: string) =>
  envelopes.find(({ event }) => event['detail-type'] === detailType)?.event;

/** Runs the real code once through every outcome so the samples can be compared with what it emits. */
async function emitEverything(world: World, vpc: VpcStandIn): Promise<AppEvent[]> {
  const cluster = world.addCluster({ displayName: 'orders', port: vpc.port });
  vpc.serve(cluster.serviceDnsName, cluster.serviceName);
  await reconcileAll(world.deps, { deadline: world.clock.now() + 3_600_000 });
  const paused = world.addCluster({ state: 'PAUSED' });
  await provision(world.deps, { clusterId: paused.clusterId });
  const probeDeps = { ...world.cliDeps, dataPlane: vpc.dataPlane, metrics: { record: () => undefined } };
  await probeAll(probeDeps, {
    region: 'us-east-1',
    dnsServer: vpc.dnsServer,
    timeoutMs: 1500,
    concurrency: 2,
  });
  await orphanLifecycle(world);
  return world.events.published;
}

let world: World;
let vpc: VpcStandIn;
let emitted: AppEvent[];

beforeAll(async () => {
  world = await startWorld();
  vpc = await startVpcStandIn(world.ec2, { sourceCidr: world.ec2.world.cidrBlock });
  emitted = await emitEverything(world, vpc);
});

afterAll(async () => {
  await vpc.close();
  await world.close();
});

describe('events/ samples', () => {
  it('hold one sample of every detail type in DESIGN.md', () => {
    const types = new Set(envelopes.map(({ event }) => event['detail-type']));
    for (const detailType of Object.values(DETAIL_TYPES)) expect(types).toContain(detailType);
  });

  it.each(Object.values(DETAIL_TYPES).filter((t) => t !== DETAIL_TYPES.troubleshootRequested))(
    '%s: the sample has exactly the detail fields the code emits, ids as digit strings',
    (detailType) => {
      const sample = sampleOf(detailType);
      const real = emitted.find((event) => event.detailType === detailType);
      expect(real, `the code never emitted ${detailType}`).toBeDefined();
      expect(sample?.source).toBe('tidb-privatelink');
      const detail = sample?.detail as Record<string, unknown>;
      expect(Object.keys(detail).sort()).toEqual(Object.keys(real?.detail ?? {}).sort());
      expect(detail.clusterId).toMatch(/^\d{19,20}$/);
      expect(detail.tidbNodeGroupId).toMatch(/^\d{19,20}$/);
    },
  );

  it('the Probe Completed sample carries a report valid against schema/diagnostic-report.schema.json', () => {
    expect(schemaErrors(sampleOf(DETAIL_TYPES.probeCompleted)?.detail)).toEqual([]);
  });

  it('the inbound samples are accepted by the functions they target', () => {
    const byName = (name: string) => samples.find((sample) => sample.name === name)?.event;
    expect(clusterKeyOf(byName('troubleshoot-requested.json'), TROUBLESHOOT_TRIGGERS).clusterId).toMatch(
      /^\d+$/,
    );
    expect(clusterKeyOf(byName('invoke-troubleshoot.json'), TROUBLESHOOT_TRIGGERS).clusterId).toMatch(
      /^\d+$/,
    );
    expect(clusterKeyOf(byName('cluster-detected.json'), PROVISION_TRIGGERS).clusterId).toMatch(/^\d+$/);
    expect(clusterKeyOf(byName('invoke-provision.json'), PROVISION_TRIGGERS).clusterId).toMatch(/^\d+$/);
  });
});

describe('inbound event parsing rejects malformed events with one sentence', () => {
  it.each([
    [null, /JSON object with a clusterId/],
    [{}, /clusterId must be a TiDB Cloud cluster id/],
    [{ clusterId: 1379661944 }, /clusterId must be a TiDB Cloud cluster id as a string of digits/],
    [{ clusterId: '13796619446464131xx' }, /string of digits/],
    [
      { 'detail-type': 'PrivateLink Endpoint Ready', detail: { clusterId: '1' } },
      /Unexpected event detail-type/,
    ],
    [{ 'detail-type': 'TiDB Cluster Detected' }, /has no detail object/],
    [{ clusterId: '1', tidbNodeGroupId: 7 }, /tidbNodeGroupId must be a string of digits/],
    [{ clusterId: '1', vpcEndpointId: 'endpoint-1' }, /vpcEndpointId must look like vpce-/],
  ])('%j', (event, message) => {
    expect(() => clusterKeyOf(event, PROVISION_TRIGGERS)).toThrow(message);
  });
});
