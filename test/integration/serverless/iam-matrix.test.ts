/**
 * The packaged stack's IAM, evaluated by a policy engine: every function's role against a matrix of requests
 * the app makes and requests it must never be able to make. `CreateVpcEndpoint` is evaluated once per
 * resource it authorises (endpoint, VPC, subnet, security group), as IAM does; the request succeeds only if
 * every one is allowed.
 *
 * One package: the API-key secret configured by its full ARN (with AWS's `-XXXXXX` suffix), the SQL secret
 * by a name-only ARN, so both forms are proven.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Roles, rolesFor } from '../../../testing/iam/roles.ts';
import {
  ACCOUNT,
  type AwsRequest,
  type Decision,
  decide,
  managedPoliciesRole,
  NO_IDENTITY,
  PROBE_SECURITY_GROUP_ID,
  REGION,
  type Role,
  resolveIntrinsics,
  roleOf,
} from '../../../testing/iam-engine.ts';
import { PACKAGE_ENV, type PackagedStack, packageStack } from '../../../testing/serverless-package.ts';

const SQL_SECRET_NAME_ONLY = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:tidb-sql`;
const API_KEY_SECRET = PACKAGE_ENV.TIDB_CLOUD_API_KEY_SECRET_ARN;
const FUNCTIONS = ['reconcile', 'provision', 'probe', 'troubleshoot', 'dataPlane'] as const;
type FunctionName = (typeof FUNCTIONS)[number];

const VPC = PACKAGE_ENV.PRIVATELINK_VPC_ID;
const OTHER_VPC = 'vpc-0fedcba9876543210';
const TIDB_SERVICE = `com.amazonaws.vpce.${REGION}.vpce-svc-0a1b2c3d4e5f60789`;
const MANAGED_BY = 'tidb-privatelink:managed-by';
const HEALTH = 'tidb-privatelink:health';
const STACK = 'tidb-privatelink:stack';
const ORPHANED_SINCE = 'tidb-privatelink:orphaned-since';
const ENDPOINT = `arn:aws:ec2:${REGION}:${ACCOUNT}:vpc-endpoint/vpce-0123456789abcdef0`;
const ec2Arn = (resource: string) => `arn:aws:ec2:${REGION}:${ACCOUNT}:${resource}`;
const logStream = (fn: string) =>
  `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/tidb-privatelink-dev-${fn}:log-stream:2026/11/26/[$LATEST]abc`;

let stack: PackagedStack;
const roles = {} as Record<FunctionName, Role>;

beforeAll(async () => {
  stack = await packageStack({ TIDB_SQL_SECRET_ARN: SQL_SECRET_NAME_ONLY });
  for (const fn of FUNCTIONS) roles[fn] = roleOf(stack.template, fn);
}, 120_000);

afterAll(async () => {
  if (stack) await rm(stack.dir, { recursive: true, force: true });
});

interface EndpointRequest {
  vpcId?: string;
  subnetIds?: string[];
  securityGroupIds?: string[];
  serviceName?: string;
  tags?: Record<string, string>;
}

/** Every authorisation one CreateVpcEndpoint call needs, one per resource, with that resource's context. */
function createEndpoint(request: EndpointRequest = {}): AwsRequest[] {
  const tags = request.tags ?? { [MANAGED_BY]: 'tidb-privatelink', 'tidb-privatelink:cluster-id': '1' };
  const endpoint: AwsRequest = {
    action: 'ec2:CreateVpcEndpoint',
    // A resource being created has no id yet; any id stands for it (the policies match vpc-endpoint/*).
    resource: ec2Arn('vpc-endpoint/vpce-0new0000000000000'),
    context: {
      'ec2:VpceServiceName': request.serviceName ?? TIDB_SERVICE,
      'aws:TagKeys': Object.keys(tags),
      ...Object.fromEntries(Object.entries(tags).map(([key, value]) => [`aws:RequestTag/${key}`, value])),
    },
  };
  const others = [
    `vpc/${request.vpcId ?? VPC}`,
    ...(request.subnetIds ?? ['subnet-0aaa', 'subnet-0bbb']).map((id) => `subnet/${id}`),
    ...(request.securityGroupIds ?? ['sg-0ccc']).map((id) => `security-group/${id}`),
  ].map((resource) => ({ action: 'ec2:CreateVpcEndpoint', resource: ec2Arn(resource) }));
  return [endpoint, ...others];
}

async function decisions(fn: FunctionName, requests: AwsRequest[]): Promise<Decision[]> {
  return Promise.all(requests.map((request) => decide(roles[fn], request)));
}

/** Allowed only when IAM allows every resource of the call. */
async function allowedAll(fn: FunctionName, requests: AwsRequest[]): Promise<boolean> {
  return (await decisions(fn, requests)).every((decision) => decision === 'Allowed');
}

const allowed = async (fn: FunctionName, request: AwsRequest) =>
  (await decide(roles[fn], request)) === 'Allowed';

const tagEndpoint = (tags: Record<string, string>, resourceTags: Record<string, string>): AwsRequest => ({
  action: 'ec2:CreateTags',
  resource: ENDPOINT,
  context: {
    'aws:TagKeys': Object.keys(tags),
    ...Object.fromEntries(Object.entries(tags).map(([key, value]) => [`aws:RequestTag/${key}`, value])),
    ...Object.fromEntries(
      Object.entries(resourceTags).map(([key, value]) => [`aws:ResourceTag/${key}`, value]),
    ),
  },
});

const resourceTagContext = (resourceTags: Record<string, string>) =>
  Object.fromEntries(Object.entries(resourceTags).map(([key, value]) => [`aws:ResourceTag/${key}`, value]));

const deleteEndpoint = (resourceTags: Record<string, string>): AwsRequest => ({
  action: 'ec2:DeleteVpcEndpoints',
  resource: ENDPOINT,
  context: resourceTagContext(resourceTags),
});

const untagEndpoint = (keys: string[] | undefined, resourceTags: Record<string, string>): AwsRequest => ({
  action: 'ec2:DeleteTags',
  resource: ENDPOINT,
  context: { ...(keys ? { 'aws:TagKeys': keys } : {}), ...resourceTagContext(resourceTags) },
});

const modifyEndpoint = (resourceTags: Record<string, string>): AwsRequest => ({
  action: 'ec2:ModifyVpcEndpoint',
  resource: ENDPOINT,
  context: Object.fromEntries(
    Object.entries(resourceTags).map(([key, value]) => [`aws:ResourceTag/${key}`, value]),
  ),
});

/**
 * Every authorisation a ModifyVpcEndpoint that moves subnets needs: the endpoint, then each subnet named
 * (Add or Remove), the subnet with its `ec2:Vpc`.
 */
function moveSubnets(
  endpointTags: Record<string, string>,
  subnets: Array<{ id: string; vpcId: string }>,
): AwsRequest[] {
  const subnetRequests = subnets.map(({ id, vpcId }) => ({
    action: 'ec2:ModifyVpcEndpoint',
    resource: ec2Arn(`subnet/${id}`),
    context: { 'ec2:Vpc': ec2Arn(`vpc/${vpcId}`) },
  }));
  return [modifyEndpoint(endpointTags), ...subnetRequests];
}

describe('the stack deploys one role per function and nothing else', () => {
  it('has no framework default role and no managed policy on any role', () => {
    expect(stack.template.Resources.IamRoleLambdaExecution).toBeUndefined();
    const roleIds = Object.entries(stack.template.Resources)
      .filter(([, resource]) => resource.Type === 'AWS::IAM::Role')
      .map(([id]) => id)
      .sort();
    expect(roleIds).toEqual(
      FUNCTIONS.map((fn) => `${fn[0]?.toUpperCase()}${fn.slice(1)}IamRoleLambdaExecution`).sort(),
    );
    for (const fn of FUNCTIONS) expect(roles[fn].managedPolicyArns).toEqual([]);
  });
});

describe.each(['reconcile', 'provision'] as const)('%s: creating endpoints', (fn) => {
  it('may create an endpoint with the managed-by tag, in the configured VPC, to a TiDB endpoint service', async () => {
    expect(await decisions(fn, createEndpoint())).toEqual([
      'Allowed',
      'Allowed',
      'Allowed',
      'Allowed',
      'Allowed',
    ]);
  });

  it('may not create one without the managed-by tag, or with another value', async () => {
    expect(await decisions(fn, createEndpoint({ tags: { 'tidb-privatelink:cluster-id': '1' } }))).toEqual([
      'ImplicitlyDenied',
      'Allowed',
      'Allowed',
      'Allowed',
      'Allowed',
    ]);
    expect(await allowedAll(fn, createEndpoint({ tags: { [MANAGED_BY]: 'someone-else' } }))).toBe(false);
  });

  it('may not create one in another VPC (the VPC resource is denied on its own)', async () => {
    const [endpoint, vpc] = await decisions(fn, createEndpoint({ vpcId: OTHER_VPC }));
    expect(endpoint).toBe('Allowed');
    expect(vpc).toBe('ImplicitlyDenied');
  });

  it.each([
    ['an AWS service (S3)', `com.amazonaws.${REGION}.s3`],
    ['an AWS service (Secrets Manager)', `com.amazonaws.${REGION}.secretsmanager`],
    ['an endpoint service of another region', 'com.amazonaws.vpce.eu-west-1.vpce-svc-0a1b2c3d4e5f60789'],
    ['an AWS Marketplace/partner name outside vpce-svc', `com.amazonaws.vpce.${REGION}.other-svc-1`],
  ])('may not create one to %s', async (_, serviceName) => {
    expect(await decisions(fn, createEndpoint({ serviceName }))).toEqual([
      'ImplicitlyDenied',
      'Allowed',
      'Allowed',
      'Allowed',
      'Allowed',
    ]);
  });

  it('tags only at creation (ec2:CreateAction), never an existing endpoint', async () => {
    const onCreate: AwsRequest = {
      ...tagEndpoint({ [MANAGED_BY]: 'tidb-privatelink' }, {}),
      context: {
        ...tagEndpoint({ [MANAGED_BY]: 'tidb-privatelink' }, {}).context,
        'ec2:CreateAction': 'CreateVpcEndpoint',
      },
    };
    expect(await allowed(fn, onCreate)).toBe(true);
    expect(await allowed(fn, tagEndpoint({ [MANAGED_BY]: 'tidb-privatelink' }, {}))).toBe(false);
    expect(
      await allowed(fn, tagEndpoint({ [HEALTH]: 'healthy' }, { [MANAGED_BY]: 'tidb-privatelink' })),
    ).toBe(false);
  });

  it("modifies only endpoints that carry the managed-by tag, and never another stack's", async () => {
    expect(await allowed(fn, modifyEndpoint({ [MANAGED_BY]: 'tidb-privatelink' }))).toBe(true);
    expect(await allowed(fn, modifyEndpoint({}))).toBe(false);
    expect(await allowed(fn, modifyEndpoint({ [MANAGED_BY]: 'someone-else' }))).toBe(false);
    // Two stacks may share a VPC: this stack's tag (or none, an endpoint made before it) only.
    const ours = { [MANAGED_BY]: 'tidb-privatelink', [STACK]: 'tidb-privatelink' };
    expect(await allowed(fn, modifyEndpoint(ours))).toBe(true);
    expect(await allowed(fn, modifyEndpoint({ ...ours, [STACK]: 'someone-elses-stack' }))).toBe(false);
  });

  it("moves a managed endpoint's subnets within the configured VPC, and nothing else", async () => {
    const managed = { [MANAGED_BY]: 'tidb-privatelink' };
    // A configured subnet added, and one dropped from the configuration removed: both in the VPC.
    const inVpc = [
      { id: 'subnet-0aaa', vpcId: VPC },
      { id: 'subnet-0ddd', vpcId: VPC },
    ];
    expect(await decisions(fn, moveSubnets(managed, inVpc))).toEqual(['Allowed', 'Allowed', 'Allowed']);
    expect(await decisions(fn, moveSubnets(managed, [{ id: 'subnet-0eee', vpcId: OTHER_VPC }]))).toEqual([
      'Allowed',
      'ImplicitlyDenied',
    ]);
    expect(await decisions(fn, moveSubnets({}, inVpc))).toEqual(['ImplicitlyDenied', 'Allowed', 'Allowed']);
    expect(await allowedAll(fn, moveSubnets({ [MANAGED_BY]: 'someone-else' }, inVpc))).toBe(false);
    // Security groups of a live endpoint are never changed.
    const addGroup: AwsRequest = {
      action: 'ec2:ModifyVpcEndpoint',
      resource: ec2Arn('security-group/sg-0ccc'),
      context: { 'ec2:Vpc': ec2Arn(`vpc/${VPC}`) },
    };
    expect(await allowed(fn, addGroup)).toBe(false);
  });

  it("associates only the configured VPC with the endpoint service's private hosted zone", async () => {
    const associate = (vpcId: string, region = REGION): AwsRequest => ({
      action: 'route53:AssociateVPCWithHostedZone',
      resource: 'arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ',
      context: { 'route53:VPCs': `VPCId=${vpcId},VPCRegion=${region}` },
    });
    expect(await allowed(fn, associate(VPC))).toBe(true);
    expect(await allowed(fn, associate(OTHER_VPC))).toBe(false);
    expect(await allowed(fn, associate(VPC, 'eu-west-1'))).toBe(false);
  });
});

describe.each(['reconcile', 'provision'] as const)("%s: remembering a live endpoint's subnets", (fn) => {
  const SUBNET_CONFIG = 'tidb-privatelink:subnet-config';
  const ours = { [MANAGED_BY]: 'tidb-privatelink', [STACK]: 'tidb-privatelink' };
  const remember = { [SUBNET_CONFIG]: 'subnet-0aaa,subnet-0bbb' };

  it("writes the subnet-config tag on this stack's managed endpoints, one made before the stack tag included", async () => {
    expect(await allowed(fn, tagEndpoint(remember, ours))).toBe(true);
    expect(await allowed(fn, tagEndpoint(remember, { [MANAGED_BY]: 'tidb-privatelink' }))).toBe(true);
  });

  it("never on an unmanaged endpoint or another stack's, and no other key with it", async () => {
    expect(await allowed(fn, tagEndpoint(remember, {}))).toBe(false);
    expect(
      await allowed(fn, tagEndpoint(remember, { [MANAGED_BY]: 'tidb-privatelink', [STACK]: 'other-stack' })),
    ).toBe(false);
    expect(await allowed(fn, tagEndpoint({ ...remember, [MANAGED_BY]: 'tidb-privatelink' }, ours))).toBe(
      false,
    );
    expect(await allowed(fn, tagEndpoint({ ...remember, [HEALTH]: 'healthy' }, ours))).toBe(false);
  });
});

describe.each(['reconcile', 'provision'] as const)('%s of a stack of two VPCs', (fn) => {
  const SECOND_VPC = 'vpc-0fedcba9876543210';
  const THIRD_VPC = 'vpc-0333333333333333a';
  let twoVpcs: Roles;

  beforeAll(async () => {
    // The list form, packaged (or found in the cache) by the enforcement kit, ids put in.
    twoVpcs = await rolesFor([
      { vpcId: VPC, subnetIds: ['subnet-0aaa', 'subnet-0bbb', 'subnet-0ccc'], securityGroupIds: ['sg-0ccc'] },
      {
        vpcId: SECOND_VPC,
        subnetIds: ['subnet-0ddd', 'subnet-0eee', 'subnet-0fff'],
        securityGroupIds: ['sg-0ddd'],
      },
    ]);
  }, 120_000);

  it("moves a managed endpoint's subnets in either VPC, never in a third", async () => {
    const managed = { [MANAGED_BY]: 'tidb-privatelink' };
    const move = async (vpcId: string) =>
      Promise.all(
        moveSubnets(managed, [{ id: 'subnet-0ddd', vpcId }]).map((request) =>
          decide(twoVpcs[fn] as Role, request),
        ),
      );
    expect(await move(VPC)).toEqual(['Allowed', 'Allowed']);
    expect(await move(SECOND_VPC)).toEqual(['Allowed', 'Allowed']);
    expect(await move(THIRD_VPC)).toEqual(['Allowed', 'ImplicitlyDenied']);
  });
});

describe('the operator policies (resources/operator-policies.yml)', () => {
  const TABLE = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/StateTable`;
  const item = (action: string, key: string): AwsRequest => ({
    action,
    resource: TABLE,
    context: { 'dynamodb:LeadingKeys': [key] },
  });
  const readOnly = () => managedPoliciesRole(stack.template, 'reader', ['OperatorReadOnlyPolicy']);
  const provisioner = () =>
    managedPoliciesRole(stack.template, 'provisioner', ['OperatorReadOnlyPolicy', 'OperatorProvisionPolicy']);
  const may = async (role: Role, request: AwsRequest) => (await decide(role, request)) === 'Allowed';

  it('read-only: reads and the quota counter, nothing else of the table (no lease: a dry run takes none)', async () => {
    const role = readOnly();
    for (const action of ['ec2:DescribeVpcEndpoints', 'route53:ListHostedZonesByVPC']) {
      expect(await may(role, { action, resource: '*' }), action).toBe(true);
    }
    const quota = `arn:aws:servicequotas:${REGION}:${ACCOUNT}:vpc/L-29B6F2EB`;
    expect(await may(role, { action: 'servicequotas:GetServiceQuota', resource: quota })).toBe(true);
    expect(await may(role, { action: 'lambda:GetAccountSettings', resource: '*' })).toBe(true);
    expect(await may(role, { action: 'dynamodb:Scan', resource: TABLE })).toBe(true);
    expect(await may(role, item('dynamodb:UpdateItem', 'quota#ring-95'))).toBe(true);
    for (const action of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']) {
      expect(await may(role, item(action, 'lease#reconcile')), action).toBe(false);
      expect(await may(role, item(action, 'cluster#1')), action).toBe(false);
    }
    expect(await may(role, item('dynamodb:PutItem', 'quota#ring-95'))).toBe(false);
  });

  it('read-only: creates, changes, tags and deletes no endpoint, publishes no event', async () => {
    const role = readOnly();
    expect(
      (await Promise.all(createEndpoint().map((r) => decide(role, r)))).every((d) => d === 'Allowed'),
    ).toBe(false);
    expect(await may(role, modifyEndpoint({ [MANAGED_BY]: 'tidb-privatelink' }))).toBe(false);
    expect(await may(role, deleteEndpoint({ [MANAGED_BY]: 'tidb-privatelink' }))).toBe(false);
    expect(
      await may(role, tagEndpoint({ [ORPHANED_SINCE]: 'x' }, { [MANAGED_BY]: 'tidb-privatelink' })),
    ).toBe(false);
    expect(
      await may(role, {
        action: 'events:PutEvents',
        resource: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`,
      }),
    ).toBe(false);
  });

  it('provision: what the reconcile may do to endpoints, and records clusters', async () => {
    const role = provisioner();
    expect(
      (await Promise.all(createEndpoint().map((r) => decide(role, r)))).every((d) => d === 'Allowed'),
    ).toBe(true);
    expect(await may(role, item('dynamodb:UpdateItem', 'cluster#1'))).toBe(true);
    // The CLI reconcile's lease: one conditional UpdateItem to take it and one to release it, nothing else.
    expect(await may(role, item('dynamodb:UpdateItem', 'lease#reconcile'))).toBe(true);
    for (const action of ['dynamodb:PutItem', 'dynamodb:DeleteItem']) {
      expect(await may(role, item(action, 'lease#reconcile')), action).toBe(false);
    }
    expect(await may(role, deleteEndpoint({}))).toBe(false);
    expect(await may(role, item('dynamodb:DeleteItem', 'cluster#1'))).toBe(false);
  });
});

describe('every function', () => {
  it.each(FUNCTIONS.filter((fn) => fn !== 'reconcile'))(
    '%s may never delete an endpoint, managed or not',
    async (fn) => {
      const tagSets: Record<string, string>[] = [
        { [MANAGED_BY]: 'tidb-privatelink', [STACK]: 'tidb-privatelink' },
        {},
      ];
      for (const tags of tagSets) {
        expect(await allowed(fn, deleteEndpoint(tags))).toBe(false);
      }
    },
  );

  it.each(FUNCTIONS)('%s writes logs only into its own log group', async (fn) => {
    const put = (group: string): AwsRequest => ({ action: 'logs:PutLogEvents', resource: logStream(group) });
    expect(await allowed(fn, put(fn))).toBe(true);
    for (const other of FUNCTIONS.filter((name) => name !== fn))
      expect(await allowed(fn, put(other))).toBe(false);
    expect(
      await allowed(fn, {
        action: 'logs:PutLogEvents',
        resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/someone-elses-function:log-stream:x`,
      }),
    ).toBe(false);
  });
});

describe("reconcile handles orphans: only this stack's managed endpoints, only the orphaned-since tag", () => {
  const ours = { [MANAGED_BY]: 'tidb-privatelink', [STACK]: 'tidb-privatelink' };
  const legacy = { [MANAGED_BY]: 'tidb-privatelink' };
  const otherStack = { [MANAGED_BY]: 'tidb-privatelink', [STACK]: 'someone-elses-stack' };
  const mark = { [ORPHANED_SINCE]: '2026-11-26T08:00:00.000Z' };

  it("deletes this stack's managed endpoints, including one made before the stack tag existed", async () => {
    expect(await allowed('reconcile', deleteEndpoint(ours))).toBe(true);
    expect(await allowed('reconcile', deleteEndpoint(legacy))).toBe(true);
  });

  it("never deletes an unmanaged endpoint or another stack's", async () => {
    expect(await allowed('reconcile', deleteEndpoint({}))).toBe(false);
    expect(await allowed('reconcile', deleteEndpoint({ [STACK]: 'tidb-privatelink' }))).toBe(false);
    expect(await allowed('reconcile', deleteEndpoint({ [MANAGED_BY]: 'someone-else' }))).toBe(false);
    expect(await allowed('reconcile', deleteEndpoint(otherStack))).toBe(false);
  });

  it('sets and removes the orphaned-since mark on its own endpoints', async () => {
    expect(await allowed('reconcile', tagEndpoint(mark, ours))).toBe(true);
    expect(await allowed('reconcile', tagEndpoint(mark, legacy))).toBe(true);
    expect(await allowed('reconcile', untagEndpoint([ORPHANED_SINCE], ours))).toBe(true);
  });

  it("marks neither an unmanaged endpoint nor another stack's", async () => {
    for (const tags of [{}, otherStack]) {
      expect(await allowed('reconcile', tagEndpoint(mark, tags))).toBe(false);
      expect(await allowed('reconcile', untagEndpoint([ORPHANED_SINCE], tags))).toBe(false);
    }
  });

  it('touches no other tag key, and never DeleteTags without keys (which deletes every tag)', async () => {
    expect(await allowed('reconcile', tagEndpoint({ ...mark, [STACK]: 'tidb-privatelink' }, ours))).toBe(
      false,
    );
    expect(await allowed('reconcile', tagEndpoint({ [HEALTH]: 'healthy' }, ours))).toBe(false);
    expect(await allowed('reconcile', untagEndpoint([MANAGED_BY], ours))).toBe(false);
    expect(await allowed('reconcile', untagEndpoint([ORPHANED_SINCE, STACK], ours))).toBe(false);
    expect(await allowed('reconcile', untagEndpoint(undefined, ours))).toBe(false);
  });

  it.each(['provision', 'probe', 'troubleshoot', 'dataPlane'] as const)(
    '%s may neither mark nor unmark orphans',
    async (fn) => {
      expect(await allowed(fn, tagEndpoint(mark, ours))).toBe(false);
      expect(await allowed(fn, untagEndpoint([ORPHANED_SINCE], ours))).toBe(false);
    },
  );
});

describe('the probe tags only the health tag, only on managed endpoints', () => {
  const managed = { [MANAGED_BY]: 'tidb-privatelink' };

  it('records the last health on a managed endpoint', async () => {
    expect(await allowed('probe', tagEndpoint({ [HEALTH]: 'unhealthy' }, managed))).toBe(true);
  });

  it('may not add or overwrite any other tag, managed-by included', async () => {
    expect(await allowed('probe', tagEndpoint({ [MANAGED_BY]: 'tidb-privatelink' }, managed))).toBe(false);
    expect(await allowed('probe', tagEndpoint({ [HEALTH]: 'healthy', Name: 'x' }, managed))).toBe(false);
  });

  it('may not tag an endpoint it does not manage, even with the health tag', async () => {
    expect(await allowed('probe', tagEndpoint({ [HEALTH]: 'healthy' }, {}))).toBe(false);
    // Adopting an endpoint by giving it the managed-by tag is exactly what must be impossible.
    expect(await allowed('probe', tagEndpoint({ [MANAGED_BY]: 'tidb-privatelink' }, {}))).toBe(false);
  });

  it.each(['probe', 'troubleshoot', 'dataPlane'] as const)(
    '%s may neither create nor modify endpoints',
    async (fn) => {
      expect(await allowedAll(fn, createEndpoint())).toBe(false);
      expect(await allowed(fn, modifyEndpoint(managed))).toBe(false);
    },
  );

  it('troubleshoot tags nothing', async () => {
    expect(await allowed('troubleshoot', tagEndpoint({ [HEALTH]: 'healthy' }, managed))).toBe(false);
  });
});

describe('the data plane has no AWS permission beyond its network interfaces', () => {
  const eni = (resource: string, action = 'ec2:CreateNetworkInterface'): AwsRequest => ({
    action,
    resource: ec2Arn(resource),
  });

  it('lets Lambda create its interfaces only in the probe subnets with the probe security group', async () => {
    expect(await allowed('dataPlane', eni('network-interface/eni-0new0000000000000'))).toBe(true);
    expect(await allowed('dataPlane', eni('subnet/subnet-0aaa'))).toBe(true);
    expect(await allowed('dataPlane', eni('subnet/subnet-0bbb'))).toBe(true);
    expect(await allowed('dataPlane', eni(`security-group/${PROBE_SECURITY_GROUP_ID}`))).toBe(true);
    expect(await allowed('dataPlane', eni('subnet/subnet-0zzz'))).toBe(false);
    expect(await allowed('dataPlane', eni('security-group/sg-0ccc'))).toBe(false);
  });

  it('lets Lambda describe, delete and re-address its interfaces', async () => {
    for (const action of [
      'ec2:DeleteNetworkInterface',
      'ec2:AssignPrivateIpAddresses',
      'ec2:UnassignPrivateIpAddresses',
    ]) {
      expect(await allowed('dataPlane', eni('network-interface/eni-0123456789abcdef0', action))).toBe(true);
    }
    expect(await allowed('dataPlane', { action: 'ec2:DescribeNetworkInterfaces', resource: '*' })).toBe(true);
  });

  it.each([
    ['secretsmanager:GetSecretValue', `${API_KEY_SECRET}`],
    ['events:PutEvents', `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`],
    ['lambda:InvokeFunction', `arn:aws:lambda:${REGION}:${ACCOUNT}:function:tidb-privatelink-dev-dataPlane`],
    ['ec2:DescribeVpcEndpoints', '*'],
    ['ec2:CreateTags', ENDPOINT],
    ['sqs:SendMessage', `arn:aws:sqs:${REGION}:${ACCOUNT}:AsyncFailureQueue`],
    ['route53:AssociateVPCWithHostedZone', 'arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ'],
    ['ec2:DeleteSecurityGroup', ec2Arn(`security-group/${PROBE_SECURITY_GROUP_ID}`)],
  ])('denies %s', async (action, resource) => {
    expect(await decide(roles.dataPlane, { action, resource })).toBe('ImplicitlyDenied');
  });
});

describe('secrets: each readable only by the functions that need it', () => {
  const read = (resource: string): AwsRequest => ({ action: 'secretsmanager:GetSecretValue', resource });
  const sqlSecret = `${SQL_SECRET_NAME_ONLY}-Ab12Cd`;

  it.each(FUNCTIONS)('%s: the API key (configured by its full ARN)', async (fn) => {
    expect(await allowed(fn, read(API_KEY_SECRET))).toBe(fn !== 'dataPlane');
  });

  it.each(FUNCTIONS)('%s: the SQL login (configured by name only, read by its full ARN)', async (fn) => {
    expect(await allowed(fn, read(sqlSecret))).toBe(fn === 'probe' || fn === 'troubleshoot');
  });

  it.each(['reconcile', 'probe'] as const)(
    '%s: no other secret, even one whose name starts alike',
    async (fn) => {
      for (const other of [
        `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:tidb-cloud-api-key-other-Zz9Yy8`,
        `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:tidb-sql-admin-Ab12Cd`,
        `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:tidb-sqlx-Ab12Cd`,
        `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:production-db-Ab12Cd`,
      ]) {
        expect(await allowed(fn, read(other))).toBe(false);
      }
    },
  );
});

describe('events and invocations', () => {
  const putEvents = (bus: string): AwsRequest => ({
    action: 'events:PutEvents',
    resource: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${bus}`,
  });
  const invoke = (fn: string): AwsRequest => ({
    action: 'lambda:InvokeFunction',
    resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:tidb-privatelink-dev-${fn}`,
  });

  it.each(FUNCTIONS)('%s publishes only to the stack bus', async (fn) => {
    expect(await allowed(fn, putEvents('default'))).toBe(fn !== 'dataPlane');
    expect(await allowed(fn, putEvents('payments'))).toBe(false);
  });

  it.each(FUNCTIONS)('%s invokes only the data plane, and only if it diagnoses', async (fn) => {
    expect(await allowed(fn, invoke('dataPlane'))).toBe(fn === 'probe' || fn === 'troubleshoot');
    for (const other of ['reconcile', 'provision', 'probe', 'troubleshoot']) {
      expect(await allowed(fn, invoke(other))).toBe(false);
    }
  });

  it.each(FUNCTIONS)('%s sends to the failure queue only if EventBridge invokes it', async (fn) => {
    const send = (queue: string): AwsRequest => ({
      action: 'sqs:SendMessage',
      resource: `arn:aws:sqs:${REGION}:${ACCOUNT}:${queue}`,
    });
    expect(await allowed(fn, send('AsyncFailureQueue'))).toBe(fn === 'provision' || fn === 'troubleshoot');
    expect(await allowed(fn, send('EventsDeadLetterQueue'))).toBe(false);
  });

  it.each(FUNCTIONS)('%s uses only the DynamoDB actions it needs, on the state table only', async (fn) => {
    const table = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/StateTable`;
    const may = async (action: string, resource = table) => allowed(fn, { action, resource });
    const eventDriven = fn === 'provision' || fn === 'probe' || fn === 'troubleshoot';
    // The reconcile writes sightings, phases, services and the quota counter, all conditional updates.
    expect(await may('dynamodb:UpdateItem')).toBe(fn !== 'dataPlane');
    // Powertools Idempotency reads, claims and releases its records.
    for (const action of ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem']) {
      expect(await may(action), action).toBe(eventDriven);
    }
    // The reconcile reads the registry's rows once per run (registryScan in iam.yml); nothing else scans.
    expect(await may('dynamodb:Scan')).toBe(fn === 'reconcile');
    for (const action of ['dynamodb:Query', 'dynamodb:DeleteTable', 'dynamodb:BatchWriteItem']) {
      expect(await may(action), action).toBe(false);
    }
    expect(await may('dynamodb:UpdateItem', `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/other`)).toBe(false);
  });

  it.each(FUNCTIONS)('%s: the reconcile lease needs only UpdateItem, which the reconcile has', async (fn) => {
    // Taking and releasing are each one conditional UpdateItem on the `lease#reconcile` item (the holder
    // comes back with a refusal): no GetItem, PutItem or DeleteItem, and the reconcile has none. The
    // event-driven functions' UpdateItem (idempotency, quota) is not scoped by key, so it reaches the item too.
    const lease = (action: string): AwsRequest => ({
      action,
      resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/StateTable`,
      context: { 'dynamodb:LeadingKeys': ['lease#reconcile'] },
    });
    expect(await allowed(fn, lease('dynamodb:UpdateItem'))).toBe(fn !== 'dataPlane');
    if (fn === 'reconcile') {
      for (const action of ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem']) {
        expect(await allowed(fn, lease(action)), action).toBe(false);
      }
    }
  });

  it("lets EventBridge dead-letter only this stack's rules' events", async () => {
    const policy = resolveIntrinsics(
      stack.template,
      stack.template.Resources.EventsDeadLetterQueuePolicy?.Properties.PolicyDocument,
    );
    const send = (ruleArn: string) =>
      decide(
        NO_IDENTITY,
        {
          action: 'sqs:SendMessage',
          resource: `arn:aws:sqs:${REGION}:${ACCOUNT}:EventsDeadLetterQueue`,
          context: { 'aws:SourceArn': ruleArn },
        },
        policy,
        'events.amazonaws.com',
      );
    const rule = (name: string) => `arn:aws:events:${REGION}:${ACCOUNT}:rule/${name}`;
    expect(await send(rule('tidb-privatelink-dev-troubleshoot-rule-1'))).toBe('Allowed');
    expect(await send(rule('someone-elses-rule'))).not.toBe('Allowed');
    expect(await send(`arn:aws:events:${REGION}:999999999999:rule/tidb-privatelink-dev-x`)).not.toBe(
      'Allowed',
    );
  });
});

describe('the DNS path and route tables: read by probe and troubleshoot, changed by no one', () => {
  const resolverArn = (resource: string) => `arn:aws:route53resolver:${REGION}:${ACCOUNT}:${resource}`;
  const reads: AwsRequest[] = [
    // List and Describe calls without resource types are authorised on `*`.
    ...[
      'ec2:DescribeDhcpOptions',
      'ec2:DescribeRouteTables',
      'route53:ListHostedZonesByVPC',
      'route53resolver:ListResolverRules',
      'route53resolver:ListResolverRuleAssociations',
      'route53resolver:ListResolverEndpoints',
      'route53resolver:ListFirewallRuleGroupAssociations',
    ].map((action) => ({ action, resource: '*' })),
    {
      action: 'route53resolver:ListFirewallRules',
      resource: resolverArn('firewall-rule-group/rslvr-frg-0123'),
    },
    {
      action: 'route53resolver:ListFirewallDomains',
      resource: resolverArn('firewall-domain-list/rslvr-fdl-0123'),
    },
  ];
  const changes: AwsRequest[] = [
    { action: 'route53:DisassociateVPCFromHostedZone', resource: 'arn:aws:route53:::hostedzone/Z0123' },
    { action: 'route53:DeleteHostedZone', resource: 'arn:aws:route53:::hostedzone/Z0123' },
    {
      action: 'route53resolver:DisassociateResolverRule',
      resource: resolverArn('resolver-rule/rslvr-rr-0123'),
    },
    {
      action: 'route53resolver:CreateFirewallRule',
      resource: resolverArn('firewall-rule-group/rslvr-frg-0123'),
    },
    { action: 'ec2:AssociateDhcpOptions', resource: ec2Arn(`vpc/${VPC}`) },
    { action: 'ec2:CreateRoute', resource: ec2Arn('route-table/rtb-0123') },
    { action: 'ec2:ReplaceRoute', resource: ec2Arn('route-table/rtb-0123') },
  ];

  it.each(FUNCTIONS)('%s', async (fn) => {
    const reader = fn === 'probe' || fn === 'troubleshoot';
    expect(await decisions(fn, reads)).toEqual(reads.map(() => (reader ? 'Allowed' : 'ImplicitlyDenied')));
    for (const change of changes) expect(await allowed(fn, change)).toBe(false);
  });
});
