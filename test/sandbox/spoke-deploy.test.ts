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
import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  DetachRolePolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import {
  GetFunctionConfigurationCommand,
  GetPolicyCommand as GetFunctionPolicyCommand,
  LambdaClient,
} from '@aws-sdk/client-lambda';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { hubVersion, stageArtifact } from '../../scripts/spoke-artifact.ts';
import { deployTemplate, removeLikeServerless } from '../../testing/cloudformation-deploy.ts';
import {
  hubRoleArn,
  SPOKE_ACCOUNT,
  type Spoke,
  type SpokeParameters,
  sessionRole,
  spokeOf,
} from '../../testing/iam/spoke.ts';
import { SPOKE_TEMPLATE } from '../../testing/iam/spoke-policies.ts';
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
let stack: Stack;
let spoke: Spoke;

const outputOf = (name: string) =>
  stack.Outputs?.find((output) => output.OutputKey === name)?.OutputValue ?? '';

beforeAll(async () => {
  config = { endpointUrl: inject('awsEndpointUrl'), region: inject('awsRegion') };
  const common = await accountClientConfig(config, SPOKE_ACCOUNT);
  cloudFormation = new CloudFormationClient(common);
  ec2 = new EC2Client(common);
  iam = new IAMClient(common);
  lambda = new LambdaClient(common);
  s3 = new S3Client({ ...common, forcePathStyle: true });

  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.52.0.0/16' }));
  const vpcId = Vpc?.VpcId ?? '';
  const subnet = async (index: number, zone: string) => {
    const input = { VpcId: vpcId, CidrBlock: `10.52.${index}.0/24`, AvailabilityZone: zone };
    return (await ec2.send(new CreateSubnetCommand(input))).Subnet?.SubnetId ?? '';
  };
  const subnetIds = [await subnet(1, 'us-east-1a'), await subnet(2, 'us-east-1b')];
  const probeSubnetId = await subnet(3, 'us-east-1a');

  // The hub's package; its data plane, named with the hub's version, goes to the organisation's bucket.
  hub = await packageStack();
  artifact = await stageArtifact(hub.dir, join(hub.dir, 'spoke'), hubVersion());
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await s3.send(
    new PutObjectCommand({ Bucket: BUCKET, Key: artifact.key, Body: await readFile(artifact.file) }),
  );

  parameters = {
    HubAccountId: HUB_ACCOUNT,
    HubStackName: HUB_STACK,
    VpcId: vpcId,
    SubnetIds: subnetIds,
    ProbeSubnetIds: [probeSubnetId],
    ExternalId: EXTERNAL_ID,
    DataPlaneCodeBucket: BUCKET,
    DataPlaneCodeKey: artifact.key,
  };
  const flat = Object.fromEntries(
    Object.entries(parameters).map(([name, value]) => [name, [value].flat().join(',')]),
  );
  stack = await deployTemplate({ cloudFormation }, STACK, await readFile(SPOKE_TEMPLATE, 'utf8'), flat);
  const { Role } = await iam.send(new GetRoleCommand({ RoleName: outputOf('RoleArn').split('/').pop() }));
  spoke = await spokeOf(parameters, { roleId: Role?.RoleId ?? '' });
}, 180_000);

afterAll(async () => {
  for (const client of [cloudFormation, ec2, iam, lambda, s3]) client?.destroy();
  if (hub) await rm(hub.dir, { recursive: true, force: true });
});

/**
 * An IAM policy document as the API returns it (URL-encoded JSON). moto 5.1 keeps an `AWS::NoValue` list item
 * as null (the trust's operator statement without an operator), where CloudFormation drops it: dropped here.
 */
function documentOf(text: string | undefined): { Statement: unknown[] } {
  const document = JSON.parse(decodeURIComponent(text ?? '{}')) as { Statement: unknown[] };
  return { ...document, Statement: document.Statement.filter((statement) => statement !== null) };
}

/** A Lambda permission's principal: moto 5.1 keeps a role ARN as a string, AWS as `{ AWS: <arn> }`. */
const principalOf = (principal: string | { AWS: string }) =>
  typeof principal === 'string' ? principal : principal.AWS;

describe('the spoke stack in its own account', () => {
  it('is created there, and the hub account has no such stack', async () => {
    expect(stack.StackStatus).toBe('CREATE_COMPLETE');
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

  it("the role's deployed trust policy is the one the policy engine evaluates", async () => {
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: spoke.roleName }));
    expect(Role?.Arn).toBe(outputOf('RoleArn'));
    expect(documentOf(Role?.AssumeRolePolicyDocument)).toEqual(spoke.trustPolicy);
  });

  it("its policies are the engine's too: one per hub session (no operator given, no operator policy)", async () => {
    const { AttachedPolicies = [] } = await iam.send(
      new ListAttachedRolePoliciesCommand({ RoleName: spoke.roleName }),
    );
    const deployed: Record<string, unknown> = {};
    for (const { PolicyArn, PolicyName = '' } of AttachedPolicies) {
      const { Policy } = await iam.send(new GetPolicyCommand({ PolicyArn }));
      const { PolicyVersion } = await iam.send(
        new GetPolicyVersionCommand({ PolicyArn, VersionId: Policy?.DefaultVersionId }),
      );
      deployed[PolicyName] = documentOf(PolicyVersion?.Document);
    }
    const evaluated = sessionRole(spoke, `${HUB_STACK}-probe`).policies;
    expect(Object.keys(deployed).sort()).toEqual(
      ['reconcile', 'provision', 'probe', 'troubleshoot']
        .map((fn) => `${HUB_STACK}-spoke-${parameters.VpcId}-${fn}`)
        .sort(),
    );
    expect(Object.values(deployed).sort(byText)).toEqual(
      evaluated.map((policy) => policy.policy).sort(byText),
    );
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

  it("only the hub's probe and troubleshoot roles may invoke it", async () => {
    const name = outputOf('DataPlaneFunctionArn').split(':').pop();
    const { Policy } = await lambda.send(new GetFunctionPolicyCommand({ FunctionName: name }));
    const { Statement } = JSON.parse(Policy ?? '{}') as {
      Statement: Array<{ Principal: string | { AWS: string } }>;
    };
    const principals = Statement.map((statement) => principalOf(statement.Principal));
    expect(principals.sort()).toEqual(
      ['probe', 'troubleshoot'].map((fn) => hubRoleArn(HUB_ACCOUNT, HUB_STACK, fn, config.region)),
    );
  });

  it('is removed again, with its role and data plane', async () => {
    // moto 5.1 deletes no AWS::IAM::ManagedPolicy with its stack (it has no handler), so the role would stay
    // attached and undeletable; CloudFormation deletes the policies first (they refer to the role).
    const { AttachedPolicies = [] } = await iam.send(
      new ListAttachedRolePoliciesCommand({ RoleName: spoke.roleName }),
    );
    for (const { PolicyArn } of AttachedPolicies) {
      await iam.send(new DetachRolePolicyCommand({ RoleName: spoke.roleName, PolicyArn }));
    }
    await removeLikeServerless({ cloudFormation, s3 }, STACK);
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
