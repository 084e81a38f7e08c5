/**
 * `serverless package` with PRIVATELINK_VPCS (two VPCs): a data plane per VPC, attached to that VPC with its
 * own egress-only group, and IAM evaluated by the policy engine for both VPCs and against a third. Also: the
 * functions' environment passes the code's own configuration check, and bad settings fail the package.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../functions/config.ts';
import {
  ACCOUNT,
  type AwsRequest,
  decide,
  REGION,
  type Role,
  resolveIntrinsics,
  roleOf,
  securityGroupIdOf,
} from '../../../testing/iam-engine.ts';
import { type CfnResource, type PackagedStack, packageStack } from '../../../testing/serverless-package.ts';

const FIRST = {
  vpcId: 'vpc-0123456789abcdef0',
  subnetIds: ['subnet-0aaa', 'subnet-0bbb'],
  securityGroupIds: ['sg-0ccc'],
};
const SECOND = { vpcId: 'vpc-0fedcba9876543210', subnetIds: ['subnet-0ddd'], securityGroupIds: [] };
const THIRD_VPC = 'vpc-0333333333333333a';
/** The list form replaces the short form the package kit sets by default. */
const LIST_FORM = {
  PRIVATELINK_VPCS: JSON.stringify([FIRST, SECOND]),
  PRIVATELINK_VPC_ID: '',
  PRIVATELINK_SUBNET_IDS: '',
  PRIVATELINK_SECURITY_GROUP_IDS: '',
};
const DATA_PLANES = ['dataPlane', 'dataPlane2'] as const;
const FUNCTIONS = ['reconcile', 'provision', 'probe', 'troubleshoot', ...DATA_PLANES] as const;
type FunctionName = (typeof FUNCTIONS)[number];

let stack: PackagedStack;
const roles = {} as Record<FunctionName, Role>;

beforeAll(async () => {
  stack = await packageStack(LIST_FORM);
  for (const fn of FUNCTIONS) roles[fn] = roleOf(stack.template, fn);
}, 120_000);

afterAll(async () => {
  if (stack) await rm(stack.dir, { recursive: true, force: true });
});

const resource = (id: string): CfnResource => {
  const found = stack.template.Resources[id];
  if (!found) throw new Error(`no ${id} in the template`);
  return found;
};
const functionOf = (name: FunctionName) =>
  resource(`${name[0]?.toUpperCase()}${name.slice(1)}LambdaFunction`);
const ec2Arn = (path: string) => `arn:aws:ec2:${REGION}:${ACCOUNT}:${path}`;
const allowed = async (fn: FunctionName, request: AwsRequest) =>
  (await decide(roles[fn], request)) === 'Allowed';

/** A function's environment as Lambda sees it (intrinsics resolved, AWS_REGION set by the runtime). */
function environmentOf(name: FunctionName): Record<string, string> {
  const { Variables } = functionOf(name).Properties.Environment as { Variables: unknown };
  return { ...(resolveIntrinsics(stack.template, Variables) as Record<string, string>), AWS_REGION: REGION };
}

describe('two VPCs: the template', () => {
  it('has the five functions plus one data plane per extra VPC, each with its error alarm', () => {
    const functions = Object.entries(stack.template.Resources).filter(
      ([, r]) => r.Type === 'AWS::Lambda::Function',
    );
    expect(functions.map(([id]) => id).sort()).toEqual(
      FUNCTIONS.map((fn) => `${fn[0]?.toUpperCase()}${fn.slice(1)}LambdaFunction`).sort(),
    );
    const alarmed = Object.values(stack.template.Resources)
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.MetricName === 'Errors')
      .map((r) => JSON.stringify(r.Properties.Dimensions));
    for (const [id] of functions) expect(alarmed.some((d) => d.includes(`"${id}"`))).toBe(true);
    expect(resource('DataPlane2ErrorsAlarm').Properties.AlarmName).toBe(
      'tidb-privatelink-dev-dataPlane2-errors',
    );
  });

  it("attaches each data plane to its own VPC: that VPC's subnets and an egress-only group there", () => {
    const placements = [
      ['dataPlane', 'ProbeSecurityGroup', FIRST],
      ['dataPlane2', 'ProbeSecurityGroup2', SECOND],
    ] as const;
    for (const [name, group, vpc] of placements) {
      const config = resolveIntrinsics(stack.template, functionOf(name).Properties.VpcConfig);
      expect(config).toEqual({ SecurityGroupIds: [securityGroupIdOf(group)], SubnetIds: vpc.subnetIds });
      expect(resource(group).Properties).toMatchObject({ VpcId: vpc.vpcId });
      expect(resource(group).Properties).not.toHaveProperty('SecurityGroupIngress');
      expect(
        resource(`${name[0]?.toUpperCase()}${name.slice(1)}IamRoleLambdaExecution`).Properties
          .ManagedPolicyArns,
      ).toEqual([]);
    }
    for (const name of ['reconcile', 'provision', 'probe', 'troubleshoot'] as const) {
      expect(functionOf(name).Properties).not.toHaveProperty('VpcConfig');
    }
  });

  it("every function's environment passes the code's own configuration check, with both VPCs", () => {
    for (const name of ['reconcile', 'provision'] as const) {
      const config = loadConfig(environmentOf(name), { apiKeys: 'secret', vpc: true });
      expect(config.privateLink.vpcs).toEqual([FIRST, SECOND]);
    }
    for (const name of ['probe', 'troubleshoot'] as const) {
      const config = loadConfig(environmentOf(name), { apiKeys: 'secret', vpc: true, probe: true });
      expect(config.probe.dataPlanes).toEqual([
        {
          vpcId: FIRST.vpcId,
          functionName: 'tidb-privatelink-dev-dataPlane',
          securityGroupIds: [securityGroupIdOf('ProbeSecurityGroup')],
          subnetIds: FIRST.subnetIds,
        },
        {
          vpcId: SECOND.vpcId,
          functionName: 'tidb-privatelink-dev-dataPlane2',
          securityGroupIds: [securityGroupIdOf('ProbeSecurityGroup2')],
          subnetIds: SECOND.subnetIds,
        },
      ]);
    }
  });
});

describe('two VPCs: IAM, evaluated by the policy engine', () => {
  const createIn = (vpcId: string, subnetId: string): AwsRequest[] =>
    [`vpc/${vpcId}`, `subnet/${subnetId}`].map((path) => ({
      action: 'ec2:CreateVpcEndpoint',
      resource: ec2Arn(path),
    }));
  const associate = (vpcId: string): AwsRequest => ({
    action: 'route53:AssociateVPCWithHostedZone',
    resource: 'arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ',
    context: { 'route53:VPCs': `VPCId=${vpcId},VPCRegion=${REGION}` },
  });

  it.each(['reconcile', 'provision'] as const)(
    '%s creates endpoints in either VPC, never in a third',
    async (fn) => {
      for (const vpc of [FIRST, SECOND]) {
        for (const request of createIn(vpc.vpcId, vpc.subnetIds[0] ?? ''))
          expect(await allowed(fn, request)).toBe(true);
      }
      const [third] = createIn(THIRD_VPC, 'subnet-0eee');
      expect(await allowed(fn, third as AwsRequest)).toBe(false);
    },
  );

  it.each(['reconcile', 'provision'] as const)(
    "%s associates either VPC with the service's private hosted zone, never a third",
    async (fn) => {
      expect(await allowed(fn, associate(FIRST.vpcId))).toBe(true);
      expect(await allowed(fn, associate(SECOND.vpcId))).toBe(true);
      expect(await allowed(fn, associate(THIRD_VPC))).toBe(false);
    },
  );

  it.each(FUNCTIONS)('%s may assume no role: without spokes there is no sts:AssumeRole', async (fn) => {
    const assume = { action: 'sts:AssumeRole', resource: 'arn:aws:iam::222233334444:role/any' };
    expect(await allowed(fn, assume)).toBe(false);
  });

  it.each(['probe', 'troubleshoot'] as const)(
    '%s invokes both data planes and no other function',
    async (fn) => {
      const invoke = (name: string) => ({
        action: 'lambda:InvokeFunction',
        resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`,
      });
      expect(await allowed(fn, invoke('tidb-privatelink-dev-dataPlane'))).toBe(true);
      expect(await allowed(fn, invoke('tidb-privatelink-dev-dataPlane2'))).toBe(true);
      expect(await allowed(fn, invoke('tidb-privatelink-dev-dataPlane3'))).toBe(false);
      expect(await allowed(fn, invoke('tidb-privatelink-dev-reconcile'))).toBe(false);
    },
  );

  it("lets each data plane's interfaces only into its own VPC's subnets, with its own group", async () => {
    const eni = (path: string): AwsRequest => ({
      action: 'ec2:CreateNetworkInterface',
      resource: ec2Arn(path),
    });
    const own = [
      ['dataPlane', 'ProbeSecurityGroup', FIRST, SECOND],
      ['dataPlane2', 'ProbeSecurityGroup2', SECOND, FIRST],
    ] as const;
    for (const [fn, group, vpc, other] of own) {
      expect(await allowed(fn, eni('network-interface/eni-0new0000000000000'))).toBe(true);
      expect(await allowed(fn, eni(`security-group/${securityGroupIdOf(group)}`))).toBe(true);
      for (const subnetId of vpc.subnetIds) expect(await allowed(fn, eni(`subnet/${subnetId}`))).toBe(true);
      for (const subnetId of other.subnetIds)
        expect(await allowed(fn, eni(`subnet/${subnetId}`))).toBe(false);
    }
    expect(
      await allowed('dataPlane2', eni(`security-group/${securityGroupIdOf('ProbeSecurityGroup')}`)),
    ).toBe(false);
    expect(
      await allowed('dataPlane', eni(`security-group/${securityGroupIdOf('ProbeSecurityGroup2')}`)),
    ).toBe(false);
  });

  it('gives the extra data plane no other AWS permission', async () => {
    for (const [action, target] of [
      ['ec2:CreateVpcEndpoint', ec2Arn(`vpc/${SECOND.vpcId}`)],
      [
        'lambda:InvokeFunction',
        `arn:aws:lambda:${REGION}:${ACCOUNT}:function:tidb-privatelink-dev-dataPlane`,
      ],
      [
        'secretsmanager:GetSecretValue',
        `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:tidb-cloud-api-key-AbCdEf`,
      ],
      ['ec2:CreateTags', ec2Arn('vpc-endpoint/vpce-0123456789abcdef0')],
    ] as const) {
      expect(await decide(roles.dataPlane2, { action, resource: target })).toBe('ImplicitlyDenied');
    }
  });
});

describe('bad VPC settings fail the package, every problem in one message', () => {
  it('a list with problems', async () => {
    const bad = JSON.stringify([FIRST, { vpcId: SECOND.vpcId, subnetIds: [] }, { subnetIds: ['subnet-0f'] }]);
    await expect(packageStack({ ...LIST_FORM, PRIVATELINK_VPCS: bad })).rejects.toThrow(
      /deploy settings: PRIVATELINK_VPCS\[1\] needs "subnetIds": a non-empty list of id strings; PRIVATELINK_VPCS\[2\] needs "vpcId"/,
    );
  }, 120_000);

  it('the list and the short form at once', async () => {
    await expect(packageStack({ PRIVATELINK_VPCS: LIST_FORM.PRIVATELINK_VPCS })).rejects.toThrow(
      /PRIVATELINK_VPCS and PRIVATELINK_VPC_ID, PRIVATELINK_SUBNET_IDS, PRIVATELINK_SECURITY_GROUP_IDS are both set/,
    );
  }, 120_000);
});
