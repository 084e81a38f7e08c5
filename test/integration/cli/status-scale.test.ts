/**
 * `status` at fleet scale: with the registry (PRIVATELINK_STATE_TABLE) the service facts come from it, so
 * 1,000 clusters cost two paged listings; without it, the per-cluster reads show progress on a terminal.
 * Every row says whether PRIVATELINK_CLUSTERS selects the cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDataPlane } from '../../../functions/adapters/dataplane/local-data-plane.ts';
import { TidbCloudClient } from '../../../functions/adapters/tidbcloud/client.ts';
import type { CliDeps } from '../../../functions/app/cli-deps.ts';
import { Ec2Fake, type Ec2FakeWithWorld } from '../../../testing/ec2-fake.ts';
import { authorizeEc2Call, enforcedEc2 } from '../../../testing/iam/enforce.ts';
import { authorizerAs, portViews } from '../../../testing/iam/enforce-ports.ts';
import { OPERATOR_READ_ONLY } from '../../../testing/iam/roles.ts';
import { MemoryClusterRegistry } from '../../../testing/registry-fake.ts';
import { runCliWith } from '../../../testing/run-cli.ts';
import type { SimCluster, Simulator } from '../../../testing/tidbcloud-simulator/index.ts';
import { startSimulator } from '../../../testing/tidbcloud-simulator/index.ts';
import { RecordingEvents, VirtualClock } from '../../../testing/world.ts';

const FLEET = 1000;
let sim: Simulator;
let clusters: SimCluster[];
let env: Record<string, string>;

beforeAll(async () => {
  sim = await startSimulator({ serviceReadyMs: 0, rateLimitPerMinute: 100_000 });
  clusters = Array.from({ length: FLEET }, (_, i) =>
    sim.addCluster({ displayName: `app-${String(i).padStart(4, '0')}` }),
  );
  env = {
    TIDB_CLOUD_API_URL: sim.url,
    TIDB_CLOUD_PUBLIC_KEY: sim.publicKey,
    TIDB_CLOUD_PRIVATE_KEY: sim.privateKey,
    AWS_REGION: 'us-east-1',
  };
}, 60_000);

afterAll(() => sim.close());

/** The CLI's parts as a holder of the read-only operator policy sees them: EC2 and the registry under it. */
async function deps(registry?: MemoryClusterRegistry): Promise<CliDeps> {
  const ec2: Ec2FakeWithWorld = Ec2Fake.withDefaultWorld({
    region: 'us-east-1',
    authorize: authorizeEc2Call(() => ec2),
  });
  const { vpcId, subnetIds, securityGroupId } = ec2.world;
  const vpcs = [{ vpcId, subnetIds, securityGroupIds: [securityGroupId] }];
  const operator = await authorizerAs(OPERATOR_READ_ONLY, vpcs);
  return {
    tidb: new TidbCloudClient({
      baseUrl: sim.url,
      publicKey: sim.publicKey,
      privateKey: sim.privateKey,
      requestsPerMinute: 100_000,
    }),
    ec2: enforcedEc2(ec2, operator),
    events: new RecordingEvents(),
    clock: new VirtualClock(),
    dataPlane: new LocalDataPlane(),
    preflight: () => {
      throw new Error('status never runs preflight');
    },
    ...(registry ? { registry: portViews(operator).registry(registry) } : {}),
  };
}

interface Row {
  clusterId: string;
  selected: boolean;
  privateLinkService: { state: string; serviceName: string } | null;
}

describe('status at scale', () => {
  it('with the registry, 1,000 clusters cost at most 25 TiDB calls and show the recorded services', async () => {
    const registry = new MemoryClusterRegistry();
    for (const cluster of clusters) {
      await registry.recordService(cluster.clusterId, {
        state: 'ACTIVE',
        serviceName: cluster.serviceName,
        availableZones: cluster.availableZones,
      });
    }
    sim.clearRequests();
    const run = await runCliWith(['status', '--json'], env, await deps(registry));
    expect(run.code).toBe(0);
    const rows = (JSON.parse(run.stdout) as { clusters: Row[] }).clusters;
    expect(rows).toHaveLength(FLEET);
    expect(rows[7]?.privateLinkService).toEqual({
      state: 'ACTIVE',
      serviceName: clusters[7]?.serviceName,
      availableZones: clusters[7]?.availableZones,
    });
    expect(sim.requests.length).toBeLessThanOrEqual(25);
    expect(sim.stats().byOperation.getPrivateLinkService).toBeUndefined();
  }, 60_000);

  it('a cluster the registry has no service for is still read from TiDB', async () => {
    const registry = new MemoryClusterRegistry();
    sim.clearRequests();
    const run = await runCliWith(
      ['status', '--json'],
      { ...env, PRIVATELINK_CLUSTERS: 'app-000?' },
      await deps(registry),
    );
    const rows = (JSON.parse(run.stdout) as { clusters: Row[] }).clusters;
    expect(rows.every((row) => row.privateLinkService?.state === 'ACTIVE')).toBe(true);
    expect(sim.stats().byOperation.getPrivateLinkService).toBe(FLEET);
    // PRIVATELINK_CLUSTERS marks, it does not hide: status shows every cluster in the region.
    expect(rows.filter((row) => row.selected).map((row) => row.clusterId)).toEqual(
      clusters.slice(0, 10).map((cluster) => cluster.clusterId),
    );
  }, 60_000);

  it('without the registry, a terminal sees progress on stderr (and --json stdout stays clean)', async () => {
    const run = await runCliWith(['status', '--json'], env, await deps(), { stderrIsTerminal: true });
    expect(run.code).toBe(0);
    const progress = run.stderr.split('\n').filter((line) => line.startsWith('status: read'));
    expect(progress.length).toBeGreaterThanOrEqual(10);
    expect(progress.at(-1)).toContain(`${FLEET}/${FLEET}`);
    expect(JSON.parse(run.stdout).clusters).toHaveLength(FLEET);
    const quiet = await runCliWith(['status', '--json'], env, await deps());
    expect(quiet.stderr).not.toContain('status: read');
  }, 60_000);
});
