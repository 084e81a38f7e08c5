import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clusterKeyOf,
  PROVISION_TRIGGERS,
  TROUBLESHOOT_TRIGGERS,
} from '../../../functions/app/inbound-events.ts';
import type { AppEvent } from '../../../functions/core/ports.ts';
import { probeAll } from '../../../functions/core/probe/probe.ts';
import { provision, reconcileAll } from '../../../functions/core/reconcile/reconcile.ts';
import { orphanLifecycle } from '../../../testing/orphan-scenario.ts';
import { schemaErrors } from '../../../testing/report-schema.ts';
import { startVpcStandIn, type VpcStandIn } from '../../../testing/vpc-stand-in.ts';
import { startWorld, type World } from '../../../testing/world.ts';

/**
 * The detail types as docs/contracts.md lists them: the rows of the first table under "## Events", first
 * column the detail type, second its direction (`out`: the app sends it; `in`: the app receives it).
 * Read from the document, not from the code's DETAIL_TYPES, so a misspelt constant cannot agree with itself.
 */
function documentedDetailTypes(markdown: string): { detailType: string; direction: string }[] {
  const section = markdown.split(/^## /m).find((part) => part.startsWith('Events\n')) ?? '';
  return [...section.matchAll(/^\| `([^`]+)` \| (in|out) \|/gm)].map((match) => ({
    detailType: match[1] ?? '',
    direction: match[2] ?? '',
  }));
}

/** Types in `found` that the document does not list. */
const undocumented = (found: Iterable<string>, documented: readonly string[]): string[] =>
  [...new Set(found)].filter((detailType) => !documented.includes(detailType));

const CONTRACTS = readFileSync(new URL('../../../docs/contracts.md', import.meta.url), 'utf8');
const DOCUMENTED = documentedDetailTypes(CONTRACTS);
const DOCUMENTED_TYPES = DOCUMENTED.map(({ detailType }) => detailType);
const OUTBOUND = DOCUMENTED.filter(({ direction }) => direction === 'out').map(
  ({ detailType }) => detailType,
);

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
  const probeDeps = {
    ...(await world.partsFor('probe', vpc.dataPlane)),
    metrics: { record: () => undefined },
  };
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

describe('the detail types of docs/contracts.md', () => {
  it('are read from its Events table', () => {
    const table =
      '## Events\n\n| detail type | direction |\n| --- | --- |\n| `A Thing Happened` | out |\n| `Do It` | in |\n';
    expect(documentedDetailTypes(table)).toEqual([
      { detailType: 'A Thing Happened', direction: 'out' },
      { detailType: 'Do It', direction: 'in' },
    ]);
    expect(DOCUMENTED_TYPES.length).toBeGreaterThan(0);
    expect(OUTBOUND.length).toBeGreaterThan(0);
  });

  // What the checks below compare would catch in the code: a detail type spelt otherwise than documented.
  it('catch a detail type spelt otherwise than documented', () => {
    expect(undocumented(['PrivateLink Endpoint ready'], DOCUMENTED_TYPES)).toEqual([
      'PrivateLink Endpoint ready',
    ]);
    expect(undocumented(DOCUMENTED_TYPES, DOCUMENTED_TYPES)).toEqual([]);
  });

  it('include every detail type the code emitted', () => {
    expect(
      undocumented(
        emitted.map((event) => event.detailType),
        DOCUMENTED_TYPES,
      ),
    ).toEqual([]);
  });
});

describe('events/ samples', () => {
  it("hold one sample of every detail type in docs/contracts.md, and none other (besides AWS's own)", () => {
    const types = envelopes
      .filter(({ event }) => !String(event.source).startsWith('aws.'))
      .map(({ event }) => String(event['detail-type']));
    for (const detailType of DOCUMENTED_TYPES) expect(types).toContain(detailType);
    expect(undocumented(types, DOCUMENTED_TYPES)).toEqual([]);
  });

  it.each(OUTBOUND)(
    '%s: the code emits it, and the sample has exactly the detail fields it emits, ids as digit strings',
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
    expect(schemaErrors(sampleOf('PrivateLink Probe Completed')?.detail)).toEqual([]);
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
