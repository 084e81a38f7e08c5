/**
 * `serverless package` of a hub with spokes (PRIVATELINK_VPCS entries with `roleArn`): no data plane, group
 * or grant in the hub's account for a spoke's VPC; `sts:AssumeRole` on exactly the spokes' roles for the
 * functions that touch VPCs; the spokes' data planes named by ARN and invokable by probe and troubleshoot.
 * IAM evaluated by the policy engine; the functions' environment passes the code's own check.
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
} from '../../../testing/iam-engine.ts';
import { type PackagedStack, packageStack } from '../../../testing/serverless-package.ts';

const OWN = {
  vpcId: 'vpc-0123456789abcdef0',
  subnetIds: ['subnet-0aaa', 'subnet-0bbb'],
  securityGroupIds: [],
};
const ROLE = 'arn:aws:iam::222233334444:role/tidb-privatelink-spoke';
const OTHER_ROLE = 'arn:aws:iam::555566667777:role/team/tidb-privatelink-spoke';
const SPOKE = {
  vpcId: 'vpc-0222222222222222a',
  subnetIds: ['subnet-0c1'],
  roleArn: ROLE,
  externalId: 'tenant-42',
};
const EXPLICIT_DATA_PLANE = `arn:aws:lambda:${REGION}:555566667777:function:custom-data-plane`;
const SPOKE2 = {
  vpcId: 'vpc-0555555555555555b',
  subnetIds: ['subnet-0d1'],
  roleArn: OTHER_ROLE,
  dataPlaneFunctionArn: EXPLICIT_DATA_PLANE,
};
const DEFAULT_DATA_PLANE = `arn:aws:lambda:${REGION}:222233334444:function:tidb-privatelink-dev-dataPlane-${SPOKE.vpcId}`;
const HUB_FUNCTIONS = ['reconcile', 'provision', 'probe', 'troubleshoot'] as const;
type FunctionName = (typeof HUB_FUNCTIONS)[number] | 'dataPlane';

let stack: PackagedStack;
const roles = {} as Record<FunctionName, Role>;

beforeAll(async () => {
  stack = await packageStack({
    PRIVATELINK_VPCS: JSON.stringify([SPOKE, OWN, SPOKE2]),
    PRIVATELINK_VPC_ID: '',
    PRIVATELINK_SUBNET_IDS: '',
    PRIVATELINK_SECURITY_GROUP_IDS: '',
  });
  for (const fn of [...HUB_FUNCTIONS, 'dataPlane'] as const) roles[fn] = roleOf(stack.template, fn);
}, 300_000);

afterAll(async () => {
  if (stack) await rm(stack.dir, { recursive: true, force: true });
});

const allowed = async (fn: FunctionName, request: AwsRequest) =>
  (await decide(roles[fn], request)) === 'Allowed';
const assume = (roleArn: string): AwsRequest => ({ action: 'sts:AssumeRole', resource: roleArn });
const ec2Arn = (path: string) => `arn:aws:ec2:${REGION}:${ACCOUNT}:${path}`;

function environmentOf(name: FunctionName): Record<string, string> {
  const fn = stack.template.Resources[`${name[0]?.toUpperCase()}${name.slice(1)}LambdaFunction`];
  if (!fn) throw new Error(`no ${name} in the template`);
  const { Variables } = fn.Properties.Environment as { Variables: unknown };
  return { ...(resolveIntrinsics(stack.template, Variables) as Record<string, string>), AWS_REGION: REGION };
}

describe('a hub with spokes: the template', () => {
  it("builds one data plane, in the hub's own VPC, none for a spoke", () => {
    const functions = Object.entries(stack.template.Resources)
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
      .map(([id]) => id);
    expect(functions.sort()).toEqual(
      [...HUB_FUNCTIONS, 'dataPlane']
        .map((fn) => `${fn[0]?.toUpperCase()}${fn.slice(1)}LambdaFunction`)
        .sort(),
    );
    const groups = Object.values(stack.template.Resources).filter(
      (r) => r.Type === 'AWS::EC2::SecurityGroup',
    );
    expect(groups.map((group) => group.Properties.VpcId)).toEqual([OWN.vpcId]);
  });

  it("gives the functions the whole list, in order, and the spokes' data planes by ARN", () => {
    const config = loadConfig(environmentOf('reconcile'), { apiKeys: 'secret', vpc: true });
    expect(config.privateLink.vpcs.map((vpc) => [vpc.vpcId, vpc.accountId])).toEqual([
      [SPOKE.vpcId, '222233334444'],
      [OWN.vpcId, undefined],
      [SPOKE2.vpcId, '555566667777'],
    ]);
    expect(config.privateLink.vpcId).toBe(OWN.vpcId);
    for (const fn of ['probe', 'troubleshoot'] as const) {
      const probe = loadConfig(environmentOf(fn), { apiKeys: 'secret', vpc: true, probe: true });
      expect(probe.probe.dataPlanes.map((site) => [site.vpcId, site.functionName])).toEqual([
        [OWN.vpcId, 'tidb-privatelink-dev-dataPlane'],
        [SPOKE.vpcId, DEFAULT_DATA_PLANE],
        [SPOKE2.vpcId, EXPLICIT_DATA_PLANE],
      ]);
    }
  });
});

describe('a hub with spokes: IAM, evaluated by the policy engine', () => {
  it.each(HUB_FUNCTIONS)("%s may assume exactly the spokes' roles", async (fn) => {
    expect(await allowed(fn, assume(ROLE))).toBe(true);
    expect(await allowed(fn, assume(OTHER_ROLE))).toBe(true);
    expect(await allowed(fn, assume('arn:aws:iam::222233334444:role/admin'))).toBe(false);
  });

  it('the data plane may assume none', async () => {
    expect(await allowed('dataPlane', assume(ROLE))).toBe(false);
  });

  it.each(['reconcile', 'provision'] as const)(
    "%s may create endpoints in the hub's own VPC, not in a spoke's VPC id in its own account",
    async (fn) => {
      const create = (vpcId: string): AwsRequest => ({
        action: 'ec2:CreateVpcEndpoint',
        resource: ec2Arn(`vpc/${vpcId}`),
      });
      expect(await allowed(fn, create(OWN.vpcId))).toBe(true);
      expect(await allowed(fn, create(SPOKE.vpcId))).toBe(false);
      const associate = (vpcId: string): AwsRequest => ({
        action: 'route53:AssociateVPCWithHostedZone',
        resource: 'arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ',
        context: { 'route53:VPCs': `VPCId=${vpcId},VPCRegion=${REGION}` },
      });
      expect(await allowed(fn, associate(OWN.vpcId))).toBe(true);
      expect(await allowed(fn, associate(SPOKE.vpcId))).toBe(false);
    },
  );

  it.each(['probe', 'troubleshoot'] as const)(
    "%s may invoke the spokes' data planes and its own",
    async (fn) => {
      const invoke = (resource: string): AwsRequest => ({ action: 'lambda:InvokeFunction', resource });
      expect(
        await allowed(
          fn,
          invoke(`arn:aws:lambda:${REGION}:${ACCOUNT}:function:tidb-privatelink-dev-dataPlane`),
        ),
      ).toBe(true);
      expect(await allowed(fn, invoke(DEFAULT_DATA_PLANE))).toBe(true);
      expect(await allowed(fn, invoke(EXPLICIT_DATA_PLANE))).toBe(true);
      expect(await allowed(fn, invoke(`arn:aws:lambda:${REGION}:222233334444:function:other`))).toBe(false);
    },
  );
});
