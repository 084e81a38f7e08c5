/**
 * `status` in a terminal's width: the default table fits 120 columns with the ids the APIs really hand out
 * (the simulator's 19-digit cluster ids, EC2's 17-hex endpoint ids) and a long display name; `--wide` adds
 * the rest; `--json` is the same document with or without it. In-process, on the simulator and the EC2 fake.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliAsOperator } from '../../../testing/operator-cli.ts';
import { cliEnvOf, startWorld, type World } from '../../../testing/world.ts';

const LONG_NAME = 'orders-primary-eu-central-reporting-and-analytics-cluster-000001';
const ROW_FIELDS = [
  'clusterId',
  'connectionState',
  'displayName',
  'endpointState',
  'health',
  'privateDnsEnabled',
  'privateLinkService',
  'regionId',
  'selected',
  'state',
  'tidbNodeGroupId',
  'vpcEndpointId',
];

let world: World;
const cli = (args: string[]) => runCliAsOperator(world, args, cliEnvOf(world));

beforeAll(async () => {
  world = await startWorld();
  const long = world.addCluster({ displayName: LONG_NAME });
  world.addCluster({ displayName: 'billing' });
  const made = await cli(['provision', '--cluster', long.clusterId, '--wait']);
  expect(made.code).toBe(0);
});

afterAll(async () => {
  await world.close();
});

const widest = (text: string) => Math.max(...text.split('\n').map((line) => line.length));

describe('status width', () => {
  it('fits 120 columns by default: cluster, name, state, endpoint, AWS, TiDB, DNS, health', async () => {
    const run = await cli(['status']);
    expect(run.code).toBe(0);
    expect(widest(run.stdout)).toBeLessThanOrEqual(120);
    const [header, ...rows] = run.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^CLUSTER\s+NAME\s+STATE\s+ENDPOINT\s+AWS\s+TIDB\s+DNS\s+HEALTH$/);
    expect(rows.join('\n')).toMatch(/\d{19}\s+\S+\s+ACTIVE\s+vpce-[0-9a-f]{17}\s+available\s+ACTIVE\s+on/);
  });

  it('--wide adds the service, its AZs and the selection, and shows the whole name', async () => {
    const run = await cli(['status', '--wide']);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toMatch(/SERVICE\s+SERVICE NAME\s+AZS\s+ENDPOINT.*SELECTED$/);
    expect(run.stdout).toContain(LONG_NAME);
    expect(run.stdout).toMatch(/com\.amazonaws\.vpce\.us-east-1\.vpce-svc-[0-9a-f]{17}/);
    expect(widest(run.stdout)).toBeGreaterThan(120);
  });

  it('--json is the same document with or without --wide, with the documented fields', async () => {
    const plain = await cli(['status', '--json']);
    const wide = await cli(['status', '--json', '--wide']);
    expect(wide.stdout).toBe(plain.stdout);
    const parsed = JSON.parse(plain.stdout) as {
      clusters: Array<Record<string, unknown>>;
      orphans: unknown[];
    };
    expect(Object.keys(parsed).sort()).toEqual(['clusters', 'orphans']);
    expect(parsed.clusters).toHaveLength(2);
    for (const row of parsed.clusters) expect(Object.keys(row).sort()).toEqual(ROW_FIELDS);
    expect(parsed.clusters.find((row) => row.displayName === LONG_NAME)).toMatchObject({
      endpointState: 'available',
      connectionState: 'ACTIVE',
      privateDnsEnabled: true,
    });
  });

  it('refuses a value for --wide in one sentence (exit 2)', async () => {
    const run = await cli(['status', '--wide=yes']);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('--wide');
  });
});
