/**
 * The probe's health record on moto's DynamoDB over real HTTP: of overlapping probe runs (the one `Endpoint
 * Ready` starts and the schedule's), exactly one reports each flip; an unchanged health writes nothing.
 */
import { Agent } from 'node:http';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  inject,
  it,
  onTestFinished,
} from 'vitest';
import {
  DynamoDbClusterRegistry,
  HEALTH_ROW_RETAIN_S,
  KEY_ATTRIBUTE,
  TTL_ATTRIBUTE,
} from '../../functions/adapters/aws/dynamodb-registry.ts';
import { eventBridgeEvents } from '../../functions/app/eventbridge-events.ts';
import { createDiagnosticsDeps } from '../../functions/app/lambda-deps.ts';
import { loadConfig } from '../../functions/config.ts';
import { DETAIL_TYPES, type HealthRecordPort } from '../../functions/core/ports.ts';
import { type ProbeDeps, type ProbeSettings, probeAll } from '../../functions/core/probe/probe.ts';
import { provision } from '../../functions/core/reconcile/reconcile.ts';
import type { Authorizer } from '../../testing/iam/enforce.ts';
import { motoProxy } from '../../testing/iam/moto-proxy.ts';
import { sandboxPrincipals } from '../../testing/iam/sandbox-roles.ts';
import { sandboxClientConfig } from '../../testing/moto-world.ts';
import { createStateTable, type SandboxTable } from '../../testing/state-table.ts';
import { startVpcStandIn, type VpcStandIn } from '../../testing/vpc-stand-in.ts';
import { startWorld, type World } from '../../testing/world.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');
let table: SandboxTable;
let serial: DynamoDBClient;
let registry: DynamoDbClusterRegistry;

beforeAll(async () => {
  const config = { endpointUrl: inject('awsEndpointUrl'), region: inject('awsRegion') };
  table = await createStateTable(config);
  // DynamoDB applies the writes to one item one at a time, checking each one's condition; moto's threaded
  // server checks and writes without a lock, so two writes on two connections can both pass a condition
  // that only one of them may. One connection gives moto DynamoDB's order: the writes still race (each run
  // sends its write before knowing the other's outcome), they are only applied one after the other.
  // The probe's own client: its health writes are decided against its packaged role by the IAM proxy first
  // (which forwards one request at a time as it gets them, so the order holds).
  const principals = await sandboxPrincipals({ stateTable: table.tableName });
  serial = new DynamoDBClient({
    ...sandboxClientConfig(config, { as: principals.as('probe') }),
    requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: 1 }) },
  });
  registry = new DynamoDbClusterRegistry(serial, table.tableName);
}, 120_000);

afterAll(async () => {
  serial?.destroy();
  await table?.drop();
});

/** Counts the conditional writes the probe makes, to show that an unchanged health makes none. */
function counting(record: HealthRecordPort): HealthRecordPort & { writes: number } {
  const counted = {
    writes: 0,
    recordHealth: (...args: Parameters<HealthRecordPort['recordHealth']>) => {
      counted.writes += 1;
      return record.recordHealth(...args);
    },
  };
  return counted;
}

describe('DynamoDbClusterRegistry.recordHealth on moto', () => {
  const key = { vpcEndpointId: 'vpce-0health0001', clusterId: '1379661944646413101', tidbNodeGroupId: 'ng' };

  it('lets exactly one of many concurrent writers of the same flip report it, naming what it replaced', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => registry.recordHealth(key, 'healthy', T0 + i)),
    );
    expect(results.filter((result) => result.changed)).toEqual([{ changed: true, previous: null }]);
    expect(await registry.recordHealth(key, 'unhealthy', T0 + 60_000)).toEqual({
      changed: true,
      previous: 'healthy',
    });
    expect(await registry.recordHealth(key, 'unhealthy', T0 + 120_000)).toEqual({ changed: false });
  });

  it('keeps its row apart from the cluster rows, expiring a while after the last flip', async () => {
    const other = { ...key, vpcEndpointId: 'vpce-0health0002' };
    await registry.recordHealth(other, 'healthy', T0);
    const { Item } = await table.client.send(
      new GetItemCommand({
        TableName: table.tableName,
        Key: { [KEY_ATTRIBUTE]: { S: `health#${other.vpcEndpointId}` } },
      }),
    );
    expect(Item?.health).toEqual({ S: 'healthy' });
    expect(Item?.[TTL_ATTRIBUTE]).toEqual({ N: String(T0 / 1000 + HEALTH_ROW_RETAIN_S) });
    // The test's own look (the probe never lists): around the proxy.
    const rows = await new DynamoDbClusterRegistry(table.client, table.tableName).list();
    expect(rows.map((row) => row.clusterId)).not.toContain(other.clusterId);
  });
});

describe('two overlapping probe runs with the health record on moto', () => {
  let world: World;
  let vpc: VpcStandIn;
  let deps: ProbeDeps;
  let settings: ProbeSettings;
  const clusterIds: string[] = [];

  beforeEach(async () => {
    world = await startWorld();
    vpc = await startVpcStandIn(world.ec2, {
      sourceCidr: world.ec2.world.cidrBlock,
      addresses: ['127.0.0.21', '127.0.0.22', '127.0.0.23', '127.0.0.24'],
    });
    clusterIds.length = 0;
    for (const name of ['first', 'second']) {
      const cluster = world.addCluster({ displayName: name, port: vpc.port });
      vpc.serve(cluster.serviceDnsName, cluster.serviceName);
      const outcome = await provision(
        world.deps,
        { clusterId: cluster.clusterId },
        { deadline: world.clock.now() + 3_600_000 },
      );
      expect(outcome.phase).toBe('Ready');
      clusterIds.push(cluster.clusterId);
    }
    deps = { ...world.cliDeps, dataPlane: vpc.dataPlane, metrics: { record: () => undefined } };
    settings = { region: 'us-east-1', dnsServer: vpc.dnsServer, timeoutMs: 1500, concurrency: 4 };
    world.events.published.length = 0;
  });

  afterEach(async () => {
    await vpc.close();
    await world.close();
  });

  const flipsOf = (clusterId: string) =>
    world.events
      .ofType(DETAIL_TYPES.healthChanged)
      .filter((event) => event.detail.clusterId === clusterId)
      .map((event) => `${event.detail.previous}→${event.detail.current}`);

  it('reports each flip of each endpoint exactly once, and writes nothing while health holds', async () => {
    const record = counting(registry);
    const recorded: ProbeDeps = { ...deps, healthRecord: record };
    const [first] = clusterIds as [string, string];
    const overlapping = () =>
      Promise.all([probeAll(recorded, settings, {}, { clusterId: first }), probeAll(recorded, settings)]);
    const group = world.ec2.world.securityGroupId;

    vpc.admit(group);
    await overlapping();
    for (const clusterId of clusterIds) expect(flipsOf(clusterId)).toEqual(['null→healthy']);

    const writes = record.writes;
    await overlapping();
    expect(record.writes).toBe(writes);

    vpc.revoke(group);
    await overlapping();
    for (const clusterId of clusterIds)
      expect(flipsOf(clusterId)).toEqual(['null→healthy', 'healthy→unhealthy']);
    expect(world.events.ofType(DETAIL_TYPES.probeCompleted)).toHaveLength(9);
  });
});

describe('the probe function with and without the state table', () => {
  it('records health in the table when PRIVATELINK_STATE_TABLE is set, and has no record without it', async () => {
    const arn = await createSecret('probe-health-key', { publicKey: 'pub', privateKey: 'priv' });
    const principals = await sandboxPrincipals({ stateTable: table.tableName, apiKeySecretArn: arn });
    const env = await functionEnv(principals.as('probe'), { TIDB_CLOUD_API_KEY_SECRET_ARN: arn });
    const metrics = new Metrics({ namespace: 'TidbPrivateLink', serviceName: 'probe-health' });
    const withTable = await createDiagnosticsDeps(
      loadConfig({ ...env, PRIVATELINK_STATE_TABLE: table.tableName }, DIAGNOSTICS),
      metrics,
      eventBridgeEvents,
    );
    const key = {
      vpcEndpointId: 'vpce-0health0003',
      clusterId: '1379661944646413103',
      tidbNodeGroupId: 'ng',
    };
    expect(await withTable.healthRecord?.recordHealth(key, 'unhealthy', T0)).toEqual({
      changed: true,
      previous: null,
    });
    expect(await registry.recordHealth(key, 'unhealthy', T0 + 1)).toEqual({ changed: false });
    const withoutTable = await createDiagnosticsDeps(
      loadConfig(env, DIAGNOSTICS),
      metrics,
      eventBridgeEvents,
    );
    expect(withoutTable.healthRecord).toBeUndefined();
  });

  it.each(['probe', 'troubleshoot'] as const)(
    'the %s reads the SQL login secret (TIDB_SQL_SECRET_ARN) under its own role; the reconcile may not',
    async (fn) => {
      const apiKey = await createSecret(`${fn}-key`, { publicKey: 'pub', privateKey: 'priv' });
      const sql = await createSecret(`${fn}-sql`, { user: 'prober', password: 'not-logged' });
      const principals = await sandboxPrincipals({ apiKeySecretArn: apiKey, sqlSecretArn: sql });
      const metrics = new Metrics({ namespace: 'TidbPrivateLink', serviceName: 'probe-health' });
      const settings = { TIDB_CLOUD_API_KEY_SECRET_ARN: apiKey, TIDB_SQL_SECRET_ARN: sql };
      const own = await functionEnv(principals.as(fn), settings);
      const deps = await createDiagnosticsDeps(loadConfig(own, DIAGNOSTICS), metrics, eventBridgeEvents);
      expect(deps.settings.credentials).toEqual({ user: 'prober', password: 'not-logged' });

      const other = await functionEnv(principals.as('reconcile'), settings);
      await expect(
        createDiagnosticsDeps(loadConfig(other, DIAGNOSTICS), metrics, eventBridgeEvents),
      ).rejects.toThrow(/not authorized to perform: secretsmanager:GetSecretValue/);
    },
  );
});

const DIAGNOSTICS = { apiKeys: 'secret', probe: true } as const;

/** A secret in moto (any principal's test setup, outside IAM); its ARN, with moto's suffix. */
async function createSecret(name: string, value: Record<string, string>): Promise<string> {
  const secrets = new SecretsManagerClient({
    region: inject('awsRegion'),
    endpoint: inject('awsEndpointUrl'),
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  try {
    const { ARN } = await secrets.send(
      new CreateSecretCommand({ Name: `${name}-${Date.now()}`, SecretString: JSON.stringify(value) }),
    );
    if (!ARN) throw new Error('moto returned no secret ARN');
    return ARN;
  } finally {
    secrets.destroy();
  }
}

/**
 * A function's environment as Lambda gives it: its keys in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (the SDK's
 * clients read them from there), moto behind the IAM proxy as the endpoint; restored when the test ends.
 */
async function functionEnv(
  as: Authorizer,
  settings: Record<string, string>,
): Promise<Record<string, string>> {
  const proxy = await motoProxy({ endpointUrl: inject('awsEndpointUrl'), region: inject('awsRegion') });
  const keys = proxy.principal(as);
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: keys.accessKeyId,
    AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
  });
  onTestFinished(() => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: saved.id, AWS_SECRET_ACCESS_KEY: saved.secret });
  });
  return {
    AWS_REGION: inject('awsRegion'),
    AWS_ENDPOINT_URL: proxy.url,
    PRIVATELINK_VPC_ID: 'vpc-0123456789abcdef0',
    PRIVATELINK_SUBNET_IDS: 'subnet-0123456789abcdef0',
    PRIVATELINK_DATA_PLANE_FUNCTION: 'data-plane',
    ...settings,
  };
}
