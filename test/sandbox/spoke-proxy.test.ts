/**
 * The IAM proxy (testing/iam/moto-proxy.ts) across accounts: a spoke deployed in 222222222222 and taught to the
 * proxy (`proxy.spoke(grants)`); the hub's functions (their packaged roles, in the hub's account) assume its
 * role through the proxy. The AssumeRole is decided on the wire against both sides (the caller's identity
 * policies, the role's deployed trust policy with session name and external id); the keys moto issues act in
 * the spoke's account, and each call made with them is decided under the spoke role's deployed policies as
 * that session. The hub's own `sts:AssumeRole` and `lambda:InvokeFunction` statements are the hub's iam.yml
 * (issue 17's hub side): until it has them, this file grants them beside the packaged roles.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Authorizer } from '../../testing/iam/enforce.ts';
import { type MotoProxy, motoProxy, type PrincipalKeys } from '../../testing/iam/moto-proxy.ts';
import { sandboxPrincipals } from '../../testing/iam/sandbox-roles.ts';
import { hubSessionName, SPOKE_ACCOUNT } from '../../testing/iam/spoke.ts';
import { type DeployedSpoke, deploySpoke, removeSpoke } from '../../testing/iam/spoke-sandbox.ts';
import { ACCOUNT as HUB_ACCOUNT, type Role } from '../../testing/iam-engine.ts';
import { accountClientConfig } from '../../testing/moto-accounts.ts';

const STACK = 'tidb-privatelink-spoke-proxy';
const HUB_STACK = 'tidb-privatelink-dev';
const EXTERNAL_ID = 'spoke-proxy-7f3a';
const SERVICE = 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0';

let region: string;
let proxy: MotoProxy;
let spoke: DeployedSpoke;
let otherVpcId: string;
let workDir: string;
let clientConfig: Awaited<ReturnType<typeof accountClientConfig>>;
let spokeClients: { cloudFormation: CloudFormationClient; ec2: EC2Client; s3: S3Client };
/** Keys of the hub's functions (their packaged roles plus the hub side of issue 17), through the proxy. */
const keys: Record<string, PrincipalKeys> = {};

/** The hub side the hub's iam.yml is to grant: assume the spoke role; the probe also invokes its data plane. */
function withHubSide(role: Role, grants: DeployedSpoke['grants']): Role {
  const statement = {
    Effect: 'Allow',
    Action: ['sts:AssumeRole', 'lambda:InvokeFunction'],
    Resource: [grants.roleArn, grants.dataPlaneFunctionArn],
  };
  const policy = { Version: '2012-10-17', Statement: [statement] };
  return { ...role, policies: [...role.policies, { name: 'hub-side-of-issue-17', policy }] };
}

/** A client of `Client` through the proxy, signed with `credentials`. */
function through<T>(Client: new (config: object) => T, credentials: AwsCredentialIdentity): T {
  return new Client({ region, endpoint: proxy.url, credentials, maxAttempts: 1 });
}

/** The AWS error name a call fails with, or 'ok'. */
async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'ok';
  } catch (error) {
    return (error as Error).name;
  }
}

/** AssumeRole of the spoke role as a hub function, through the proxy (`externalId` null: none given). */
function assume(who: string, sessionName: string, externalId: string | null = EXTERNAL_ID) {
  const sts = through(STSClient, keys[who] as PrincipalKeys);
  return sts.send(
    new AssumeRoleCommand({
      RoleArn: spoke.grants.roleArn,
      RoleSessionName: sessionName,
      ...(externalId ? { ExternalId: externalId } : {}),
    }),
  );
}

/** The session keys a hub function gets for the spoke role (its own session name and the external id). */
async function sessionKeys(fn: 'reconcile' | 'probe'): Promise<AwsCredentialIdentity> {
  const { Credentials } = await assume(fn, hubSessionName(HUB_STACK, fn));
  return {
    accessKeyId: Credentials?.AccessKeyId ?? '',
    secretAccessKey: Credentials?.SecretAccessKey ?? '',
    sessionToken: Credentials?.SessionToken ?? '',
  };
}

beforeAll(async () => {
  region = inject('awsRegion');
  const config = { endpointUrl: inject('awsEndpointUrl'), region };
  const common = await accountClientConfig(config, SPOKE_ACCOUNT);
  clientConfig = common;
  spokeClients = {
    cloudFormation: new CloudFormationClient(common),
    ec2: new EC2Client(common),
    s3: new S3Client({ ...common, forcePathStyle: true }),
  };
  // moto only stores the data plane's code: any zip stands for the published artifact here.
  workDir = await mkdtemp(join(tmpdir(), 'spoke-proxy-'));
  await writeFile(join(workDir, 'index.mjs'), 'export const handler = async () => ({});\n');
  execFileSync('python3', ['-m', 'zipfile', '-c', join(workDir, 'code.zip'), join(workDir, 'index.mjs')]);
  spoke = await deploySpoke({
    clients: spokeClients,
    clientConfig: common,
    stackName: STACK,
    cidrPrefix: '10.53',
    code: {
      bucket: 'spoke-proxy-code',
      key: 'dataPlane.zip',
      body: await readFile(join(workDir, 'code.zip')),
    },
    parameters: { HubAccountId: HUB_ACCOUNT, HubStackName: HUB_STACK, ExternalId: EXTERNAL_ID },
  });
  const { Vpc } = await spokeClients.ec2.send(new CreateVpcCommand({ CidrBlock: '10.54.0.0/16' }));
  otherVpcId = Vpc?.VpcId ?? '';

  proxy = await motoProxy(config);
  proxy.spoke(spoke.grants);
  const { roles } = await sandboxPrincipals();
  for (const fn of ['reconcile', 'probe']) {
    const role = withHubSide(roles[fn] as Role, spoke.grants);
    keys[fn] = proxy.principal(new Authorizer(`${fn} (with the hub side)`, role, { recorded: false }));
  }
  keys.packagedReconcile = proxy.principal(new Authorizer('reconcile', roles.reconcile as Role));
}, 180_000);

afterAll(async () => {
  if (spoke) await removeSpoke(spokeClients, clientConfig, STACK, spoke.grants.roleArn);
  for (const client of Object.values(spokeClients ?? {})) client.destroy();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('AssumeRole of a spoke role, decided on the wire', () => {
  it('a hub function under its own session name gets keys that act as that session in the spoke account', async () => {
    const identity = await through(STSClient, await sessionKeys('reconcile')).send(
      new GetCallerIdentityCommand({}),
    );
    expect(identity.Account).toBe(SPOKE_ACCOUNT);
    expect(identity.Arn).toContain(
      `assumed-role/${spoke.grants.roleArn.split('/').pop()}/${HUB_STACK}-reconcile`,
    );
  });

  it('is refused, before moto, for another session name, a missing or wrong external id', async () => {
    expect(await outcome(assume('reconcile', hubSessionName(HUB_STACK, 'probe')))).toBe('AccessDenied');
    expect(await outcome(assume('reconcile', hubSessionName(HUB_STACK, 'reconcile'), null))).toBe(
      'AccessDenied',
    );
    expect(await outcome(assume('reconcile', hubSessionName(HUB_STACK, 'reconcile'), 'spoke-0000'))).toBe(
      'AccessDenied',
    );
    expect(proxy.refused.filter((entry) => entry.endsWith('sts:AssumeRole')).length).toBeGreaterThanOrEqual(
      3,
    );
  });

  it("is refused when the caller's own policies do not allow it (the packaged roles, before the hub side)", async () => {
    expect(await outcome(assume('packagedReconcile', hubSessionName(HUB_STACK, 'reconcile')))).toBe(
      'AccessDenied',
    );
  });
});

describe("a spoke session's calls, under the spoke role's deployed policies", () => {
  it('the reconcile session reads, and may create an endpoint in the spoke VPC only', async () => {
    const ec2 = through(EC2Client, await sessionKeys('reconcile'));
    expect(await outcome(ec2.send(new DescribeVpcEndpointsCommand({})))).toBe('ok');
    const create = (vpcId: string) =>
      ec2.send(
        new CreateVpcEndpointCommand({
          VpcId: vpcId,
          ServiceName: SERVICE,
          VpcEndpointType: 'Interface',
          SubnetIds: vpcId === spoke.parameters.VpcId ? spoke.parameters.SubnetIds : [],
          TagSpecifications: [
            {
              ResourceType: 'vpc-endpoint',
              Tags: [
                { Key: 'tidb-privatelink:managed-by', Value: 'tidb-privatelink' },
                { Key: 'tidb-privatelink:stack', Value: 'tidb-privatelink' },
              ],
            },
          ],
        }),
      );
    expect(await outcome(create(otherVpcId))).toBe('UnauthorizedOperation');
    // In its VPC IAM allows it: whatever moto then answers, the proxy refused nothing.
    const before = proxy.refused.length;
    expect(await outcome(create(spoke.parameters.VpcId))).not.toBe('UnauthorizedOperation');
    expect(proxy.refused.slice(before)).toEqual([]);
  });

  it('the probe session reads but may not create', async () => {
    const ec2 = through(EC2Client, await sessionKeys('probe'));
    expect(await outcome(ec2.send(new DescribeVpcEndpointsCommand({})))).toBe('ok');
    const refusedBefore = proxy.refused.length;
    const created = ec2.send(
      new CreateVpcEndpointCommand({
        VpcId: spoke.parameters.VpcId,
        ServiceName: SERVICE,
        VpcEndpointType: 'Interface',
        SubnetIds: spoke.parameters.SubnetIds,
        TagSpecifications: [
          {
            ResourceType: 'vpc-endpoint',
            Tags: [{ Key: 'tidb-privatelink:managed-by', Value: 'tidb-privatelink' }],
          },
        ],
      }),
    );
    expect(await outcome(created)).toBe('UnauthorizedOperation');
    expect(proxy.refused.slice(refusedBefore)).toEqual([
      expect.stringMatching(/assumed-role\/.*\/tidb-privatelink-dev-probe ec2:CreateVpcEndpoint$/),
    ]);
  });

  it("the spoke's data plane refuses the hub's reconcile role (its permissions name the probe and troubleshoot)", async () => {
    const lambda = through(LambdaClient, keys.reconcile as PrincipalKeys);
    const invoked = lambda.send(
      new InvokeCommand({ FunctionName: spoke.grants.dataPlaneFunctionArn, Payload: '{}' }),
    );
    expect(await outcome(invoked), proxy.undecodable.join('; ')).toBe('AccessDeniedException');
  });
});
