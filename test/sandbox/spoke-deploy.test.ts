/**
 * The spoke template deploys into moto's CloudFormation in a second account (222222222222, keys from STS
 * AssumeRole: testing/moto-accounts.ts), from the data-plane artifact `npm run spoke:artifact` names with the
 * hub's version, uploaded to an artifact bucket; and is removed again. What it created is read back through
 * each service's own API, and the role's deployed trust and policies are the very documents the policy engine
 * evaluates in test/integration/spoke/policies.test.ts (so moto's resolution of the template and the engine's
 * agree).
 */
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { hubVersion, stageArtifact } from '../../scripts/spoke-artifact.ts';
import {
  hubRoleArn,
  SPOKE_ACCOUNT,
  type Spoke,
  type SpokeGrants,
  type SpokeParameters,
  spokeOf,
} from '../../testing/iam/spoke.ts';
import { deploySpoke, removeSpoke } from '../../testing/iam/spoke-sandbox.ts';
import { ACCOUNT as HUB_ACCOUNT } from '../../testing/iam-engine.ts';
import { accountClientConfig } from '../../testing/moto-accounts.ts';
import { type PackagedStack, packageStack } from '../../testing/serverless-package.ts';

const STACK = 'tidb-privatelink-spoke';
const HUB_STACK = 'tidb-privatelink-dev';
const BUCKET = 'tidb-privatelink-spoke-artifacts';
const EXTERNAL_ID = 'spoke-7f3a';

let config: { endpointUrl: string; region: string };
let cloudFormation: CloudFormationClient;
let ec2: EC2Client;
let iam: IAMClient;
let lambda: LambdaClient;
let s3: S3Client;
let hub: PackagedStack;
let artifact: { file: string; key: string };
let parameters: SpokeParameters;
let outputs: Record<string, string>;
let clientConfig: Awaited<ReturnType<typeof accountClientConfig>>;
let spoke: Spoke;
/** The spoke's role and data-plane permissions as moto has them. */
let deployed: SpokeGrants;

const outputOf = (name: string) => outputs[name] ?? '';

beforeAll(async () => {
  config = { endpointUrl: inject('awsEndpointUrl'), region: inject('awsRegion') };
  const common = await accountClientConfig(config, SPOKE_ACCOUNT);
  clientConfig = common;
  cloudFormation = new CloudFormationClient(common);
  ec2 = new EC2Client(common);
  iam = new IAMClient(common);
  lambda = new LambdaClient(common);
  s3 = new S3Client({ ...common, forcePathStyle: true });

  // The hub's package; its data plane, named with the hub's version, goes to the organisation's bucket.
  hub = await packageStack();
  artifact = await stageArtifact(hub.dir, join(hub.dir, 'spoke'), hubVersion());
  const deployment = await deploySpoke({
    clients: { cloudFormation, ec2, s3 },
    clientConfig: common,
    stackName: STACK,
    cidrPrefix: '10.52',
    code: { bucket: BUCKET, key: artifact.key, body: await readFile(artifact.file) },
    parameters: { HubAccountId: HUB_ACCOUNT, HubStackName: HUB_STACK, ExternalId: EXTERNAL_ID },
  });
  ({ parameters, outputs, grants: deployed } = deployment);
  spoke = await spokeOf(parameters, { roleId: deployed.roleId });
}, 180_000);

afterAll(async () => {
  for (const client of [cloudFormation, ec2, iam, lambda, s3]) client?.destroy();
  if (hub) await rm(hub.dir, { recursive: true, force: true });
});

describe('the spoke stack in its own account', () => {
  it('is created there, and the hub account has no such stack', async () => {
    const { Stacks: [created] = [] } = await cloudFormation.send(
      new DescribeStacksCommand({ StackName: STACK }),
    );
    expect(created?.StackStatus).toBe('CREATE_COMPLETE');
    const hubAccount = new CloudFormationClient({
      region: config.region,
      endpoint: config.endpointUrl,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      maxAttempts: 1,
    });
    await expect(hubAccount.send(new DescribeStacksCommand({ StackName: STACK }))).rejects.toThrow(
      /does not exist/,
    );
    hubAccount.destroy();
  });

  it("outputs the hub's PRIVATELINK_VPCS entry for this VPC", () => {
    expect(JSON.parse(outputOf('HubEntry'))).toEqual({
      vpcId: parameters.VpcId,
      subnetIds: parameters.SubnetIds,
      roleArn: `arn:aws:iam::${SPOKE_ACCOUNT}:role/${HUB_STACK}-spoke-${parameters.VpcId}`,
      externalId: EXTERNAL_ID,
      dataPlaneFunctionArn: outputOf('DataPlaneFunctionArn'),
    });
    expect(outputOf('DataPlaneFunctionArn')).toBe(
      `arn:aws:lambda:${config.region}:${SPOKE_ACCOUNT}:function:${HUB_STACK}-dataPlane-${parameters.VpcId}`,
    );
    expect(outputOf('DataPlaneSubnetIds')).toBe(parameters.ProbeSubnetIds?.join(','));
  });

  it("the role's deployed trust policy is the one the policy engine evaluates", () => {
    expect(deployed.roleArn).toBe(outputOf('RoleArn'));
    expect(deployed.trustPolicy).toEqual(spoke.trustPolicy);
  });

  it("its policies are the engine's too: one per hub session (no operator given, no operator policy)", () => {
    expect(deployed.policies.map((policy) => policy.name).sort()).toEqual(
      ['reconcile', 'provision', 'probe', 'troubleshoot']
        .map((fn) => `${HUB_STACK}-spoke-${parameters.VpcId}-${fn}`)
        .sort(),
    );
    const documents = (grants: SpokeGrants) => grants.policies.map((policy) => policy.policy).sort(byText);
    expect(documents(deployed)).toEqual(documents(spoke));
  });

  it('runs the published data plane in its subnets, with its own egress-only group', async () => {
    const name = outputOf('DataPlaneFunctionArn').split(':').pop();
    const fn = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    expect(fn.Handler).toBe('functions/handlers/data-plane.handler');
    expect(fn.CodeSize).toBe((await stat(artifact.file)).size);
    expect(fn.Role).toBe(spoke.dataPlaneRole.principal);
    expect(fn.VpcConfig?.SubnetIds).toEqual(parameters.ProbeSubnetIds);
    expect(fn.VpcConfig?.SecurityGroupIds).toEqual([outputOf('DataPlaneSecurityGroupId')]);
    const { SecurityGroups: [group] = [] } = await ec2.send(
      new DescribeSecurityGroupsCommand({ GroupIds: [outputOf('DataPlaneSecurityGroupId')] }),
    );
    expect(group?.VpcId).toBe(parameters.VpcId);
    expect(group?.IpPermissions ?? []).toEqual([]);
  });

  it("only the hub's probe and troubleshoot roles may invoke it (the permissions are the engine's)", () => {
    const { Statement } = deployed.invokePolicy as { Statement: Array<{ Principal: { AWS: string } }> };
    expect(Statement.map((statement) => statement.Principal.AWS).sort()).toEqual(
      ['probe', 'troubleshoot'].map((fn) => hubRoleArn(HUB_ACCOUNT, HUB_STACK, fn, config.region)),
    );
  });

  it('is removed again, with its role and data plane', async () => {
    await removeSpoke({ cloudFormation, s3 }, clientConfig, STACK, deployed.roleArn);
    await expect(iam.send(new GetRoleCommand({ RoleName: spoke.roleName }))).rejects.toThrow(
      /not found|cannot be found/,
    );
    const name = outputOf('DataPlaneFunctionArn').split(':').pop();
    await expect(lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }))).rejects.toThrow(
      /not found/i,
    );
  });
});

const byText = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));
