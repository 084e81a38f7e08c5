/**
 * The packaged provision bundle, run as Lambda would run it, against moto and the TiDB Cloud simulator. The
 * bundles are minified, built from the SDK's ES modules and tree-shaken through esbuild-plugins.cjs (which
 * rewrites the SDK's schema modules): this proves the bundled SDK still reads Secrets Manager, writes and
 * reads EC2 (create, describe, modify, tags) and sends events, end to end.
 */

import { pathToFileURL } from 'node:url';
import { DescribeVpcEndpointsCommand, ModifyVpcAttributeCommand } from '@aws-sdk/client-ec2';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CLUSTER_ID_TAG, MANAGED_BY_TAG } from '../../functions/core/model.ts';
import { motoProxy } from '../../testing/iam/moto-proxy.ts';
import { SANDBOX_BUS, sandboxPrincipals } from '../../testing/iam/sandbox-roles.ts';
import {
  buildMotoWorld,
  createSandboxClients,
  destroySandboxClients,
  ensureEventBus,
  type MotoWorld,
  type SandboxClients,
} from '../../testing/moto-world.ts';
import { packageStack, unpackHandler } from '../../testing/serverless-package.ts';
import { type Simulator, startSimulator } from '../../testing/tidbcloud-simulator/index.ts';

type Handler = (event: unknown, context: unknown) => Promise<Record<string, unknown>>;

let clients: SandboxClients;
let moto: MotoWorld;
let sim: Simulator;
let handler: Handler;
const savedEnv = { ...process.env };

beforeAll(async () => {
  clients = createSandboxClients({ endpointUrl: inject('awsEndpointUrl'), region: inject('awsRegion') });
  moto = await buildMotoWorld(clients);
  await clients.ec2.send(
    new ModifyVpcAttributeCommand({ VpcId: moto.vpcId, EnableDnsHostnames: { Value: true } }),
  );
  sim = await startSimulator({ serviceReadyMs: 0, connectionAcceptMs: 300 });
  const secrets = new SecretsManagerClient({
    region: inject('awsRegion'),
    endpoint: inject('awsEndpointUrl'),
  });
  const secret = await secrets.send(
    new CreateSecretCommand({
      Name: `tidb-cloud-api-key-${Date.now()}`,
      SecretString: JSON.stringify({ publicKey: sim.publicKey, privateKey: sim.privateKey }),
    }),
  );
  secrets.destroy();
  await ensureEventBus(clients, SANDBOX_BUS);
  const stack = await packageStack();
  // The function's role, as Lambda gives it: its keys, and moto behind the IAM proxy, so each call the bundle
  // makes is decided against the packaged provision role first.
  const principals = await sandboxPrincipals({
    placement: {
      vpcId: moto.vpcId,
      subnetIds: Object.values(moto.subnetIdByZoneId),
      securityGroupIds: [moto.securityGroupId],
    },
    apiKeySecretArn: String(secret.ARN),
  });
  const proxy = await motoProxy({ endpointUrl: inject('awsEndpointUrl'), region: inject('awsRegion') });
  const keys = proxy.principal(principals.as('provision'));
  // What the template and the Lambda runtime would set.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: proxy.url,
    AWS_ACCESS_KEY_ID: keys.accessKeyId,
    AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
    TIDB_CLOUD_API_URL: sim.url,
    TIDB_CLOUD_API_KEY_SECRET_ARN: secret.ARN,
    PRIVATELINK_VPC_ID: moto.vpcId,
    PRIVATELINK_SUBNET_IDS: Object.values(moto.subnetIdByZoneId).join(','),
    PRIVATELINK_SECURITY_GROUP_IDS: moto.securityGroupId,
    PRIVATELINK_EVENT_BUS: SANDBOX_BUS,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  const module = (await import(pathToFileURL(unpackHandler(stack, 'provision')).href)) as {
    handler: Handler;
  };
  handler = module.handler;
}, 180_000);

afterAll(async () => {
  process.env = savedEnv;
  await sim.close();
  destroySandboxClients(clients);
});

describe('the packaged provision bundle against moto and the simulator', () => {
  it('takes a cluster to Ready: secret read, endpoint created with its tags, registered, private DNS on', async () => {
    const cluster = sim.addCluster({
      serviceName: moto.provider.serviceName,
      availableZones: ['use1-az1', 'use1-az2'],
    });
    const context = {
      getRemainingTimeInMillis: () => 40_000,
      functionName: 'provision',
      awsRequestId: 'bundle-test',
    };
    const outcome = await handler({ clusterId: cluster.clusterId }, context);
    expect(outcome).toMatchObject({ clusterId: cluster.clusterId, phase: 'Ready' });
    // moto ignores the private-DNS flag itself; the action shows ModifyVpcEndpoint went through.
    expect((outcome.actions as Array<{ type: string }>).map((action) => action.type)).toEqual([
      'create-endpoint',
      'register-connection',
      'enable-private-dns',
    ]);
    const [connection] = (await sim.connections()).filter((c) => c.clusterId === cluster.clusterId);
    expect(connection).toMatchObject({ endpointState: 'ACTIVE' });
    const { VpcEndpoints = [] } = await clients.ec2.send(
      new DescribeVpcEndpointsCommand({ VpcEndpointIds: [String(connection?.endpointId)] }),
    );
    const tags = Object.fromEntries((VpcEndpoints[0]?.Tags ?? []).map((tag) => [tag.Key, tag.Value]));
    expect(tags).toMatchObject({ [MANAGED_BY_TAG]: 'tidb-privatelink', [CLUSTER_ID_TAG]: cluster.clusterId });
  }, 60_000);
});
