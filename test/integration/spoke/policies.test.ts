/**
 * The spoke template's IAM evaluated by the policy engine (testing/iam-engine.ts), as IAM would decide it in
 * the spoke's account: each hub session of the spoke role may do what that hub function may do in its own
 * account, in that VPC only; the trust policy admits each hub function's role under its own session name (and
 * external id, when set) and the operator role only when given; the data plane's resource policy admits the
 * hub's probe and troubleshoot roles only. The hub's own side of these cross-account requests (its roles'
 * `sts:AssumeRole` and `lambda:InvokeFunction` statements) is the hub's iam.yml: here the callers' identity
 * policies allow both, so every denial below is the spoke's.
 */
import { describe, expect, it } from 'vitest';
import {
  HEALTH_TAG,
  MANAGED_BY_TAG,
  MANAGED_BY_VALUE,
  ORPHANED_SINCE_TAG,
  STACK_TAG,
  SUBNET_CONFIG_TAG,
  type VpcEndpoint,
} from '../../../functions/core/model.ts';
import type { Ec2Operation } from '../../../testing/ec2-fake.ts';
import { ec2RequestsOf, type PortCall } from '../../../testing/iam/ec2-requests.ts';
import {
  assumeRoleDecision,
  type Caller,
  decideAsSession,
  hubRoleArn,
  hubSessionName,
  invokeDecision,
  SPOKE_ACCOUNT,
  type Spoke,
  type SpokeParameters,
  spokeOf,
} from '../../../testing/iam/spoke.ts';
import { CLI_SESSION, HUB_FUNCTIONS, type HubFunction } from '../../../testing/iam/spoke-policies.ts';
import {
  type AwsRequest,
  decide,
  ACCOUNT as HUB_ACCOUNT,
  REGION,
  type Role,
} from '../../../testing/iam-engine.ts';

const HUB_STACK = 'tidb-privatelink-dev';
const VPC = 'vpc-0a1b2c3d4e5f60718';
const OTHER_VPC = 'vpc-0f9e8d7c6b5a40312';
const SUBNETS = ['subnet-0a1b2c3d4e5f60001', 'subnet-0a1b2c3d4e5f60002'];
const PROBE_SUBNET = 'subnet-0a1b2c3d4e5f60003';
const OTHER_VPC_SUBNET = 'subnet-0f9e8d7c6b5a40001';
const OPERATOR_ROLE = `arn:aws:iam::${HUB_ACCOUNT}:role/platform-operator`;
const SERVICE = `com.amazonaws.vpce.${REGION}.vpce-svc-0123456789abcdef0`;

const BASE: SpokeParameters = {
  HubAccountId: HUB_ACCOUNT,
  HubStackName: HUB_STACK,
  VpcId: VPC,
  SubnetIds: SUBNETS,
  ProbeSubnetIds: [PROBE_SUBNET],
  DataPlaneCodeBucket: 'tidb-privatelink-artifacts',
  DataPlaneCodeKey: 'tidb-privatelink/0.1.0-abc1234/dataPlane.zip',
};

/** The hub side: allows the cross-account calls, so the spoke's policies decide (see the file comment). */
const HUB_SIDE: Role['policies'] = [
  {
    name: 'hub-side',
    policy: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['sts:AssumeRole', 'lambda:InvokeFunction'], Resource: '*' }],
    },
  },
];

/** A hub function's Lambda as the caller: its role in `account`, running as a session named after it. */
function hubCaller(fn: string, account = HUB_ACCOUNT, sessionName = `${HUB_STACK}-${fn}`): Caller {
  const roleArn = hubRoleArn(account, HUB_STACK, fn);
  return { role: { principal: roleArn, policies: HUB_SIDE, managedPolicyArns: [] }, roleArn, sessionName };
}

const operatorCaller = (roleArn = OPERATOR_ROLE): Caller => ({
  role: { principal: roleArn, policies: HUB_SIDE, managedPolicyArns: [] },
  roleArn,
  sessionName: 'alice',
});

function endpoint(id: string, tags: Record<string, string>): VpcEndpoint {
  return {
    vpcEndpointId: id,
    vpcId: VPC,
    serviceName: SERVICE,
    state: 'available',
    subnetIds: SUBNETS,
    securityGroupIds: ['sg-0a1b2c3d4e5f60001'],
    networkInterfaceIds: [],
    privateDnsEnabled: true,
    tags,
  };
}

const MANAGED = { [MANAGED_BY_TAG]: MANAGED_BY_VALUE, [STACK_TAG]: 'tidb-privatelink' };
const ENDPOINTS = {
  managed: endpoint('vpce-0000000000000aaa1', MANAGED),
  unmanaged: endpoint('vpce-0000000000000aaa2', { Name: 'someone-elses' }),
  otherStack: endpoint('vpce-0000000000000aaa3', { ...MANAGED, [STACK_TAG]: 'another-stack' }),
};

/** EC2's state as the requests' condition keys see it: the spoke's VPC and endpoints, in the spoke account. */
const STATE = {
  region: REGION,
  account: SPOKE_ACCOUNT,
  peekEndpoints: () => Object.values(ENDPOINTS),
  peekSubnets: (ids: string[]) =>
    ids.map((subnetId) => ({
      subnetId,
      vpcId: subnetId === OTHER_VPC_SUBNET ? OTHER_VPC : VPC,
      availabilityZone: `${REGION}a`,
      availabilityZoneId: 'use1-az1',
      cidrBlock: '10.0.0.0/24',
    })),
  peekSecurityGroups: (ids: string[]) => ids.map((groupId) => ({ groupId, vpcId: VPC })),
};

/** Every IAM request of one EC2 call (testing/iam/ec2-requests.ts, as the hub's enforcement builds them). */
const requestsOf = (operation: Ec2Operation, method: string, ...args: unknown[]): AwsRequest[] =>
  ec2RequestsOf(operation, { method, args } satisfies PortCall, STATE);

/** Allowed when every request of the call is; otherwise the first refusal. */
async function callDecision(spoke: Spoke, session: string, requests: AwsRequest[]): Promise<string> {
  for (const request of requests) {
    const decision = await decideAsSession(spoke, session, request);
    if (decision !== 'Allowed') return `${decision} ${request.action} on ${request.resource}`;
  }
  return 'Allowed';
}

const create = (vpcId: string, serviceName = SERVICE, subnetIds = SUBNETS) =>
  requestsOf('CreateVpcEndpoint', 'createEndpoint', {
    vpcId,
    serviceName,
    subnetIds,
    securityGroupIds: ['sg-0a1b2c3d4e5f60001'],
    clientToken: 'token',
    tags: { ...MANAGED, 'tidb-privatelink:cluster-id': '1379661944646413143' },
  });
const modify = (id: string) => requestsOf('ModifyVpcEndpoint', 'enablePrivateDns', id);
const moveSubnets = (id: string, subnetId: string) =>
  requestsOf('ModifyVpcEndpoint', 'modifyEndpointSubnets', id, {
    addSubnetIds: [subnetId],
    removeSubnetIds: [],
  });
const remove = (id: string) => requestsOf('DeleteVpcEndpoints', 'deleteEndpoints', [id]);
const tag = (id: string, key: string) => requestsOf('CreateTags', 'tagEndpoint', id, { [key]: 'x' });
const untag = (id: string, key: string) => requestsOf('DeleteTags', 'untagEndpoint', id, [key]);
const read = (action: string): AwsRequest[] => [{ action, resource: '*' }];

const session = (fn: HubFunction) => hubSessionName(HUB_STACK, fn);

describe('the spoke role, per hub session', async () => {
  const spoke = await spokeOf({ ...BASE, OperatorRoleArn: OPERATOR_ROLE });
  const decision = (who: string, requests: AwsRequest[]) => callDecision(spoke, who, requests);

  it.each(['reconcile', 'provision'] as const)(
    '%s may create a managed endpoint in the VPC, not in another',
    async (fn) => {
      expect(await decision(session(fn), create(VPC))).toBe('Allowed');
      expect(await decision(session(fn), create(OTHER_VPC, SERVICE, [OTHER_VPC_SUBNET]))).toMatch(
        /^ImplicitlyDenied ec2:CreateVpcEndpoint on .*:vpc\/vpc-0f9e/,
      );
      // Nor to an AWS service, as in the hub.
      expect(await decision(session(fn), create(VPC, `com.amazonaws.${REGION}.s3`))).toMatch(
        /^ImplicitlyDenied/,
      );
    },
  );

  it.each(['reconcile', 'provision'] as const)(
    '%s may change its managed endpoints, within the VPC',
    async (fn) => {
      expect(await decision(session(fn), modify(ENDPOINTS.managed.vpcEndpointId))).toBe('Allowed');
      expect(
        await decision(session(fn), moveSubnets(ENDPOINTS.managed.vpcEndpointId, SUBNETS[1] as string)),
      ).toBe('Allowed');
      expect(
        await decision(session(fn), moveSubnets(ENDPOINTS.managed.vpcEndpointId, OTHER_VPC_SUBNET)),
      ).toMatch(/^ImplicitlyDenied ec2:ModifyVpcEndpoint on .*subnet\//);
      expect(await decision(session(fn), tag(ENDPOINTS.managed.vpcEndpointId, SUBNET_CONFIG_TAG))).toBe(
        'Allowed',
      );
    },
  );

  it("only the reconcile deletes endpoints and marks orphans, only its own stack's", async () => {
    const managed = ENDPOINTS.managed.vpcEndpointId;
    expect(await decision(session('reconcile'), remove(managed))).toBe('Allowed');
    expect(await decision(session('reconcile'), tag(managed, ORPHANED_SINCE_TAG))).toBe('Allowed');
    expect(await decision(session('reconcile'), untag(managed, ORPHANED_SINCE_TAG))).toBe('Allowed');
    expect(await decision(session('provision'), remove(managed))).toMatch(/^ImplicitlyDenied/);
    const other = ENDPOINTS.otherStack.vpcEndpointId;
    for (const requests of [remove(other), tag(other, ORPHANED_SINCE_TAG), tag(other, SUBNET_CONFIG_TAG)]) {
      expect(await decision(session('reconcile'), requests)).toMatch(/^ImplicitlyDenied/);
    }
  });

  it('no session touches an endpoint without the managed-by tag', async () => {
    const id = ENDPOINTS.unmanaged.vpcEndpointId;
    const sessions = [...HUB_FUNCTIONS.map(session), CLI_SESSION];
    const calls = [
      modify(id),
      remove(id),
      tag(id, HEALTH_TAG),
      tag(id, ORPHANED_SINCE_TAG),
      untag(id, ORPHANED_SINCE_TAG),
    ];
    for (const who of sessions) {
      for (const requests of calls) expect(await decision(who, requests), who).toMatch(/^ImplicitlyDenied/);
    }
  });

  it.each(['probe', 'troubleshoot'] as const)('%s reads only: no create, modify or delete', async (fn) => {
    expect(await decision(session(fn), read('ec2:DescribeVpcEndpoints'))).toBe('Allowed');
    expect(await decision(session(fn), read('ec2:DescribeDhcpOptions'))).toBe('Allowed');
    expect(await decision(session(fn), read('route53resolver:ListResolverRules'))).toBe('Allowed');
    const managed = ENDPOINTS.managed.vpcEndpointId;
    for (const requests of [create(VPC), modify(managed), remove(managed), tag(managed, SUBNET_CONFIG_TAG)]) {
      expect(await decision(session(fn), requests)).toMatch(/^ImplicitlyDenied/);
    }
  });

  it('the probe records health on managed endpoints; the troubleshoot does not tag', async () => {
    expect(await decision(session('probe'), tag(ENDPOINTS.managed.vpcEndpointId, HEALTH_TAG))).toBe(
      'Allowed',
    );
    expect(await decision(session('probe'), tag(ENDPOINTS.managed.vpcEndpointId, MANAGED_BY_TAG))).toMatch(
      /^Implicitly/,
    );
    expect(await decision(session('troubleshoot'), tag(ENDPOINTS.managed.vpcEndpointId, HEALTH_TAG))).toMatch(
      /^ImplicitlyDenied/,
    );
  });

  it("the DNS-path reads are the probe's and troubleshoot's, not the provision's (as in the hub)", async () => {
    expect(await decision(session('provision'), read('ec2:DescribeDhcpOptions'))).toMatch(
      /^ImplicitlyDenied/,
    );
    expect(await decision(session('provision'), read('ec2:DescribeVpcEndpoints'))).toBe('Allowed');
  });

  it('a session named otherwise may do nothing', async () => {
    for (const who of ['tidb-privatelink-prod-reconcile', 'someone', `${HUB_STACK}-dataPlane`]) {
      expect(await decision(who, read('ec2:DescribeVpcEndpoints')), who).toMatch(/^ImplicitlyDenied/);
      expect(await decision(who, create(VPC)), who).toMatch(/^ImplicitlyDenied/);
    }
  });

  it('the CLI session (with an operator role) reads, provisions and deletes like the operator policies', async () => {
    expect(await decision(CLI_SESSION, read('ec2:DescribeDhcpOptions'))).toBe('Allowed');
    expect(await decision(CLI_SESSION, create(VPC))).toBe('Allowed');
    expect(await decision(CLI_SESSION, remove(ENDPOINTS.managed.vpcEndpointId))).toBe('Allowed');
    expect(await decision(CLI_SESSION, create(OTHER_VPC, SERVICE, [OTHER_VPC_SUBNET]))).toMatch(
      /^ImplicitlyDenied/,
    );
  });

  it('without an operator role the CLI session has no policy', async () => {
    const without = await spokeOf(BASE);
    expect(await callDecision(without, CLI_SESSION, read('ec2:DescribeVpcEndpoints'))).toMatch(
      /^ImplicitlyDenied/,
    );
    expect(await callDecision(without, session('probe'), read('ec2:DescribeVpcEndpoints'))).toBe('Allowed');
  });
});

describe('the trust policy', async () => {
  const spoke = await spokeOf(BASE);
  const assume = (caller: Caller, sessionName: string, externalId?: string, on = spoke) =>
    assumeRoleDecision(on, caller, { sessionName, externalId });

  it.each(HUB_FUNCTIONS)("admits the hub's %s role under its own session name", async (fn) => {
    expect(await assume(hubCaller(fn), session(fn))).toBe('Allowed');
  });

  it('refuses a hub role under another session name', async () => {
    expect(await assume(hubCaller('probe'), session('reconcile'))).toBe('ImplicitlyDenied');
    expect(await assume(hubCaller('reconcile'), CLI_SESSION)).toBe('ImplicitlyDenied');
  });

  it("refuses the same role name in another account, and the hub's data-plane role", async () => {
    expect(await assume(hubCaller('reconcile', '333333333333'), session('reconcile'))).toBe(
      'ImplicitlyDenied',
    );
    expect(await assume(hubCaller('dataPlane'), `${HUB_STACK}-dataPlane`)).toBe('ImplicitlyDenied');
    expect(await assume(hubCaller('dataPlane'), session('reconcile'))).toBe('ImplicitlyDenied');
  });

  it('with an external id: refuses a missing or wrong one', async () => {
    const guarded = await spokeOf({ ...BASE, ExternalId: 'spoke-7f3a' });
    expect(await assume(hubCaller('reconcile'), session('reconcile'), 'spoke-7f3a', guarded)).toBe('Allowed');
    expect(await assume(hubCaller('reconcile'), session('reconcile'), undefined, guarded)).toBe(
      'ImplicitlyDenied',
    );
    expect(await assume(hubCaller('reconcile'), session('reconcile'), 'spoke-0000', guarded)).toBe(
      'ImplicitlyDenied',
    );
    // Without one set, none is needed and any given is ignored.
    expect(await assume(hubCaller('reconcile'), session('reconcile'), 'anything')).toBe('Allowed');
  });

  it('admits the operator role, as the CLI, only when given', async () => {
    const withOperator = await spokeOf({ ...BASE, OperatorRoleArn: OPERATOR_ROLE });
    expect(await assume(operatorCaller(), CLI_SESSION, undefined, withOperator)).toBe('Allowed');
    expect(await assume(operatorCaller(), 'alice', undefined, withOperator)).toBe('ImplicitlyDenied');
    expect(
      await assume(
        operatorCaller(`arn:aws:iam::${HUB_ACCOUNT}:role/other`),
        CLI_SESSION,
        undefined,
        withOperator,
      ),
    ).toBe('ImplicitlyDenied');
    expect(await assume(operatorCaller(), CLI_SESSION)).toBe('ImplicitlyDenied');
  });

  it('an operator role in a third account is trusted by its own account', async () => {
    const elsewhere = 'arn:aws:iam::444444444444:role/platform-operator';
    const withOperator = await spokeOf({ ...BASE, OperatorRoleArn: elsewhere });
    expect(await assume(operatorCaller(elsewhere), CLI_SESSION, undefined, withOperator)).toBe('Allowed');
  });

  it("the caller's own side must allow it too (a cross-account request needs both)", async () => {
    const caller = hubCaller('reconcile');
    const unallowed = { ...caller, role: { ...caller.role, policies: [] } };
    expect(await assume(unallowed, session('reconcile'))).toBe('ImplicitlyDenied');
  });
});

describe('the data plane', async () => {
  const spoke = await spokeOf(BASE);

  it.each(['probe', 'troubleshoot'])("the hub's %s role may invoke it", async (fn) => {
    expect(await invokeDecision(spoke, hubCaller(fn))).toBe('Allowed');
  });

  it.each(['reconcile', 'provision', 'dataPlane'])("the hub's %s role may not", async (fn) => {
    expect(await invokeDecision(spoke, hubCaller(fn))).toBe('ImplicitlyDenied');
  });

  it('nor the probe role of another account', async () => {
    expect(await invokeDecision(spoke, hubCaller('probe', '333333333333'))).toBe('ImplicitlyDenied');
  });

  it('its role attaches it only to its own subnets, with its own group', async () => {
    const eni = (resource: string): AwsRequest => ({
      action: 'ec2:CreateNetworkInterface',
      resource: `arn:aws:ec2:${REGION}:${SPOKE_ACCOUNT}:${resource}`,
      account: SPOKE_ACCOUNT,
    });
    const groupId = String(spoke.outputs.DataPlaneSecurityGroupId);
    const role = spoke.dataPlaneRole;
    expect(await decide(role, eni('network-interface/eni-0000000000000001'))).toBe('Allowed');
    expect(await decide(role, eni(`subnet/${PROBE_SUBNET}`))).toBe('Allowed');
    expect(await decide(role, eni(`security-group/${groupId}`))).toBe('Allowed');
    expect(await decide(role, eni(`subnet/${SUBNETS[0]}`))).toBe('ImplicitlyDenied');
    expect(await decide(role, eni('security-group/sg-0a1b2c3d4e5f60001'))).toBe('ImplicitlyDenied');
    expect(
      await decide(role, { ...eni('vpc-endpoint/vpce-0new0000000000000'), action: 'ec2:CreateVpcEndpoint' }),
    ).toBe('ImplicitlyDenied');
  });

  it("in the endpoints' subnets when no probe subnets are given, every one of them", async () => {
    const { ProbeSubnetIds: _, ...rest } = BASE;
    const spread = await spokeOf(rest);
    expect(spread.outputs.DataPlaneSubnetIds).toBe(SUBNETS.join(','));
    for (const subnetId of SUBNETS) {
      const request: AwsRequest = {
        action: 'ec2:CreateNetworkInterface',
        resource: `arn:aws:ec2:${REGION}:${SPOKE_ACCOUNT}:subnet/${subnetId}`,
        account: SPOKE_ACCOUNT,
      };
      expect(await decide(spread.dataPlaneRole, request), subnetId).toBe('Allowed');
    }
  });
});

describe('the outputs', async () => {
  it('HubEntry is the PRIVATELINK_VPCS entry, with the external id only when one is set', async () => {
    const spoke = await spokeOf(BASE);
    const entry = JSON.parse(String(spoke.outputs.HubEntry));
    expect(entry).toEqual({
      vpcId: VPC,
      subnetIds: SUBNETS,
      roleArn: `arn:aws:iam::${SPOKE_ACCOUNT}:role/${HUB_STACK}-spoke-${VPC}`,
      dataPlaneFunctionArn: `arn:aws:lambda:${REGION}:${SPOKE_ACCOUNT}:function:${HUB_STACK}-dataPlane-${VPC}`,
    });
    expect(spoke.outputs.RoleArn).toBe(entry.roleArn);
    expect(spoke.outputs.DataPlaneFunctionArn).toBe(entry.dataPlaneFunctionArn);
    expect(spoke.outputs.DataPlaneSubnetIds).toBe(PROBE_SUBNET);
    const guarded = await spokeOf({ ...BASE, ExternalId: 'spoke-7f3a' });
    expect(JSON.parse(String(guarded.outputs.HubEntry)).externalId).toBe('spoke-7f3a');
  });
});
