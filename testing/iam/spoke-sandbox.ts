/**
 * A spoke stack in moto: `deploySpoke` makes a VPC in the spoke's account and deploys spoke/template.yml there;
 * its grants are read back from moto (the account's IAM and Lambda) for the IAM proxy (`proxy.spoke(grants)`,
 * testing/iam/moto-proxy.ts): the role's trust policy, unique id and attached and inline policies, and the data
 * plane's resource policy, as the stack left them.
 */
import { readFile } from 'node:fs/promises';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CreateSubnetCommand, CreateVpcCommand, type EC2Client } from '@aws-sdk/client-ec2';
import {
  DetachRolePolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { GetPolicyCommand as GetFunctionPolicyCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { deployTemplate, removeLikeServerless } from '../cloudformation-deploy.ts';
import type { Role } from '../iam-engine.ts';
import type { SpokeGrants, SpokeParameters } from './spoke.ts';
import { SPOKE_TEMPLATE } from './spoke-policies.ts';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type Document = { Statement: Json[]; [key: string]: Json };

/**
 * An IAM policy document as the API returns it (URL-encoded JSON). moto 5.1 keeps an `AWS::NoValue` list item
 * as null (the trust's operator statement without an operator), where CloudFormation drops it: dropped here.
 */
export function iamDocumentOf(text: string | undefined): Document {
  const document = JSON.parse(decodeURIComponent(text ?? '{"Statement":[]}')) as Document;
  return { ...document, Statement: document.Statement.filter((statement) => statement !== null) };
}

/** The elements of a policy statement; moto 5.1 adds others to a Lambda permission's (`FunctionName`). */
const STATEMENT_KEYS = ['Sid', 'Effect', 'Principal', 'Action', 'Resource', 'Condition'];

/** A Lambda resource policy: moto 5.1 keeps a role principal as a string, AWS as `{ AWS: <arn> }`. */
export function lambdaPolicyOf(text: string | undefined): Document {
  const document = JSON.parse(text ?? '{"Statement":[]}') as Document;
  const statements = document.Statement as Array<Record<string, Json>>;
  return {
    ...document,
    Statement: statements.map((statement) => {
      const kept = Object.entries(statement).filter(([key]) => STATEMENT_KEYS.includes(key));
      const principal = statement.Principal ?? null;
      return {
        ...Object.fromEntries(kept),
        Principal: typeof principal === 'string' ? { AWS: principal } : principal,
      } as Json;
    }),
  };
}

/** What a client on moto acting in the spoke's account is configured with (testing/moto-accounts.ts). */
interface ClientConfig {
  region: string;
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string | undefined };
  maxAttempts?: number;
}

async function rolePolicies(iam: IAMClient, roleName: string): Promise<Role['policies']> {
  const { AttachedPolicies = [] } = await iam.send(
    new ListAttachedRolePoliciesCommand({ RoleName: roleName }),
  );
  const attached = await Promise.all(
    AttachedPolicies.map(async ({ PolicyArn, PolicyName = '' }) => {
      const { Policy } = await iam.send(new GetPolicyCommand({ PolicyArn }));
      const { PolicyVersion } = await iam.send(
        new GetPolicyVersionCommand({ PolicyArn, VersionId: Policy?.DefaultVersionId }),
      );
      return { name: PolicyName, policy: iamDocumentOf(PolicyVersion?.Document) };
    }),
  );
  const { PolicyNames = [] } = await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }));
  const inline = await Promise.all(
    PolicyNames.map(async (name) => {
      const { PolicyDocument } = await iam.send(
        new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }),
      );
      return { name, policy: iamDocumentOf(PolicyDocument) };
    }),
  );
  return [...attached, ...inline];
}

/** The spoke's grants as deployed: its role (by ARN) and its data plane (by ARN), read in its account. */
export async function deployedSpokeGrants(
  config: ClientConfig,
  roleArn: string,
  dataPlaneFunctionArn: string,
): Promise<SpokeGrants> {
  const iam = new IAMClient(config);
  const lambda = new LambdaClient(config);
  try {
    const roleName = roleArn.slice(roleArn.lastIndexOf('/') + 1);
    const { Role: role } = await iam.send(new GetRoleCommand({ RoleName: roleName }));
    const { Policy } = await lambda.send(
      new GetFunctionPolicyCommand({ FunctionName: dataPlaneFunctionArn }),
    );
    return {
      account: roleArn.split(':')[4] ?? '',
      roleArn,
      roleId: role?.RoleId ?? '',
      trustPolicy: iamDocumentOf(role?.AssumeRolePolicyDocument),
      policies: await rolePolicies(iam, roleName),
      dataPlaneFunctionArn,
      invokePolicy: lambdaPolicyOf(Policy),
    };
  } finally {
    iam.destroy();
    lambda.destroy();
  }
}

/** A spoke stack deployed in moto: its parameters, outputs and grants as deployed. */
export interface DeployedSpoke {
  parameters: SpokeParameters;
  outputs: Record<string, string>;
  grants: SpokeGrants;
}

export interface SpokeDeployment {
  /** moto, and the configuration of clients acting in the spoke's account (testing/moto-accounts.ts). */
  clients: { cloudFormation: CloudFormationClient; ec2: EC2Client; s3: S3Client };
  clientConfig: ClientConfig;
  stackName: string;
  /** The spoke VPC's /16 (`10.<n>.0.0/16`): its two endpoint subnets and one probe subnet are made in it. */
  cidrPrefix: string;
  /** The data plane's zip, uploaded to a bucket of the spoke's account under `key`. */
  code: { bucket: string; key: string; body: Uint8Array };
  /** Further parameters (the hub's account and stack name, an external id, an operator role). */
  parameters: Pick<SpokeParameters, 'HubAccountId' | 'HubStackName'> & Partial<SpokeParameters>;
}

/** Makes a VPC with subnets in the spoke's account, uploads the code and deploys spoke/template.yml there. */
export async function deploySpoke(deployment: SpokeDeployment): Promise<DeployedSpoke> {
  const { clients, cidrPrefix, code } = deployment;
  const { Vpc } = await clients.ec2.send(new CreateVpcCommand({ CidrBlock: `${cidrPrefix}.0.0/16` }));
  const vpcId = Vpc?.VpcId ?? '';
  const subnet = async (index: number, zone: string) => {
    const input = { VpcId: vpcId, CidrBlock: `${cidrPrefix}.${index}.0/24`, AvailabilityZone: zone };
    return (await clients.ec2.send(new CreateSubnetCommand(input))).Subnet?.SubnetId ?? '';
  };
  const subnetIds = [await subnet(1, 'us-east-1a'), await subnet(2, 'us-east-1b')];
  const probeSubnetId = await subnet(3, 'us-east-1a');
  await clients.s3.send(new CreateBucketCommand({ Bucket: code.bucket }));
  await clients.s3.send(new PutObjectCommand({ Bucket: code.bucket, Key: code.key, Body: code.body }));
  const parameters: SpokeParameters = {
    VpcId: vpcId,
    SubnetIds: subnetIds,
    ProbeSubnetIds: [probeSubnetId],
    DataPlaneCodeBucket: code.bucket,
    DataPlaneCodeKey: code.key,
    ...deployment.parameters,
  };
  const flat = Object.fromEntries(
    Object.entries(parameters).map(([name, value]) => [name, [value].flat().join(',')]),
  );
  const template = await readFile(SPOKE_TEMPLATE, 'utf8');
  const stack = await deployTemplate(clients, deployment.stackName, template, flat);
  const outputs = Object.fromEntries(
    (stack.Outputs ?? []).map((output) => [output.OutputKey ?? '', output.OutputValue ?? '']),
  );
  const grants = await deployedSpokeGrants(
    deployment.clientConfig,
    outputs.RoleArn ?? '',
    outputs.DataPlaneFunctionArn ?? '',
  );
  return { parameters, outputs, grants };
}

/**
 * Deletes the spoke stack. moto 5.1 deletes no AWS::IAM::ManagedPolicy with its stack (it has no handler), so
 * the role would stay attached and undeletable: the policies are detached first, as CloudFormation deletes
 * them before the role they refer to.
 */
export async function removeSpoke(
  clients: Pick<SpokeDeployment['clients'], 'cloudFormation' | 's3'>,
  clientConfig: ClientConfig,
  stackName: string,
  roleArn: string,
): Promise<void> {
  const iam = new IAMClient(clientConfig);
  try {
    const roleName = roleArn.slice(roleArn.lastIndexOf('/') + 1);
    const { AttachedPolicies = [] } = await iam.send(
      new ListAttachedRolePoliciesCommand({ RoleName: roleName }),
    );
    for (const { PolicyArn } of AttachedPolicies) {
      await iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn }));
    }
  } finally {
    iam.destroy();
  }
  await removeLikeServerless(clients, stackName);
}
