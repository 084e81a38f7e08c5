/**
 * IAM in front of the in-memory ports (testing/iam/enforce-ports.ts): a principal's view of the state
 * table's fakes, the secret, the data plane, Route 53 and its Resolver, and preflight's reads is decided
 * against its packaged role or operator policy; a denied call fails as the service answers it, before the
 * fake changes, and an allowed one reaches it.
 */
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbLeaseStore } from '../../../functions/adapters/aws/dynamodb-lease.ts';
import { DynamoDbQuotaCounter } from '../../../functions/adapters/aws/dynamodb-quota.ts';
import { DynamoDbClusterRegistry } from '../../../functions/adapters/aws/dynamodb-registry.ts';
import { EventBusLookup } from '../../../functions/adapters/aws/event-buses.ts';
import { LambdaAccountSettings } from '../../../functions/adapters/aws/lambda-account.ts';
import { LambdaDataPlane } from '../../../functions/adapters/aws/lambda-data-plane.ts';
import { Route53Adapter } from '../../../functions/adapters/aws/route53.ts';
import { Route53ResolverAdapter } from '../../../functions/adapters/aws/route53-resolver.ts';
import { SecretsManagerSecrets } from '../../../functions/adapters/aws/secrets.ts';
import { ServiceQuotasAdapter } from '../../../functions/adapters/aws/service-quotas.ts';
import type { DataPlaneProbeInput, DataPlaneResult } from '../../../functions/core/diagnose/ports.ts';
import type { PreflightPorts } from '../../../functions/core/preflight/ports.ts';
import { DnsPathFake } from '../../../testing/dns-path-fake.ts';
import { awsFailureOf } from '../../../testing/iam/enforce.ts';
import {
  authorizerAs,
  DATA_PLANE_FUNCTION,
  dataPlaneRules,
  EVENT_BUS_RULES,
  enforcedPreflight,
  HOSTED_ZONE_RULES,
  IDEMPOTENCY_RULES,
  LAMBDA_ACCOUNT_RULES,
  LEASE_RULES,
  type PortRules,
  QUOTA_COUNTER_RULES,
  REGISTRY_RULES,
  RESOLVER_RULES,
  SECRET_RULES,
  SERVICE_QUOTA_RULES,
} from '../../../testing/iam/enforce-ports.ts';
import { MemoryIdempotencyStore } from '../../../testing/idempotency-fake.ts';
import { MemoryLeaseStore } from '../../../testing/lease-fake.ts';
import { fakePreflightPorts } from '../../../testing/preflight-fakes.ts';
import { MemoryClusterRegistry, MemoryQuotaCounter } from '../../../testing/registry-fake.ts';
import { PACKAGE_ENV } from '../../../testing/serverless-package.ts';
import { startWorld, type World } from '../../../testing/world.ts';

let world: World;

beforeAll(async () => {
  world = await startWorld();
});

afterAll(async () => {
  await world.close();
});

const API_KEY_SECRET = PACKAGE_ENV.TIDB_CLOUD_API_KEY_SECRET_ARN;
const OTHER_SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:someone-elses-AbCdEf';
const HEALTH = { vpcEndpointId: 'vpce-0aaa', clusterId: '1', tidbNodeGroupId: 'g' };

describe('the state table', () => {
  it("refuses the read-only operator's cluster write and lets the reconcile's and the provision operator's through", async () => {
    const registry = new MemoryClusterRegistry();
    const readOnly = (await world.portsFor('operator-read-only')).registry(registry);
    const error = await awsFailureOf(readOnly.recordSighting('10', 'g', 0));
    expect(error?.awsCode).toBe('AccessDeniedException');
    expect(error?.message).toMatch(
      /assumed-role\/operator-read-only\/session is not authorized to perform: dynamodb:UpdateItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table\/StateTable/,
    );
    expect(registry.writes).toBe(0);

    const reconcile = (await world.portsFor('reconcile')).registry(registry);
    expect(await reconcile.recordSighting('10', 'g', 0)).toEqual({ first: true });
    const operator = (await world.portsFor('operator-provision')).registry(registry);
    await operator.setPhase('10', 'Ready', 0);
    expect(registry.rows.get('10')?.phase).toBe('Ready');
  });

  it('lets the reconcile list the rows (one Scan a run) but get none, and the read-only operator read', async () => {
    const registry = new MemoryClusterRegistry();
    await registry.recordSighting('11', 'g', 0);
    const reconcile = (await world.portsFor('reconcile')).registry(registry);
    expect((await awsFailureOf(reconcile.get('11')))?.awsCode).toBe('AccessDeniedException');
    expect(registry.reads).toBe(0);
    expect((await reconcile.list()).map((row) => row.clusterId)).toEqual(['11']);

    const readOnly = (await world.portsFor('operator-read-only')).registry(registry);
    expect((await readOnly.list()).map((row) => row.clusterId)).toEqual(['11']);
    expect(await readOnly.get('11')).toMatchObject({ clusterId: '11' });
  });

  it('records health from the probe, never from the read-only operator', async () => {
    const registry = new MemoryClusterRegistry();
    const readOnly = (await world.portsFor('operator-read-only')).registry(registry);
    expect((await awsFailureOf(readOnly.recordHealth(HEALTH, 'healthy', 0)))?.awsCode).toBe(
      'AccessDeniedException',
    );
    expect(registry.health.size).toBe(0);
    const probe = (await world.portsFor('probe')).registry(registry);
    expect(await probe.recordHealth(HEALTH, 'healthy', 0)).toEqual({ changed: true, previous: null });
  });

  it("counts the read-only operator's TiDB requests, but lets it take no lease", async () => {
    const counter = new MemoryQuotaCounter();
    const leases = new MemoryLeaseStore();
    const readOnly = await world.portsFor('operator-read-only');
    const take = { limit: 95, index: 0, at: 0 };
    expect(await readOnly.quota(counter).tryTake(take)).toEqual({ taken: true });
    expect(counter.taken).toEqual([take]);

    const lease = { holder: 'me', until: 1000 };
    const error = await awsFailureOf(readOnly.lease(leases).tryTake('reconcile', lease, 0));
    expect(error?.awsCode).toBe('AccessDeniedException');
    expect(leases.takes).toBe(0);
    const provision = await world.portsFor('operator-provision');
    expect(await provision.lease(leases).tryTake('reconcile', lease, 0)).toEqual({ taken: true });
    expect(await provision.lease(leases).release('reconcile', lease)).toBe(true);
  });

  it('lets no DynamoDB call of the data plane through, whose role has none', async () => {
    const counter = new MemoryQuotaCounter();
    const dataPlane = await world.portsFor('dataPlane');
    const take = { limit: 95, index: 0, at: 0 };
    expect((await awsFailureOf(dataPlane.quota(counter).tryTake(take)))?.awsCode).toBe(
      'AccessDeniedException',
    );
    expect(counter.taken).toEqual([]);
  });

  it("claims an event's idempotency record as the provision, never as the reconcile (no PutItem)", async () => {
    const claim = async (store: MemoryIdempotencyStore) => {
      store.configure({ config: new IdempotencyConfig({}), keyPrefix: 'provision' });
      await store.saveInProgress({ id: 'event-1' }, 60_000);
    };
    const reconciles = (await world.portsFor('reconcile')).idempotency(new MemoryIdempotencyStore());
    expect((await awsFailureOf(claim(reconciles)))?.awsCode).toBe('AccessDeniedException');
    expect(reconciles.records.size).toBe(0);

    const provisions = (await world.portsFor('provision')).idempotency(new MemoryIdempotencyStore());
    await claim(provisions);
    expect(provisions.records.size).toBe(1);
  });
});

describe('Secrets Manager', () => {
  it('reads the stack API key secret, and no other', async () => {
    const secrets = fakePreflightPorts({
      ec2: world.ec2,
      tidbUrl: world.sim.url,
      secrets: { [API_KEY_SECRET]: '{}', [OTHER_SECRET]: 'not yours' },
    }).secrets;
    const reconcile = (await world.portsFor('reconcile')).secrets(secrets);
    expect(await reconcile.secretString(API_KEY_SECRET)).toBe('{}');
    const error = await awsFailureOf(reconcile.secretString(OTHER_SECRET));
    expect(error?.awsCode).toBe('AccessDeniedException');
    expect(error?.message).toContain(`secretsmanager:GetSecretValue on resource: ${OTHER_SECRET}`);
    expect(error?.message).not.toContain('not yours');
  });
});

describe('the data plane', () => {
  /** A data plane that counts its invocations. */
  function countingDataPlane() {
    const invoked: DataPlaneProbeInput[] = [];
    return {
      invoked,
      async probe(input: DataPlaneProbeInput): Promise<DataPlaneResult> {
        invoked.push(input);
        return { dns: { server: 'system', status: 'nxdomain', addresses: [], durationMs: 1 }, tcp: [] };
      },
    };
  }
  const input: DataPlaneProbeInput = {
    host: 'tidb.example',
    port: 4000,
    expectedAddresses: [],
    timeoutMs: 1000,
  };

  it('is invoked by the probe, and not by the reconcile, whose role has no lambda:InvokeFunction', async () => {
    const fake = countingDataPlane();
    const reconcile = (await world.portsFor('reconcile')).dataPlane(fake);
    const error = await awsFailureOf(reconcile.probe(input));
    expect(error?.awsCode).toBe('AccessDeniedException');
    expect(error?.message).toContain(`function:${DATA_PLANE_FUNCTION}`);
    expect(fake.invoked).toHaveLength(0);

    await (await world.portsFor('probe')).dataPlane(fake).probe(input);
    expect(fake.invoked).toHaveLength(1);
  });

  it("refuses another stack's data plane to the probe", async () => {
    const fake = countingDataPlane();
    const probe = (await world.portsFor('probe')).dataPlane(fake, 'another-stack-dataPlane');
    expect((await awsFailureOf(probe.probe(input)))?.awsCode).toBe('AccessDeniedException');
    expect(fake.invoked).toHaveLength(0);
  });
});

describe('Route 53 and Route 53 Resolver', () => {
  it('are read by the troubleshoot, and refused to the reconcile as each service words it', async () => {
    const dns = new DnsPathFake();
    const reconcile = (await world.portsFor('reconcile')).dnsPath(dns);
    expect(
      (await awsFailureOf(reconcile.listHostedZonesByVpc(world.settings.vpcId, 'us-east-1')))?.awsCode,
    ).toBe('AccessDenied');
    expect((await awsFailureOf(reconcile.listResolverRules()))?.awsCode).toBe('AccessDeniedException');
    expect((await awsFailureOf(reconcile.listFirewallRules('rslvr-frg-1')))?.awsCode).toBe(
      'AccessDeniedException',
    );
    expect(dns.calls).toEqual([]);

    const troubleshoot = (await world.portsFor('troubleshoot')).dnsPath(dns);
    await troubleshoot.listHostedZonesByVpc(world.settings.vpcId, 'us-east-1');
    await troubleshoot.listResolverRules();
    expect(dns.calls).toEqual(['ListHostedZonesByVPC', 'ListResolverRules']);
    // What is not an AWS call (world building, a look) is the fake's own, private fields and all.
    troubleshoot.addHostedZone(world.settings.vpcId, { hostedZoneId: 'Z1', name: 'example.com.' });
    expect(troubleshoot.customerZonesCovering(world.settings.vpcId, 'a.example.com')).toHaveLength(1);
  });
});

describe("preflight's reads under the operator policies", () => {
  it('reads the quota, the concurrency, the bus and the stack secret; another secret or bus is refused', async () => {
    const ports = (await world.cliDepsAs('operator-read-only')).preflight();
    expect(await ports.quotas.interfaceEndpointsPerVpc()).toBe(50);
    expect(await ports.lambda.concurrency()).toEqual({ limit: 10, unreserved: 10 });
    expect(await ports.eventBuses.exists('default')).toBe(true);
    expect((await awsFailureOf(ports.eventBuses.exists('other-bus')))?.awsCode).toBe('AccessDeniedException');
    // Allowed, then answered by the fake: the world's CLI has no secret of that name.
    expect((await awsFailureOf(ports.secrets.secretString(API_KEY_SECRET)))?.awsCode).toBe(
      'ResourceNotFoundException',
    );
    expect((await awsFailureOf(ports.secrets.secretString(OTHER_SECRET)))?.awsCode).toBe(
      'AccessDeniedException',
    );
    // STS answers GetCallerIdentity whatever the policies say.
    expect((await ports.identity.callerIdentity()).account).toBe('123456789012');
  });
});

describe("preflight's reads under a function's role", () => {
  it('are refused to the reconcile, whose role has none of them, before the fakes answer', async () => {
    const asked: string[] = [];
    /** `answer`, once `name` is noted as asked. */
    const noting =
      <T>(name: string, answer: T) =>
      async () => {
        asked.push(name);
        return answer;
      };
    const counted: PreflightPorts = {
      ...fakePreflightPorts({ ec2: world.ec2, tidbUrl: world.sim.url }),
      quotas: { interfaceEndpointsPerVpc: noting('quota', 50) },
      lambda: { concurrency: noting('lambda', { limit: 10, unreserved: 10 }) },
      eventBuses: { exists: noting('bus', true) },
    };
    const ports = enforcedPreflight(counted, await authorizerAs('reconcile', [world.settings]));
    for (const read of [
      ports.quotas.interfaceEndpointsPerVpc(),
      ports.lambda.concurrency(),
      ports.eventBuses.exists('default'),
    ]) {
      expect((await awsFailureOf(read))?.awsCode).toBe('AccessDeniedException');
    }
    expect(asked).toEqual([]);
  });
});

describe('the tables', () => {
  /** The adapters' TypeScript-private helpers: on the prototype, but no call of a port. */
  const HELPERS = new Set(['constructor', 'conditional', 'invoke', 'noResult']);
  const adapters: Array<[string, { prototype: object }, PortRules]> = [
    ['DynamoDbClusterRegistry', DynamoDbClusterRegistry, REGISTRY_RULES],
    ['DynamoDbQuotaCounter', DynamoDbQuotaCounter, QUOTA_COUNTER_RULES],
    ['DynamoDbLeaseStore', DynamoDbLeaseStore, LEASE_RULES],
    ['SecretsManagerSecrets', SecretsManagerSecrets, SECRET_RULES],
    ['LambdaDataPlane', LambdaDataPlane, dataPlaneRules()],
    ['Route53Adapter', Route53Adapter, HOSTED_ZONE_RULES],
    ['Route53ResolverAdapter', Route53ResolverAdapter, RESOLVER_RULES],
    ['ServiceQuotasAdapter', ServiceQuotasAdapter, SERVICE_QUOTA_RULES],
    ['LambdaAccountSettings', LambdaAccountSettings, LAMBDA_ACCOUNT_RULES],
    ['EventBusLookup', EventBusLookup, EVENT_BUS_RULES],
  ];

  it.each(adapters)('name every AWS call of %s, and nothing it lacks', (_, adapter, rules) => {
    const methods = Object.getOwnPropertyNames(adapter.prototype).filter((name) => !HELPERS.has(name));
    expect(Object.keys(rules).sort()).toEqual(methods.sort());
  });

  it("name every call Powertools' DynamoDB idempotency layer sends", () => {
    const sends = Object.getOwnPropertyNames(DynamoDBPersistenceLayer.prototype).filter((name) =>
      /^_\w+Record$/.test(name),
    );
    expect(Object.keys(IDEMPOTENCY_RULES).sort()).toEqual(sends.sort());
  });
});
