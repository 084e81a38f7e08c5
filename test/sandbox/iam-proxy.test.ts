/**
 * The IAM proxy in front of moto (testing/iam/moto-proxy.ts), protocol by protocol: a call the packaged role
 * does not allow fails with the error name AWS gives (as the real SDK, the Resolver client and a child
 * process parse it) and moto never sees it; an allowed one reaches moto.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateVpcEndpointCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetAccountSettingsCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ListHostedZonesByVPCCommand, Route53Client } from '@aws-sdk/client-route-53';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetServiceQuotaCommand, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KEY_ATTRIBUTE } from '../../functions/adapters/aws/dynamodb-registry.ts';
import { Route53ResolverAdapter } from '../../functions/adapters/aws/route53-resolver.ts';
import { type MotoProxy, motoProxy, type PrincipalKeys } from '../../testing/iam/moto-proxy.ts';
import { OPERATOR_READ_ONLY } from '../../testing/iam/roles.ts';
import { SANDBOX_BUS, type SandboxPrincipals, sandboxPrincipals } from '../../testing/iam/sandbox-roles.ts';
import {
  buildMotoWorld,
  createSandboxClients,
  destroySandboxClients,
  ensureEventBus,
  type MotoWorld,
  type SandboxClients,
} from '../../testing/moto-world.ts';
import { createStateTable, type SandboxTable } from '../../testing/state-table.ts';

const BUS = SANDBOX_BUS;
let clients: SandboxClients;
let moto: MotoWorld;
let table: SandboxTable;
let proxy: MotoProxy;
let principals: SandboxPrincipals;
let reconcileKeys: PrincipalKeys;
let operatorKeys: PrincipalKeys;

/** An SDK client of `Client` that reaches moto through the proxy, signed as a principal. */
function through<T>(Client: new (config: object) => T, keys: PrincipalKeys): T {
  return new Client({ region: inject('awsRegion'), endpoint: proxy.url, credentials: keys, maxAttempts: 1 });
}

/** The error a call fails with (its SDK name and message), or undefined when it succeeds. */
async function refusal(call: Promise<unknown>): Promise<{ name: string; message: string } | undefined> {
  try {
    await call;
    return undefined;
  } catch (error) {
    const { name, message, awsCode } = error as Error & { awsCode?: string };
    return { name: awsCode ?? name, message };
  }
}

beforeAll(async () => {
  const config = { endpointUrl: inject('awsEndpointUrl'), region: inject('awsRegion') };
  clients = createSandboxClients(config);
  moto = await buildMotoWorld(clients);
  table = await createStateTable(config);
  await ensureEventBus(clients, BUS);
  const placement = {
    vpcId: moto.vpcId,
    subnetIds: Object.values(moto.subnetIdByZoneId),
    securityGroupIds: [moto.securityGroupId],
  };
  principals = await sandboxPrincipals({ placement, stateTable: table.tableName });
  proxy = await motoProxy(config);
  reconcileKeys = proxy.principal(principals.as('reconcile'));
  operatorKeys = proxy.principal(principals.as(OPERATOR_READ_ONLY));
}, 120_000);

afterAll(async () => {
  await table?.drop();
  destroySandboxClients(clients);
});

/** The endpoints moto has in `vpcId`, read around the proxy. */
async function endpointsIn(vpcId: string): Promise<number> {
  const found = await clients.ec2.send(
    new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }),
  );
  return found.VpcEndpoints?.length ?? 0;
}

describe('the moto proxy: EC2 (query protocol, 403 XML)', () => {
  it('refuses an endpoint outside the packaged VPC with UnauthorizedOperation, and moto creates none', async () => {
    const ec2 = through(EC2Client, reconcileKeys);
    const refused = await refusal(
      ec2.send(
        new CreateVpcEndpointCommand({
          VpcEndpointType: 'Interface',
          VpcId: moto.provider.vpcId,
          ServiceName: moto.provider.serviceName,
        }),
      ),
    );
    expect(refused?.name).toBe('UnauthorizedOperation');
    expect(refused?.message).toMatch(/^You are not authorized to perform this operation\. User: .*reconcile/);
    expect(await endpointsIn(moto.provider.vpcId)).toBe(0);
  });

  it('lets a read the role has through to moto', async () => {
    const ec2 = through(EC2Client, reconcileKeys);
    const vpcs = await ec2.send(new DescribeVpcsCommand({ VpcIds: [moto.vpcId] }));
    expect(vpcs.Vpcs?.map((vpc) => vpc.VpcId)).toEqual([moto.vpcId]);
  });
});

describe('the moto proxy: JSON services (400, AccessDeniedException)', () => {
  const key = { [KEY_ATTRIBUTE]: { S: 'cluster#1379661944646413999' } };

  it('DynamoDB: the reconcile may update the state table but not read it, and a refused write leaves no item', async () => {
    const dynamodb = through(DynamoDBClient, reconcileKeys);
    const read = await refusal(dynamodb.send(new GetItemCommand({ TableName: table.tableName, Key: key })));
    expect(read?.name).toBe('AccessDeniedException');
    const elsewhere = await refusal(
      dynamodb.send(
        new UpdateItemCommand({
          TableName: 'another-table',
          Key: key,
          UpdateExpression: 'SET phase = :p',
          ExpressionAttributeValues: { ':p': { S: 'Ready' } },
        }),
      ),
    );
    expect(elsewhere?.name).toBe('AccessDeniedException');
    expect(elsewhere?.message).toContain(
      'dynamodb:UpdateItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/another-table',
    );
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: table.tableName,
        Key: key,
        UpdateExpression: 'SET phase = :p',
        ExpressionAttributeValues: { ':p': { S: 'Ready' } },
      }),
    );
    const { Item } = await table.client.send(new GetItemCommand({ TableName: table.tableName, Key: key }));
    expect(Item?.phase).toEqual({ S: 'Ready' });
  });

  it('EventBridge: PutEvents only onto the packaged bus', async () => {
    const events = through(EventBridgeClient, reconcileKeys);
    const entry = { Source: 'tidb-privatelink', DetailType: 'test', Detail: '{}' };
    const refused = await refusal(
      events.send(new PutEventsCommand({ Entries: [{ ...entry, EventBusName: 'default' }] })),
    );
    expect(refused?.name).toBe('AccessDeniedException');
    const sent = await events.send(new PutEventsCommand({ Entries: [{ ...entry, EventBusName: BUS }] }));
    expect(sent.FailedEntryCount).toBe(0);
  });

  it('Secrets Manager: a secret other than the API key is refused, by name or ARN', async () => {
    const admin = new SecretsManagerClient({
      region: inject('awsRegion'),
      endpoint: inject('awsEndpointUrl'),
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    const name = `other-secret-${Date.now()}`;
    const created = await admin.send(new CreateSecretCommand({ Name: name, SecretString: 'x' }));
    const secrets = through(SecretsManagerClient, reconcileKeys);
    expect((await refusal(secrets.send(new GetSecretValueCommand({ SecretId: name }))))?.name).toBe(
      'AccessDeniedException',
    );
    const byArn = await refusal(secrets.send(new GetSecretValueCommand({ SecretId: created.ARN })));
    expect(byArn?.message).toContain(`on resource: ${created.ARN}`);
  });

  it('Service Quotas: the reconcile has no quota reads; the operator does', async () => {
    const input = { ServiceCode: 'vpc', QuotaCode: 'L-29B6F2EB' };
    const refused = await refusal(
      through(ServiceQuotasClient, reconcileKeys).send(new GetServiceQuotaCommand(input)),
    );
    expect(refused?.name).toBe('AccessDeniedException');
    const quota = await through(ServiceQuotasClient, operatorKeys).send(new GetServiceQuotaCommand(input));
    expect(quota.Quota?.Value).toBe(50);
  });

  it('Route 53 Resolver (the hand-written client): refused for the reconcile, allowed for the operator', async () => {
    const resolver = (keys: PrincipalKeys) =>
      new Route53ResolverAdapter({
        region: inject('awsRegion'),
        credentials: keys,
        endpointUrl: proxy.url,
        maxAttempts: 1,
      });
    const refused = await refusal(resolver(reconcileKeys).listResolverRules());
    expect(refused?.name).toBe('AccessDeniedException');
    expect(await resolver(operatorKeys).listResolverRules()).toEqual(expect.any(Array));
  });
});

describe('the moto proxy: Lambda (REST JSON, 403)', () => {
  it('Invoke of the data plane: refused for the reconcile; the probe’s reaches moto (which has no such function)', async () => {
    const invoke = new InvokeCommand({ FunctionName: 'tidb-privatelink-dev-dataPlane', Payload: '{}' });
    const refused = await refusal(through(LambdaClient, reconcileKeys).send(invoke));
    expect(refused?.name).toBe('AccessDeniedException');
    expect(refused?.message).toContain(
      'lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:123456789012:function:tidb-privatelink-dev-dataPlane',
    );
    const probeKeys = proxy.principal(principals.as('probe'));
    expect((await refusal(through(LambdaClient, probeKeys).send(invoke)))?.name).toBe(
      'ResourceNotFoundException',
    );
  });

  it('GetAccountSettings: refused for the reconcile', async () => {
    const refused = await refusal(
      through(LambdaClient, reconcileKeys).send(new GetAccountSettingsCommand({})),
    );
    expect(refused?.name).toBe('AccessDeniedException');
  });
});

describe('the moto proxy: STS and Route 53 (403 XML, AccessDenied)', () => {
  it('STS: GetCallerIdentity needs no permission; AssumeRole is refused', async () => {
    const sts = through(STSClient, reconcileKeys);
    expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe('123456789012');
    const refused = await refusal(
      sts.send(
        new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::123456789012:role/admin', RoleSessionName: 's' }),
      ),
    );
    expect(refused?.name).toBe('AccessDenied');
  });

  it('Route 53: ListHostedZonesByVPC refused for the reconcile, allowed for the operator', async () => {
    const input = { VPCId: moto.vpcId, VPCRegion: 'us-east-1' } as const;
    const refused = await refusal(
      through(Route53Client, reconcileKeys).send(new ListHostedZonesByVPCCommand(input)),
    );
    expect(refused?.name).toBe('AccessDenied');
    const zones = await through(Route53Client, operatorKeys).send(new ListHostedZonesByVPCCommand(input));
    expect(zones.HostedZoneSummaries).toEqual([]);
  });
});

describe('the moto proxy: child processes', () => {
  it('a child process given the proxy and a principal’s keys is refused too', async () => {
    const script = `
      const { EC2Client, CreateVpcEndpointCommand } = require('@aws-sdk/client-ec2');
      new EC2Client({ maxAttempts: 1 })
        .send(new CreateVpcEndpointCommand({ VpcEndpointType: 'Interface', VpcId: process.argv[1], ServiceName: process.argv[2] }))
        .then(() => console.log('created'), (error) => console.log(error.name));`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['-e', script, moto.provider.vpcId, moto.provider.serviceName],
      {
        env: {
          PATH: process.env.PATH,
          AWS_REGION: inject('awsRegion'),
          AWS_ENDPOINT_URL: proxy.url,
          AWS_ACCESS_KEY_ID: reconcileKeys.accessKeyId,
          AWS_SECRET_ACCESS_KEY: reconcileKeys.secretAccessKey,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
      },
    );
    expect(stdout.trim()).toBe('UnauthorizedOperation');
    expect(await endpointsIn(moto.provider.vpcId)).toBe(0);
  });
});
