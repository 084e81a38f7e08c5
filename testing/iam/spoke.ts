/**
 * A spoke stack (spoke/template.yml) as IAM sees it, for the policy engine: the template resolved with a
 * spoke's parameters in its account, the role the hub assumes (its trust policy, and its managed policies as
 * the identity policies of a session), the data plane's role and its resource policy (the Lambda permissions).
 * `assumeRoleDecision` and `sessionRole` are what the IAM proxy decides a spoke request with.
 */
import {
  type AwsRequest,
  type Decision,
  decide,
  isCreated,
  REGION,
  type Role,
  resolveIntrinsics,
  type Scope,
} from '../iam-engine.ts';
import { type CfnTemplate, readCfnYaml } from './cfn-yaml.ts';
import { type HubFunction, SPOKE_TEMPLATE } from './spoke-policies.ts';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** The spoke's account in tests (the hub's is iam-engine's ACCOUNT). */
export const SPOKE_ACCOUNT = '222222222222';

/** The template's parameters (contract: spoke/README.md); lists as arrays, optional ones as their defaults. */
export interface SpokeParameters {
  HubAccountId: string;
  HubStackName: string;
  StackTag?: string;
  VpcId: string;
  SubnetIds: string[];
  ProbeSubnetIds?: string[];
  ExternalId?: string;
  OperatorRoleArn?: string;
  DataPlaneCodeBucket: string;
  DataPlaneCodeKey: string;
}

/** Where a spoke is resolved: its parameters (defaults applied) in its account and the hub's region. */
export function spokeScope(
  template: CfnTemplate,
  parameters: SpokeParameters,
  account = SPOKE_ACCOUNT,
  region = REGION,
): Scope {
  const given = parameters as unknown as Record<string, string | string[] | undefined>;
  const values = Object.entries(template.Parameters ?? {}).map(([name, declared]) => {
    const value = given[name] ?? declared.Default;
    if (value === undefined) throw new Error(`the spoke parameter ${name} has no value and no default`);
    // CloudFormation splits a CommaDelimitedList: its default "" is one empty item.
    const listed =
      declared.Type === 'CommaDelimitedList' && typeof value === 'string' ? value.split(',') : value;
    return [name, listed] as const;
  });
  return { account, region, stackName: 'tidb-privatelink-spoke', parameters: Object.fromEntries(values) };
}

/** A hub function's role ARN, as serverless-iam-roles-per-function names it. */
export const hubRoleArn = (hubAccount: string, hubStackName: string, fn: string, region = REGION) =>
  `arn:aws:iam::${hubAccount}:role/${hubStackName}-${fn}-${region}-lambdaRole`;

/** A hub function's session name when it assumes the spoke role: its Lambda function's name. */
export const hubSessionName = (hubStackName: string, fn: HubFunction) => `${hubStackName}-${fn}`;

/** Who asks: the principal making the request (a role's session) and the role its `aws:PrincipalArn` names. */
export interface Caller {
  /** The identity policies of the caller's role (its side of a cross-account request). */
  role: Role;
  /** The role's ARN (`aws:PrincipalArn`; the principal itself is a session of it). */
  roleArn: string;
  /** The session the caller runs in (the hub's Lambda: its function name). */
  sessionName: string;
}

/**
 * What IAM holds about a deployed spoke: the role the hub assumes (its trust policy, unique id and identity
 * policies) and the data plane's resource policy. From the template (`spokeOf`) or read back from a deployed
 * stack (testing/iam/spoke-sandbox.ts); the IAM proxy decides spoke requests with it.
 */
export interface SpokeGrants {
  account: string;
  roleArn: string;
  /** The role's unique id (`AROA…`), the first half of a session's `aws:userid`. */
  roleId: string;
  trustPolicy: Json;
  /** The role's identity policies (each hub session's, the operator's when given). */
  policies: Role['policies'];
  dataPlaneFunctionArn: string;
  /** The data plane's resource policy: its Lambda permissions, as Lambda writes them. */
  invokePolicy: Json;
}

/** A spoke stack resolved from the template: its grants, the data plane's role and the stack's outputs. */
export interface Spoke extends SpokeGrants {
  template: CfnTemplate;
  scope: Scope;
  roleName: string;
  /** The data plane's execution role. */
  dataPlaneRole: Role;
  outputs: Record<string, Json>;
}

const resolved = (spoke: Pick<Spoke, 'template' | 'scope'>, value: unknown) =>
  resolveIntrinsics(spoke.template, value, spoke.scope);

/** The identity policies a template role gets: its inline policies and the created policies naming it. */
function rolePolicies(template: CfnTemplate, scope: Scope, roleId: string): Role['policies'] {
  const role = template.Resources[roleId];
  const inline = (resolveIntrinsics(template, role?.Properties.Policies ?? [], scope) ?? []) as Array<{
    PolicyName: string;
    PolicyDocument: Json;
  }>;
  const attached = Object.entries(template.Resources)
    .filter(([, resource]) => ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'].includes(resource.Type))
    .filter(
      ([id, resource]) =>
        isCreated(template, id, scope) &&
        JSON.stringify(resource.Properties.Roles) === JSON.stringify([{ Ref: roleId }]),
    )
    .map(([id, resource]) => ({
      name: id,
      policy: resolveIntrinsics(template, resource.Properties.PolicyDocument, scope),
    }));
  return [
    ...inline.map((policy) => ({ name: policy.PolicyName, policy: policy.PolicyDocument })),
    ...attached,
  ];
}

/** The Lambda permissions of a function as its resource policy (one statement each, as Lambda stores them). */
function permissionsPolicy(template: CfnTemplate, scope: Scope, functionArn: string): Json {
  const statements = Object.entries(template.Resources)
    .filter(([id, resource]) => resource.Type === 'AWS::Lambda::Permission' && isCreated(template, id, scope))
    .map(([id, resource]) => {
      const { Action, FunctionName, Principal } = resolveIntrinsics(
        template,
        resource.Properties,
        scope,
      ) as Record<string, string>;
      if (FunctionName !== functionArn) throw new Error(`${id} is not the data plane's`);
      return {
        Sid: id,
        Effect: 'Allow',
        Principal: { AWS: Principal ?? '' },
        Action: Action ?? '',
        Resource: functionArn,
      };
    });
  return { Version: '2012-10-17', Statement: statements };
}

/** The spoke template deployed with `parameters` in `account` (role id: what IAM would hand out). */
export async function spokeOf(
  parameters: SpokeParameters,
  options: { account?: string; roleId?: string; template?: CfnTemplate } = {},
): Promise<Spoke> {
  const template = options.template ?? (await readCfnYaml(SPOKE_TEMPLATE));
  const scope = spokeScope(template, parameters, options.account);
  const base = { template, scope };
  const roleArn = String(resolved(base, { 'Fn::GetAtt': ['SpokeRole', 'Arn'] }));
  const dataPlaneFunctionArn = String(resolved(base, { 'Fn::GetAtt': ['DataPlaneFunction', 'Arn'] }));
  const trust = template.Resources.SpokeRole?.Properties.AssumeRolePolicyDocument;
  const outputs = Object.fromEntries(
    Object.entries(template.Outputs ?? {}).map(([name, output]) => [name, resolved(base, output.Value)]),
  );
  return {
    ...base,
    account: scope.account,
    roleArn,
    roleName: roleArn.slice(roleArn.indexOf('/') + 1),
    policies: rolePolicies(template, scope, 'SpokeRole'),
    roleId: options.roleId ?? 'AROASPOKEROLE0000000001',
    trustPolicy: resolved(base, trust),
    dataPlaneFunctionArn,
    invokePolicy: permissionsPolicy(template, scope, dataPlaneFunctionArn),
    dataPlaneRole: {
      principal: String(resolved(base, { 'Fn::GetAtt': ['DataPlaneRole', 'Arn'] })),
      policies: rolePolicies(template, scope, 'DataPlaneRole'),
      managedPolicyArns: [],
    },
    outputs,
  };
}

/** The spoke role as held by one session: the principal is the session, the policies the role's. */
export function sessionRole(spoke: SpokeGrants, sessionName: string): Role {
  const roleName = spoke.roleArn.slice(spoke.roleArn.indexOf('/') + 1);
  return {
    principal: `arn:aws:sts::${spoke.account}:assumed-role/${roleName}/${sessionName}`,
    policies: spoke.policies,
    managedPolicyArns: [],
  };
}

/** A request made in the spoke's account under one session: `aws:userid` is `<role id>:<session>`. */
export const inSession = (spoke: SpokeGrants, sessionName: string, request: AwsRequest): AwsRequest => ({
  ...request,
  account: spoke.account,
  context: { ...request.context, 'aws:userid': `${spoke.roleId}:${sessionName}` },
});

/** IAM's answer for a request made under one session of the spoke role. */
export function decideAsSession(
  spoke: SpokeGrants,
  sessionName: string,
  request: AwsRequest,
): Promise<Decision> {
  return decide(sessionRole(spoke, sessionName), inSession(spoke, sessionName, request));
}

/** The ARN of a session of `roleArn` (what the caller's requests are signed as). */
export const sessionArnOf = (roleArn: string, sessionName: string) =>
  roleArn.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/').concat(`/${sessionName}`);

/**
 * `sts:AssumeRole` of the spoke role: allowed only when the caller's identity policies allow it and the
 * trust policy allows that role under that session name (and external id, when the spoke requires one).
 */
export function assumeRoleDecision(
  spoke: SpokeGrants,
  caller: Caller,
  request: { sessionName: string; externalId?: string | undefined },
): Promise<Decision> {
  const context: Record<string, string> = {
    'aws:PrincipalArn': caller.roleArn,
    'sts:RoleSessionName': request.sessionName,
  };
  if (request.externalId !== undefined) context['sts:ExternalId'] = request.externalId;
  return decide(
    caller.role,
    { action: 'sts:AssumeRole', resource: spoke.roleArn, account: spoke.account, context },
    spoke.trustPolicy,
    sessionArnOf(caller.roleArn, caller.sessionName),
  );
}

/** `lambda:InvokeFunction` of the spoke's data plane by the caller (its identity policies and the permissions). */
export function invokeDecision(spoke: SpokeGrants, caller: Caller): Promise<Decision> {
  return decide(
    caller.role,
    {
      action: 'lambda:InvokeFunction',
      resource: spoke.dataPlaneFunctionArn,
      account: spoke.account,
      context: { 'aws:PrincipalArn': caller.roleArn },
    },
    spoke.invokePolicy,
    sessionArnOf(caller.roleArn, caller.sessionName),
  );
}

export type { HubFunction };
