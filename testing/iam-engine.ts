/**
 * The packaged template's IAM, evaluated by a policy engine (@cloud-copilot/iam-simulate: AWS's evaluation
 * logic with conditions, tags and wildcards) instead of read as text. The template's intrinsic functions are
 * resolved with fixed account, region and stack values, each role's inline policies become the identity
 * policies of its principal, and `decide` answers one request the way IAM would.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { CfnResource } from './serverless-package.ts';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
/** What `Ref: ProbeSecurityGroup` stands for in the resolved policies. */
export const PROBE_SECURITY_GROUP_ID = 'sg-0feed00000000000';

/** What `Ref` of a security group stands for: distinct per group (a data plane per VPC has its own). */
export function securityGroupIdOf(logicalId: string): string {
  if (logicalId === 'ProbeSecurityGroup') return PROBE_SECURITY_GROUP_ID;
  return `sg-0${Buffer.from(logicalId).toString('hex').slice(-16)}`;
}

type Template = { Resources: Record<string, CfnResource>; Conditions?: Record<string, unknown> };
type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/**
 * Where a template is resolved: the account and region it is deployed in, its stack name and its parameters'
 * values (a template with Parameters and Conditions, such as spoke/template.yml). The hub's by default.
 */
export interface Scope {
  account: string;
  region: string;
  stackName: string;
  parameters: Record<string, Json>;
}

export const HUB_SCOPE: Scope = {
  account: ACCOUNT,
  region: REGION,
  stackName: 'tidb-privatelink-dev',
  parameters: {},
};

/** `AWS::NoValue`: the property or list item is left out. */
const NO_VALUE = Symbol('AWS::NoValue');
type Resolved = Json | typeof NO_VALUE;

function pseudoOf(scope: Scope, name: string): string | undefined {
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': scope.region,
    'AWS::AccountId': scope.account,
    'AWS::StackName': scope.stackName,
    'AWS::URLSuffix': 'amazonaws.com',
  };
  return pseudo[name];
}

/** The name a resource's property gives it (resolved: the spoke's names use its parameters), else its id. */
function physicalName(template: Template, logicalId: string, property: string, scope: Scope): string {
  const value = template.Resources[logicalId]?.Properties[property];
  return value === undefined ? logicalId : String(resolveIntrinsics(template, value, scope));
}

/** `Ref` of a template resource: what CloudFormation returns for the types these policies refer to. */
function refOf(template: Template, logicalId: string, scope: Scope): Resolved {
  if (logicalId === 'AWS::NoValue') return NO_VALUE;
  const pseudo = pseudoOf(scope, logicalId);
  if (pseudo) return pseudo;
  const parameter = scope.parameters[logicalId];
  if (parameter !== undefined) return parameter;
  const resource = template.Resources[logicalId];
  if (!resource) throw new Error(`Ref to ${logicalId}, which the template does not have`);
  const { account, region } = scope;
  switch (resource.Type) {
    case 'AWS::EC2::SecurityGroup':
      return securityGroupIdOf(logicalId);
    case 'AWS::Lambda::Function':
    case 'AWS::IAM::Role':
    case 'AWS::Logs::LogGroup':
      return physicalName(template, logicalId, NAME_PROPERTY[resource.Type] as string, scope);
    case 'AWS::IAM::ManagedPolicy':
      return `arn:aws:iam::${account}:policy/${physicalName(template, logicalId, 'ManagedPolicyName', scope)}`;
    case 'AWS::SQS::Queue':
      return `https://sqs.${region}.amazonaws.com/${account}/${logicalId}`;
    case 'AWS::SNS::Topic':
      return `arn:aws:sns:${region}:${account}:${logicalId}`;
    case 'AWS::DynamoDB::Table':
      return physicalName(template, logicalId, 'TableName', scope);
    default:
      throw new Error(`Ref to ${logicalId} (${resource.Type}) is not modelled`);
  }
}

/** The property that names a resource of these types (CloudFormation makes one up without it). */
const NAME_PROPERTY: Record<string, string> = {
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::Logs::LogGroup': 'LogGroupName',
};

function getAttOf(template: Template, logicalId: string, attribute: string, scope: Scope): string {
  const resource = template.Resources[logicalId];
  if (!resource) throw new Error(`GetAtt of ${logicalId}, which the template does not have`);
  const { account, region } = scope;
  const name = (property: string) => physicalName(template, logicalId, property, scope);
  const key = `${resource.Type}.${attribute}`;
  switch (key) {
    case 'AWS::SQS::Queue.Arn':
      return `arn:aws:sqs:${region}:${account}:${logicalId}`;
    case 'AWS::SQS::Queue.QueueName':
      return logicalId;
    case 'AWS::Lambda::Function.Arn':
      return `arn:aws:lambda:${region}:${account}:function:${name('FunctionName')}`;
    case 'AWS::CloudWatch::Alarm.Arn':
      return `arn:aws:cloudwatch:${region}:${account}:alarm:${name('AlarmName')}`;
    case 'AWS::DynamoDB::Table.Arn':
      return `arn:aws:dynamodb:${region}:${account}:table/${name('TableName')}`;
    case 'AWS::Events::Rule.Arn':
      return `arn:aws:events:${region}:${account}:rule/${name('Name')}`;
    case 'AWS::IAM::Role.Arn':
      return `arn:aws:iam::${account}:role/${name('RoleName')}`;
    case 'AWS::Logs::LogGroup.Arn':
      return `arn:aws:logs:${region}:${account}:log-group:${name('LogGroupName')}:*`;
    case 'AWS::EC2::SecurityGroup.GroupId':
      return securityGroupIdOf(logicalId);
    default:
      throw new Error(`GetAtt ${logicalId}.${attribute} (${key}) is not modelled`);
  }
}

function substitute(template: Template, text: string, variables: Record<string, Json>, scope: Scope): string {
  return text.replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) => {
    if (name in variables) return String(variables[name]);
    const [logicalId, attribute] = name.split('.');
    return attribute
      ? getAttOf(template, logicalId as string, attribute, scope)
      : String(refOf(template, name, scope));
  });
}

/** Whether the template's condition `name` holds in `scope`. */
function conditionHolds(template: Template, name: string, scope: Scope): boolean {
  const condition = template.Conditions?.[name];
  if (condition === undefined) throw new Error(`condition ${name}, which the template does not have`);
  return resolve(template, condition, scope) === true;
}

/** A template resource's `Condition`, if any, holds in `scope` (else CloudFormation does not create it). */
export function isCreated(template: Template, logicalId: string, scope: Scope = HUB_SCOPE): boolean {
  const condition = (template.Resources[logicalId] as { Condition?: string } | undefined)?.Condition;
  return condition === undefined || conditionHolds(template, condition, scope);
}

/** A condition function's (Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition) value, or undefined for others. */
function conditionFunction(template: Template, fn: string, arg: unknown, scope: Scope): boolean | undefined {
  const values = () => resolve(template, arg, scope) as Json[];
  switch (fn) {
    case 'Condition':
      return conditionHolds(template, String(arg), scope);
    case 'Fn::Equals': {
      const [left, right] = values();
      return JSON.stringify(left) === JSON.stringify(right);
    }
    case 'Fn::Not':
      return values()[0] !== true;
    case 'Fn::And':
      return values().every((value) => value === true);
    case 'Fn::Or':
      return values().some((value) => value === true);
    default:
      return undefined;
  }
}

/** One intrinsic function's value (`fn` applied to `arg`), or undefined when `fn` is not one. */
function intrinsic(template: Template, fn: string, arg: unknown, scope: Scope): Resolved | undefined {
  const resolved = () => resolve(template, arg, scope);
  switch (fn) {
    case 'Ref':
      return refOf(template, arg as string, scope);
    case 'Fn::GetAtt': {
      const [logicalId, attribute] = Array.isArray(arg) ? arg : String(arg).split('.');
      return getAttOf(template, String(logicalId), String(attribute), scope);
    }
    case 'Fn::Sub': {
      const [text, variables] = (Array.isArray(arg) ? resolved() : [arg, {}]) as [
        string,
        Record<string, Json>,
      ];
      return substitute(template, text, variables, scope);
    }
    case 'Fn::Join': {
      const [separator, items] = resolved() as [string, string[]];
      return items.join(separator);
    }
    case 'Fn::Split': {
      const [separator, text] = resolved() as [string, string];
      return text.split(separator);
    }
    case 'Fn::Select': {
      const [index, items] = resolved() as [number, Json[]];
      return items[Number(index)] ?? null;
    }
    case 'Fn::If': {
      const [name, whenTrue, whenFalse] = arg as [string, unknown, unknown];
      return resolve(template, conditionHolds(template, name, scope) ? whenTrue : whenFalse, scope);
    }
    default:
      return conditionFunction(template, fn, arg, scope);
  }
}

function resolve(template: Template, value: unknown, scope: Scope): Resolved {
  if (Array.isArray(value)) {
    return value.map((item) => resolve(template, item, scope)).filter((item) => item !== NO_VALUE) as Json[];
  }
  if (value === null || typeof value !== 'object') return value as Json;
  const entries = Object.entries(value);
  const [first] = entries;
  if (entries.length === 1 && first) {
    const result = intrinsic(template, first[0], first[1], scope);
    if (result !== undefined) return result;
  }
  const kept = entries
    .map(([key, item]) => [key, resolve(template, item, scope)] as const)
    .filter(([, item]) => item !== NO_VALUE);
  return Object.fromEntries(kept) as Json;
}

/**
 * Resolves Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Split, Fn::Select, Fn::If and the condition functions
 * anywhere in `value`, in `scope` (the hub's by default); `AWS::NoValue` leaves the item out.
 */
export function resolveIntrinsics(template: Template, value: unknown, scope: Scope = HUB_SCOPE): Json {
  const resolved = resolve(template, value, scope);
  return resolved === NO_VALUE ? null : resolved;
}

export interface Role {
  principal: string;
  policies: Array<{ name: string; policy: Json }>;
  managedPolicyArns: Json[];
}

/** The execution role of a function (`reconcile`, `dataPlane`, …), its policies resolved. */
export function roleOf(template: Template, functionName: string): Role {
  const fn = template.Resources[`${functionName[0]?.toUpperCase()}${functionName.slice(1)}LambdaFunction`];
  if (!fn) throw new Error(`no function ${functionName} in the template`);
  const roleRef = fn.Properties.Role as { 'Fn::GetAtt': [string, string] };
  const role = template.Resources[roleRef['Fn::GetAtt'][0]];
  if (!role) throw new Error(`no role for ${functionName}`);
  const props = resolveIntrinsics(template, role.Properties) as {
    RoleName: string;
    Policies?: Array<{ PolicyName: string; PolicyDocument: Json }>;
    ManagedPolicyArns?: Json[];
  };
  return {
    principal: `arn:aws:iam::${ACCOUNT}:role/${props.RoleName}`,
    policies: (props.Policies ?? []).map((p) => ({ name: p.PolicyName, policy: p.PolicyDocument })),
    managedPolicyArns: props.ManagedPolicyArns ?? [],
  };
}

/**
 * A person holding the stack's managed policies (`resources/operator-policies.yml`), by logical id: the
 * principal an operator policy is evaluated for.
 */
export function managedPoliciesRole(template: Template, name: string, logicalIds: string[]): Role {
  return {
    principal: `arn:aws:iam::${ACCOUNT}:role/${name}`,
    policies: logicalIds.map((logicalId) => {
      const resource = template.Resources[logicalId];
      if (resource?.Type !== 'AWS::IAM::ManagedPolicy') throw new Error(`no managed policy ${logicalId}`);
      return { name: logicalId, policy: resolveIntrinsics(template, resource.Properties.PolicyDocument) };
    }),
    managedPolicyArns: [],
  };
}

export interface AwsRequest {
  action: string;
  resource: string;
  context?: Record<string, string | string[]>;
  /** The account the resource is in, when not the hub's (a spoke's: a cross-account request). */
  account?: string;
}

export type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

/** The engine's answer, and the context keys it left out because they do not apply to the action and resource. */
export interface Simulation {
  decision: Decision;
  ignoredContextKeys: string[];
}

/** IAM's answer for one request by one role. Throws when the engine rejects the input. */
export async function simulate(
  role: Role,
  request: AwsRequest,
  resourcePolicy?: Json,
  principal = role.principal,
): Promise<Simulation> {
  if (role.managedPolicyArns.length > 0) {
    throw new Error(`managed policies cannot be evaluated here: ${JSON.stringify(role.managedPolicyArns)}`);
  }
  const result = await runSimulation(
    {
      request: {
        principal,
        action: request.action,
        resource: { resource: request.resource, accountId: request.account ?? ACCOUNT },
        contextVariables: request.context ?? {},
      },
      identityPolicies: role.policies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy,
    },
    {},
  );
  if (result.resultType === 'error') {
    throw new Error(`the policy engine refused the input: ${JSON.stringify(result.errors)}`);
  }
  if (result.resultType !== 'single') throw new Error(`expected one resource, got ${result.resultType}`);
  return {
    decision: result.overallResult as Decision,
    ignoredContextKeys: result.result.ignoredContextKeys ?? [],
  };
}

/**
 * IAM's answer for one request by one role. Throws when the engine rejects the input, or when a context key
 * does not apply to the action and resource (it would be silently dropped, making a denial meaningless).
 */
export async function decide(
  role: Role,
  request: AwsRequest,
  resourcePolicy?: Json,
  principal = role.principal,
): Promise<Decision> {
  const { decision, ignoredContextKeys } = await simulate(role, request, resourcePolicy, principal);
  if (ignoredContextKeys.length > 0) {
    throw new Error(
      `${request.action} on ${request.resource} ignores context keys ${ignoredContextKeys.join(', ')}`,
    );
  }
  return decision;
}

/** A role with no policies: for resource-policy-only decisions (a service principal sending to a queue). */
export const NO_IDENTITY: Role = { principal: '', policies: [], managedPolicyArns: [] };
