import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../../../testing/run-cli.ts';
import { type Simulator, startSimulator } from '../../../testing/tidbcloud-simulator/index.ts';

/** The real bin, in a child process, against the simulator over HTTP: what a user sees. */
let sim: Simulator;
let env: Record<string, string>;

beforeAll(async () => {
  // status reads each cluster's service (130 calls): a key with a raised quota, so the test needs no minute.
  sim = await startSimulator({ serviceReadyMs: 0, rateLimitPerMinute: 1000 });
  for (let i = 0; i < 130; i++) sim.addCluster({ displayName: `app-${String(i).padStart(3, '0')}` });
  sim.addCluster({ regionId: 'aws-eu-west-1' });
  env = {
    TIDB_CLOUD_API_URL: sim.url,
    TIDB_CLOUD_PUBLIC_KEY: sim.publicKey,
    TIDB_CLOUD_PRIVATE_KEY: sim.privateKey,
    AWS_REGION: 'us-east-1',
    TIDB_CLOUD_REQUESTS_PER_MINUTE: '1000',
  };
});

afterAll(async () => {
  await sim.close();
});

const noStack = (text: string) => expect(text).not.toMatch(/^\s+at /m);

describe('tidb-privatelink status', () => {
  it('--json lists every cluster of this region across several pages, with its private link service', async () => {
    sim.clearRequests();
    const run = await spawnCli(['status', '--json'], env);
    expect(run.code).toBe(0);
    const { clusters } = JSON.parse(run.stdout) as {
      clusters: Array<{
        clusterId: string;
        regionId: string;
        privateLinkService: { state: string; serviceName: string };
      }>;
    };
    expect(clusters).toHaveLength(130);
    expect(new Set(clusters.map((c) => c.regionId))).toEqual(new Set(['aws-us-east-1']));
    expect(clusters[0]?.privateLinkService).toMatchObject({
      state: 'ACTIVE',
      serviceName: expect.stringMatching(/^com\.amazonaws\.vpce\.us-east-1\.vpce-svc-[0-9a-f]{17}$/),
    });
    expect(clusters.every((c) => /^\d{19,20}$/.test(c.clusterId))).toBe(true);
    const listPages = sim.requests.filter((r) => r.operation === 'listClusters' && r.status === 200);
    expect(listPages.length).toBe(2);
    expect(listPages.every((r) => r.query.get('pageSize') === '100')).toBe(true);
  });

  it('prints a table for people, with the endpoint columns unknown without a VPC', async () => {
    const run = await spawnCli(['status'], env);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toMatch(
      /^CLUSTER\s+NAME\s+STATE\s+ENDPOINT\s+AWS\s+TIDB\s+DNS\s+HEALTH$/,
    );
    expect(run.stdout).toContain('app-000');
    expect(run.stderr).toContain('PRIVATELINK_VPC_ID is not set');
  });

  it('waits out a 429 burst as X-Ratelimit-Reset says, then succeeds', async () => {
    sim.faults.rateLimitBurst(3, 1);
    const started = Date.now();
    const run = await spawnCli(['status', '--json'], env);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).clusters).toHaveLength(130);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('exits 2 naming both key variables when the key is wrong', async () => {
    const run = await spawnCli(['status'], { ...env, TIDB_CLOUD_PRIVATE_KEY: 'wrong' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('TIDB_CLOUD_PUBLIC_KEY');
    expect(run.stderr).toContain('TIDB_CLOUD_PRIVATE_KEY');
    expect(run.stderr).not.toContain('wrong');
    expect(run.stdout).toBe('');
    noStack(run.stderr);
  });

  it('exits 2 saying the API is unreachable when nothing listens', async () => {
    const down = await startSimulator();
    const url = down.url;
    await down.close();
    const run = await spawnCli(['status'], { ...env, TIDB_CLOUD_API_URL: url });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unreachable/i);
    noStack(run.stderr);
  }, 60_000);
});

describe('bad input: one clear sentence, exit 2, nothing done', () => {
  it.each([
    [['status', '--bogus'], /Unknown option '--bogus'/],
    [['frobnicate'], /Unknown command "frobnicate"/],
    [['provision', '--cluster', '12ab'], /--cluster must be a numeric TiDB Cloud id; got "12ab"/],
    [['provision'], /--cluster <id> is required/],
    [['provision', '--cluster', '1', '--timeout-s', 'soon'], /--timeout-s must be a positive whole number/],
  ])('%j', async (args, message) => {
    sim.clearRequests();
    const run = await spawnCli(args, env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(sim.requests).toHaveLength(0);
  });

  it('lists every missing setting at once', async () => {
    const run = await spawnCli(['provision', '--cluster', '1379661944646413143'], {});
    expect(run.code).toBe(2);
    for (const name of [
      'TIDB_CLOUD_PUBLIC_KEY',
      'AWS_REGION',
      'PRIVATELINK_VPC_ID',
      'PRIVATELINK_SUBNET_IDS',
    ]) {
      expect(run.stderr).toContain(name);
    }
    noStack(run.stderr);
  });

  it('--help prints usage and exits 0', async () => {
    const run = await spawnCli(['provision', '--help'], {});
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: tidb-privatelink provision --cluster <clusterId>');
  });
});
