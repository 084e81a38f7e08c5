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

type Template = { Resources: Record<string, CfnResource> };
type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

const PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': REGION,
  'AWS::AccountId': ACCOUNT,
  'AWS::StackName': 'tidb-privatelink-dev',
  'AWS::URLSuffix': 'amazonaws.com',
};

function physicalName(logicalId: string, resource: CfnResource, property: string): string {
  const value = resource.Properties[property];
  return typeof value === 'string' ? value : logicalId;
}

/** `Ref` of a template resource: what CloudFormation returns for the types these policies refer to. */
function refOf(template: Template, logicalId: string): string {
  const pseudo = PSEUDO[logicalId];
  if (pseudo) return pseudo;
  const resource = template.Resources[logicalId];
  if (!resource) throw new Error(`Ref to ${logicalId}, which the template does not have`);
  switch (resource.Type) {
    case 'AWS::EC2::SecurityGroup':
      return securityGroupIdOf(logicalId);
    case 'AWS::Lambda::Function':
      return physicalName(logicalId, resource, 'FunctionName');
    case 'AWS::SQS::Queue':
      return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${logicalId}`;
    case 'AWS::SNS::Topic':
      return `arn:aws:sns:${REGION}:${ACCOUNT}:${logicalId}`;
    case 'AWS::DynamoDB::Table':
      return physicalName(logicalId, resource, 'TableName');
    default:
      throw new Error(`Ref to ${logicalId} (${resource.Type}) is not modelled`);
  }
}

function getAttOf(template: Template, logicalId: string, attribute: string): string {
  const resource = template.Resources[logicalId];
  if (!resource) throw new Error(`GetAtt of ${logicalId}, which the template does not have`);
  const key = `${resource.Type}.${attribute}`;
  switch (key) {
    case 'AWS::SQS::Queue.Arn':
      return `arn:aws:sqs:${REGION}:${ACCOUNT}:${logicalId}`;
    case 'AWS::SQS::Queue.QueueName':
      return logicalId;
    case 'AWS::Lambda::Function.Arn':
      return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${physicalName(logicalId, resource, 'FunctionName')}`;
    case 'AWS::CloudWatch::Alarm.Arn':
      return `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${physicalName(logicalId, resource, 'AlarmName')}`;
    case 'AWS::DynamoDB::Table.Arn':
      return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${physicalName(logicalId, resource, 'TableName')}`;
    case 'AWS::Events::Rule.Arn':
      return `arn:aws:events:${REGION}:${ACCOUNT}:rule/${physicalName(logicalId, resource, 'Name')}`;
    default:
      throw new Error(`GetAtt ${logicalId}.${attribute} (${key}) is not modelled`);
  }
}

function substitute(template: Template, text: string, variables: Record<string, string>): string {
  return text.replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) => {
    if (name in variables) return variables[name] as string;
    const [logicalId, attribute] = name.split('.');
    return attribute ? getAttOf(template, logicalId as string, attribute) : refOf(template, name);
  });
}

/** Resolves Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Split and Fn::Select anywhere in `value`. */
export function resolveIntrinsics(template: Template, value: unknown): Json {
  if (Array.isArray(value)) return value.map((item) => resolveIntrinsics(template, item));
  if (value === null || typeof value !== 'object') return value as Json;
  const entries = Object.entries(value);
  const [first] = entries;
  if (entries.length === 1 && first) {
    const [fn, arg] = first;
    const resolved = () => resolveIntrinsics(template, arg);
    switch (fn) {
      case 'Ref':
        return refOf(template, arg as string);
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(arg) ? arg : String(arg).split('.');
        return getAttOf(template, String(logicalId), String(attribute));
      }
      case 'Fn::Sub': {
        const [text, variables] = (Array.isArray(arg) ? resolved() : [arg, {}]) as [
          string,
          Record<string, string>,
        ];
        return substitute(template, text, variables);
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
    }
  }
  return Object.fromEntries(entries.map(([key, item]) => [key, resolveIntrinsics(template, item)]));
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
        resource: { resource: request.resource, accountId: ACCOUNT },
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
