/**
 * The packaged stack deploys: into moto's CloudFormation, the way `serverless deploy` does (core template,
 * artifacts and template to the deployment bucket, update by change set), into two VPCs and their subnets that
 * exist in moto (PRIVATELINK_VPCS: a data plane per VPC). Then the test reads what exists through each
 * service's own API. The short form (one VPC) packages the same first data plane (template.test.ts).
 *
 * moto 5.1.1 skips AWS::CloudWatch::Alarm, AWS::CloudWatch::Dashboard and AWS::Lambda::EventInvokeConfig
 * (with a warning) and drops Lambda `Architectures`: those are asserted on the packaged template
 * (operations.test.ts, and arm64 below).
 */
import { rm } from 'node:fs/promises';
import {
  CloudFormationClient,
  DescribeStackResourcesCommand,
  type StackResource,
} from '@aws-sdk/client-cloudformation';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcEndpointsCommand,
} from '@aws-sdk/client-ec2';
import { DescribeRuleCommand, ListRulesCommand, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { GetFunctionConfigurationCommand, LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { deployLikeServerless, removeLikeServerless } from '../../testing/cloudformation-deploy.ts';
import {
  createSandboxClients,
  destroySandboxClients,
  type SandboxClients,
} from '../../testing/moto-world.ts';
import { type PackagedStack, packageStack } from '../../testing/serverless-package.ts';

const STACK = 'tidb-privatelink-dev';
const SANDBOX_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
/** What serverless.yml asks of each function: five, plus a data plane per extra VPC. */
const FUNCTIONS = {
  reconcile: { timeout: 285 },
  provision: { timeout: 900 },
  probe: { timeout: 300 },
  troubleshoot: { timeout: 60 },
  dataPlane: { timeout: 30 },
  dataPlane2: { timeout: 30 },
} as const;
/**
 * Resource types moto's CloudFormation does not create (it logs "not supported" and goes on); each is
 * asserted on the packaged template instead: alarms, dashboard and invoke configs in operations.test.ts, the
 * dead-letter queue's policy evaluated by the policy engine in iam-matrix.test.ts.
 */
const SKIPPED_BY_MOTO = [
  'AWS::CloudWatch::Alarm',
  'AWS::CloudWatch::Dashboard',
  'AWS::Lambda::EventInvokeConfig',
  'AWS::SQS::QueuePolicy',
  'AWS::S3::BucketPolicy',
];

let clients: SandboxClients;
let cloudFormation: CloudFormationClient;
let lambda: LambdaClient;
let s3: S3Client;
let packaged: PackagedStack;
let resources: StackResource[];
let vpcId: string;
let subnetIds: string[];
/** The second VPC of the stack, with one subnet. */
let secondVpc: { vpcId: string; subnetIds: string[] };

beforeAll(async () => {
  const config = { endpointUrl: inject('awsEndpointUrl'), region: inject('awsRegion') };
  clients = createSandboxClients(config);
  const common = { region: config.region, endpoint: config.endpointUrl, credentials: SANDBOX_CREDENTIALS };
  cloudFormation = new CloudFormationClient(common);
  lambda = new LambdaClient(common);
  s3 = new S3Client({ ...common, forcePathStyle: true });

  const { Vpc } = await clients.ec2.send(new CreateVpcCommand({ CidrBlock: '10.42.0.0/16' }));
  vpcId = Vpc?.VpcId ?? '';
  subnetIds = [];
  for (const [index, zone] of ['us-east-1a', 'us-east-1b'].entries()) {
    const { Subnet } = await clients.ec2.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.42.${index}.0/24`, AvailabilityZone: zone }),
    );
    subnetIds.push(Subnet?.SubnetId ?? '');
  }
  const { Vpc: second } = await clients.ec2.send(new CreateVpcCommand({ CidrBlock: '10.43.0.0/16' }));
  const { Subnet: secondSubnet } = await clients.ec2.send(
    new CreateSubnetCommand({
      VpcId: second?.VpcId,
      CidrBlock: '10.43.0.0/24',
      AvailabilityZone: 'us-east-1a',
    }),
  );
  secondVpc = { vpcId: second?.VpcId ?? '', subnetIds: [secondSubnet?.SubnetId ?? ''] };
  packaged = await packageStack({
    PRIVATELINK_VPCS: JSON.stringify([{ vpcId, subnetIds }, secondVpc]),
    PRIVATELINK_VPC_ID: '',
    PRIVATELINK_SUBNET_IDS: '',
    PRIVATELINK_SECURITY_GROUP_IDS: '',
    AWS_REGION: config.region,
  });
  await deployLikeServerless({ cloudFormation, s3 }, packaged, STACK);
  ({ StackResources: resources = [] } = await cloudFormation.send(
    new DescribeStackResourcesCommand({ StackName: STACK }),
  ));
}, 180_000);

afterAll(async () => {
  if (clients) destroySandboxClients(clients);
  for (const client of [cloudFormation, lambda, s3]) client?.destroy();
  if (packaged) await rm(packaged.dir, { recursive: true, force: true });
});

function physicalId(logicalId: string): string {
  const resource = resources.find((candidate) => candidate.LogicalResourceId === logicalId);
  if (!resource?.PhysicalResourceId) throw new Error(`the deployed stack has no ${logicalId}`);
  return resource.PhysicalResourceId;
}

describe('the deployed stack', () => {
  it('created every resource of the template except the types moto skips', () => {
    const template = packaged.template.Resources;
    const conditional = Object.entries(template).filter(([, r]) => (r as { Condition?: string }).Condition);
    const expected = Object.entries(template)
      .filter(([, resource]) => !SKIPPED_BY_MOTO.includes(resource.Type))
      .filter(([id]) => !conditional.some(([conditionalId]) => conditionalId === id))
      .map(([id]) => id);
    // moto lists what it skipped without a logical id.
    const created = resources.map((resource) => resource.LogicalResourceId ?? '').filter(Boolean);
    expect(created.sort()).toEqual(expected.sort());
    for (const resource of resources) expect(resource.ResourceStatus).toMatch(/_COMPLETE$/);
    // Without PRIVATELINK_ALARM_EMAIL the e-mail topic's condition is false: not created.
    expect(created).not.toContain('AlarmEmailTopic');
    expect(created).not.toContain('IamRoleLambdaExecution');
  });

  it.each(Object.entries(FUNCTIONS))(
    '%s: nodejs22.x with its timeout and its own role',
    async (name, spec) => {
      const fn = await lambda.send(
        new GetFunctionConfigurationCommand({ FunctionName: `tidb-privatelink-dev-${name}` }),
      );
      expect(fn).toMatchObject({ Runtime: 'nodejs22.x', Timeout: spec.timeout, MemorySize: 256 });
      expect(fn.Role).toContain(`:role/tidb-privatelink-dev-${name}-us-east-1-lambdaRole`);
      const vpcs = JSON.parse(fn.Environment?.Variables?.PRIVATELINK_VPCS ?? '[]') as Array<{
        vpcId: string;
      }>;
      expect(vpcs.map((vpc) => vpc.vpcId)).toEqual([vpcId, secondVpc.vpcId]);
    },
  );

  it('runs every function on arm64 (moto drops Architectures: asserted on the template)', () => {
    const functions = Object.values(packaged.template.Resources).filter(
      (r) => r.Type === 'AWS::Lambda::Function',
    );
    expect(functions).toHaveLength(Object.keys(FUNCTIONS).length);
    for (const fn of functions) expect(fn.Properties.Architectures).toEqual(['arm64']);
  });

  it('attaches only the data planes, each to its own VPC: its subnets and its own egress-only group', async () => {
    const placements = [
      ['dataPlane', 'ProbeSecurityGroup', { vpcId, subnetIds }],
      ['dataPlane2', 'ProbeSecurityGroup2', secondVpc],
    ] as const;
    for (const [name, groupLogicalId, vpc] of placements) {
      const groupId = physicalId(groupLogicalId);
      const dataPlane = await lambda.send(
        new GetFunctionConfigurationCommand({ FunctionName: `tidb-privatelink-dev-${name}` }),
      );
      expect(dataPlane.VpcConfig?.SubnetIds?.sort()).toEqual([...vpc.subnetIds].sort());
      expect(dataPlane.VpcConfig?.SecurityGroupIds).toEqual([groupId]);
      const { SecurityGroups: [group] = [] } = await clients.ec2.send(
        new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }),
      );
      expect(group).toMatchObject({
        VpcId: vpc.vpcId,
        Tags: expect.arrayContaining([{ Key: 'tidb-privatelink:managed-by', Value: 'tidb-privatelink' }]),
      });
      expect(group?.IpPermissions ?? []).toEqual([]);
    }
    for (const name of ['reconcile', 'provision', 'probe', 'troubleshoot']) {
      const fn = await lambda.send(
        new GetFunctionConfigurationCommand({ FunctionName: `tidb-privatelink-dev-${name}` }),
      );
      expect(fn.VpcConfig?.SubnetIds ?? []).toEqual([]);
    }
  });

  it('schedules reconcile and probe, and routes the two inbound events with their patterns and DLQ', async () => {
    const { Rules = [] } = await clients.eventBridge.send(new ListRulesCommand({ NamePrefix: STACK }));
    const targets = async (rule: string) =>
      (await clients.eventBridge.send(new ListTargetsByRuleCommand({ Rule: rule }))).Targets ?? [];
    const deadLetterArn = (
      await clients.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: physicalId('EventsDeadLetterQueue'),
          AttributeNames: ['QueueArn'],
        }),
      )
    ).Attributes?.QueueArn;

    const schedules = Rules.filter((rule) => rule.ScheduleExpression);
    expect(schedules.map((rule) => rule.ScheduleExpression)).toEqual(['rate(5 minutes)', 'rate(5 minutes)']);
    const scheduled = await Promise.all(
      schedules.map(async (rule) => (await targets(rule.Name ?? ''))[0]?.Arn),
    );
    expect(scheduled.sort()).toEqual([
      expect.stringMatching(/:function:tidb-privatelink-dev-probe$/),
      expect.stringMatching(/:function:tidb-privatelink-dev-reconcile$/),
    ]);

    const expectedPatterns = {
      provision: {
        source: ['tidb-privatelink'],
        'detail-type': ['TiDB Cluster Detected'],
        detail: { handledBy: [{ exists: false }] },
      },
      troubleshoot: { source: ['tidb-privatelink'], 'detail-type': ['PrivateLink Troubleshoot Requested'] },
    };
    for (const [fn, pattern] of Object.entries(expectedPatterns)) {
      const rule = await clients.eventBridge.send(new DescribeRuleCommand({ Name: `${STACK}-${fn}-rule-1` }));
      expect(JSON.parse(rule.EventPattern ?? '{}')).toEqual(pattern);
      const [target] = await targets(rule.Name ?? '');
      expect(target?.Arn).toMatch(new RegExp(`:function:tidb-privatelink-dev-${fn}$`));
      expect(target?.DeadLetterConfig?.Arn).toBe(deadLetterArn);
      expect(target?.RetryPolicy).toEqual({ MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 });
    }
  });

  it('has the failure queue and the dead-letter queue, keeping messages 14 days', async () => {
    for (const queue of ['AsyncFailureQueue', 'EventsDeadLetterQueue']) {
      const { Attributes } = await clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: physicalId(queue), AttributeNames: ['All'] }),
      );
      expect(Attributes?.MessageRetentionPeriod).toBe('1209600');
    }
  });
});

describe('removing the stack (serverless remove)', () => {
  it('deletes what the stack created and leaves the endpoints the app created, found by their tag', async () => {
    // What a reconcile leaves in the VPC: an interface endpoint carrying the managed-by tag.
    const { VpcEndpoint } = await clients.ec2.send(
      new CreateVpcEndpointCommand({
        VpcId: vpcId,
        VpcEndpointType: 'Interface',
        ServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0a1b2c3d4e5f60789',
        SubnetIds: subnetIds,
        TagSpecifications: [
          {
            ResourceType: 'vpc-endpoint',
            Tags: [{ Key: 'tidb-privatelink:managed-by', Value: 'tidb-privatelink' }],
          },
        ],
      }),
    );

    await removeLikeServerless({ cloudFormation, s3 }, STACK);

    const { Functions = [] } = await lambda.send(new ListFunctionsCommand({}));
    expect(Functions.filter((fn) => fn.FunctionName?.startsWith(STACK))).toEqual([]);
    const { Rules = [] } = await clients.eventBridge.send(new ListRulesCommand({ NamePrefix: STACK }));
    expect(Rules).toEqual([]);
    // README "Deploy to teardown": aws ec2 describe-vpc-endpoints --filters Name=tag:…,Values=tidb-privatelink
    const { VpcEndpoints = [] } = await clients.ec2.send(
      new DescribeVpcEndpointsCommand({
        Filters: [
          { Name: 'tag:tidb-privatelink:managed-by', Values: ['tidb-privatelink'] },
          // Other test files share this moto: only this test's VPC.
          { Name: 'vpc-id', Values: [vpcId] },
        ],
      }),
    );
    expect(VpcEndpoints.map((endpoint) => endpoint.VpcEndpointId)).toEqual([VpcEndpoint?.VpcEndpointId]);
  });
});
