/**
 * The spoke template's IAM (spoke/template.yml), derived from the hub's: `serverless package` with marker
 * values for the VPC, its subnets and the stack tag, then each hub function's EC2, Route 53 and Resolver
 * statements (iam.yml, as serverless.yml composes them per function) turned into the spoke's, limited to that
 * function's session by `aws:userid`, and the markers turned back into the spoke's parameters. So iam.yml stays
 * the one source of the statements: `npm run spoke:template` rewrites the generated parts of the template and
 * test/integration/spoke/template.test.ts fails when they are out of date.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type CfnResource, type PackagedStack, packageStack } from '../serverless-package.ts';
import { dumpYaml } from './cfn-yaml.ts';
import { onePackageAtATime } from './roles.ts';

export const SPOKE_TEMPLATE = fileURLToPath(new URL('../../spoke/template.yml', import.meta.url));

/** The hub functions that assume the spoke role, each under a session named after its Lambda function. */
export const HUB_FUNCTIONS = ['reconcile', 'provision', 'probe', 'troubleshoot'] as const;
export type HubFunction = (typeof HUB_FUNCTIONS)[number];
/** The session name of the CLI under an operator role (functions/ use it when assuming a spoke role). */
export const CLI_SESSION = 'tidb-privatelink-cli';
/** The services whose calls about a spoke VPC the hub makes with the spoke role; the rest stay the hub's. */
const SPOKE_SERVICES = ['ec2', 'route53', 'route53resolver'];

/** What the package environment puts into the statements, and the spoke parameter each becomes. */
const MARKERS = {
  vpc: { env: 'PRIVATELINK_VPC_ID', value: 'vpc-0e5b0e5b0e5b0e5b0', parameter: 'VpcId' },
  subnet: { env: 'PRIVATELINK_SUBNET_IDS', value: 'subnet-0e5b0e5b0e5b0e5b0', parameter: 'ProbeSubnets' },
  stack: { env: 'PRIVATELINK_STACK_NAME', value: 'spoke-stack-tag-marker', parameter: 'StackTag' },
} as const;
const MARKER_ENV = Object.fromEntries(Object.values(MARKERS).map((marker) => [marker.env, marker.value]));

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type Statement = { [key: string]: Json };

/**
 * The data plane's subnet ARNs: one `Fn::Sub` text cannot repeat a prefix over a list, so the list is joined
 * with the prefix as separator and split again. The separator must be a literal: its partition, region and
 * account are wildcards (a subnet id is unique on its own); the first subnet carries the full prefix.
 */
const SUBNET_ARNS_JOINED = {
  'Fn::Join': [
    ',arn:*:ec2:*:*:subnet/',
    { 'Fn::If': ['HasProbeSubnets', { Ref: 'ProbeSubnetIds' }, { Ref: 'SubnetIds' }] },
  ],
};

/** A marker-bearing string as the spoke's text: its markers become `${parameter}` placeholders. */
function spokeText(text: string): string {
  return Object.values(MARKERS).reduce(
    (result, marker) => result.replaceAll(marker.value, `\${${marker.parameter}}`),
    // The hub's data-plane group is the spoke's own.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation placeholder, not JavaScript.
    text.replaceAll('${ProbeSecurityGroup}', '${DataPlaneSecurityGroup}'),
  );
}

const mentions = (value: Json, marker: string) => JSON.stringify(value).includes(marker);

/** A text that may name the subnet marker, as a value of Fn::Sub (with its variables when it does). */
function subOf(text: string): Json {
  const spoke = spokeText(text);
  if (!spoke.includes(`\${${MARKERS.subnet.parameter}}`)) return { 'Fn::Sub': spoke };
  return { 'Fn::Sub': [spoke, { [MARKERS.subnet.parameter]: SUBNET_ARNS_JOINED }] };
}

/** The text of a plain string or an `Fn::Sub` (other intrinsics are not expected in these statements). */
function textOf(value: Json): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && !Array.isArray(value) && typeof value['Fn::Sub'] === 'string') {
    return value['Fn::Sub'];
  }
  return undefined;
}

/** A hub statement's value in the spoke: markers become parameters; a list naming the subnet marker is split. */
function spokeValue(value: Json): Json {
  if (Array.isArray(value)) {
    if (!mentions(value, MARKERS.subnet.value)) return value.map(spokeValue);
    const texts = value.map(textOf);
    if (texts.some((text) => text === undefined)) throw new Error(`cannot join ${JSON.stringify(value)}`);
    return { 'Fn::Split': [',', subOf(texts.join(','))] };
  }
  if (typeof value === 'string') {
    if (value === MARKERS.stack.value) return { Ref: MARKERS.stack.parameter };
    return Object.values(MARKERS).some((marker) => value.includes(marker.value)) ? subOf(value) : value;
  }
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const [first] = entries;
  if (entries.length === 1 && first?.[0] === 'Fn::Sub' && typeof first[1] === 'string')
    return subOf(first[1]);
  if (entries.length === 1 && first?.[0] === 'Ref' && first[1] === 'ProbeSecurityGroup') {
    return { Ref: 'DataPlaneSecurityGroup' };
  }
  if (entries.length === 1 && first?.[0].startsWith('Fn::')) {
    throw new Error(`${first[0]} in a spoke statement: teach testing/iam/spoke-policies.ts it`);
  }
  return Object.fromEntries(entries.map(([key, item]) => [key, spokeValue(item)]));
}

const actionsOf = (statement: Statement) => [statement.Action].flat().map(String);
const serviceOf = (action: string) => action.split(':', 1)[0] ?? '';

/** Whether the hub makes this statement's calls with the spoke role; a statement mixing services is refused. */
function isSpokeStatement(statement: Statement): boolean {
  const spoke = actionsOf(statement).map((action) => SPOKE_SERVICES.includes(serviceOf(action)));
  if (spoke.some((is) => is !== spoke[0])) {
    throw new Error(`a statement mixes spoke and hub services: ${JSON.stringify(statement.Action)}`);
  }
  return spoke[0] === true;
}

/** The statements of an IAM policy document (one object or a list). */
const statementsIn = (document: Json) => [(document as { Statement: Json }).Statement].flat() as Statement[];

/** The statements of a packaged function's role (its inline policies). */
function functionStatements(template: PackagedStack['template'], fn: string): Statement[] {
  const resource = template.Resources[`${fn[0]?.toUpperCase()}${fn.slice(1)}LambdaFunction`];
  const roleId = (resource?.Properties.Role as { 'Fn::GetAtt': [string] } | undefined)?.['Fn::GetAtt'][0];
  const role = template.Resources[roleId ?? ''];
  if (!role) throw new Error(`the packaged hub has no role for ${fn}`);
  const policies = (role.Properties.Policies ?? []) as Array<{ PolicyDocument: Json }>;
  return policies.flatMap((policy) => statementsIn(policy.PolicyDocument));
}

function managedPolicyStatements(template: PackagedStack['template'], logicalId: string): Statement[] {
  const resource: CfnResource | undefined = template.Resources[logicalId];
  if (resource?.Type !== 'AWS::IAM::ManagedPolicy') throw new Error(`the packaged hub has no ${logicalId}`);
  return statementsIn(resource.Properties.PolicyDocument as Json);
}

/** The statement limited to one session of the spoke role (`aws:userid` is `<role id>:<session name>`). */
function forSession(statement: Statement, session: Json): Statement {
  const condition = (statement.Condition ?? {}) as Record<string, Record<string, Json>>;
  return {
    ...statement,
    Condition: { ...condition, StringLike: { ...condition.StringLike, 'aws:userid': session } },
  };
}

/** The spoke role's statements for one session: the spoke part of `statements`, limited to that session. */
function sessionStatements(statements: Statement[], session: Json): Statement[] {
  return statements
    .filter(isSpokeStatement)
    .map((statement) => forSession(spokeValue(statement) as Statement, session));
}

const HUB_ROLE_ARN =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation placeholders, not JavaScript.
  'arn:${AWS::Partition}:iam::${HubAccountId}:role/${HubStackName}-%s-${AWS::Region}-lambdaRole';
/** The ARN of a hub function's role, as serverless-iam-roles-per-function names it (checked in the tests). */
export const hubRoleArnSub = (fn: HubFunction) => ({ 'Fn::Sub': HUB_ROLE_ARN.replace('%s', fn) });
/** A hub function's session name: its Lambda function's name. */
const hubSessionSub = (fn: HubFunction) => ({ 'Fn::Sub': `\${HubStackName}-${fn}` });

/**
 * Who may assume the spoke role: each hub function's role under its own session name, and the operator role
 * (when given) as the CLI. The principal is the hub account with the role's ARN as a condition, so the trust
 * names no role id: a re-created hub role is trusted again (and none need exist when the spoke deploys).
 */
function trustStatement(principalArn: Json, session: Json): Statement {
  return {
    Effect: 'Allow',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation placeholder, not JavaScript.
    Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${HubAccountId}:root' } },
    Action: 'sts:AssumeRole',
    Condition: {
      ArnEquals: { 'aws:PrincipalArn': principalArn },
      StringEquals: {
        'sts:RoleSessionName': session,
        'sts:ExternalId': { 'Fn::If': ['HasExternalId', { Ref: 'ExternalId' }, { Ref: 'AWS::NoValue' }] },
      },
    },
  };
}

const capitalised = (name: string) => `${name[0]?.toUpperCase()}${name.slice(1)}`;

function trustDocument(): Json {
  const operator = trustStatement({ Ref: 'OperatorRoleArn' }, CLI_SESSION);
  // The operator role's own account (the fifth field of its ARN), which need not be the hub's.
  const operatorAccount = { 'Fn::Select': [4, { 'Fn::Split': [':', { Ref: 'OperatorRoleArn' }] }] };
  // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation placeholders, not JavaScript.
  const root = 'arn:${AWS::Partition}:iam::${OperatorAccount}:root';
  operator.Principal = { AWS: { 'Fn::Sub': [root, { OperatorAccount: operatorAccount }] } };
  return {
    Version: '2012-10-17',
    Statement: [
      ...HUB_FUNCTIONS.map((fn) => trustStatement(hubRoleArnSub(fn), hubSessionSub(fn))),
      { 'Fn::If': ['HasOperator', operator, { Ref: 'AWS::NoValue' }] },
    ],
  };
}

/**
 * One session's policy of the spoke role: a managed policy, since together they pass the 10,240 characters a
 * role's inline policies may have (each is under the 6,144 of a managed policy; a test checks both).
 */
function sessionPolicy(session: string, statements: Statement[], condition?: string): Json {
  return {
    Type: 'AWS::IAM::ManagedPolicy',
    ...(condition ? { Condition: condition } : {}),
    Properties: {
      ManagedPolicyName: { 'Fn::Sub': `\${HubStackName}-spoke-\${VpcId}-${session}` },
      Description: `What the ${session} session of the tidb-privatelink hub may do in this VPC`,
      Roles: [{ Ref: 'SpokeRole' }],
      PolicyDocument: { Version: '2012-10-17', Statement: statements },
    },
  };
}

/** The generated parts of spoke/template.yml, by block name, from a hub packaged with the markers. */
export function spokeBlocks(template: PackagedStack['template']): Record<string, Json> {
  const sessions = Object.fromEntries(
    HUB_FUNCTIONS.map((fn) => [
      `Spoke${capitalised(fn)}Policy`,
      sessionPolicy(
        fn,
        sessionStatements(functionStatements(template, fn), { 'Fn::Sub': `*:\${HubStackName}-${fn}` }),
      ),
    ]),
  );
  const operatorStatements = ['OperatorReadOnlyPolicy', 'OperatorProvisionPolicy'].flatMap((id) =>
    managedPolicyStatements(template, id),
  );
  return {
    trust: { AssumeRolePolicyDocument: trustDocument() },
    // Lambda attaches the data plane with its role: the network-interface statements of the hub's own, inline
    // (the role has them when Lambda checks, at the function's creation).
    dataPlane: [
      {
        PolicyName: 'network-interfaces',
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: functionStatements(template, 'dataPlane')
            .filter(isSpokeStatement)
            .map((statement) => spokeValue(statement) as Statement),
        },
      },
    ],
    policies: {
      ...sessions,
      SpokeOperatorPolicy: sessionPolicy(
        'operator',
        sessionStatements(operatorStatements, `*:${CLI_SESSION}`),
        'HasOperator',
      ),
    },
  };
}

const BEGIN = /^( *)# >>> generated: (\w+)/;
const END = /^ *# <<< generated: (\w+)/;

/**
 * `text` with each generated block (between `# >>> generated: <name>` and `# <<< generated: <name>`) replaced
 * by `blocks[name]` as YAML at the begin line's indentation.
 */
export function spliceBlocks(text: string, blocks: Record<string, Json>): string {
  const out: string[] = [];
  let skipping: string | undefined;
  for (const line of text.split('\n')) {
    const end = END.exec(line);
    if (skipping && end?.[1] === skipping) skipping = undefined;
    if (skipping) continue;
    out.push(line);
    const begin = BEGIN.exec(line);
    if (!begin) continue;
    const [, indent = '', name = ''] = begin;
    if (!(name in blocks)) throw new Error(`no generated block named ${name}`);
    out.push(
      ...dumpYaml(blocks[name])
        .trimEnd()
        .split('\n')
        .map((yamlLine) => `${indent}${yamlLine}`),
    );
    skipping = name;
  }
  if (skipping) throw new Error(`generated block ${skipping} has no end line`);
  return out.join('\n');
}

/**
 * The hub packaged with the markers (offline, about 20 s; one package at a time in this folder, as the test
 * workers' role packages); the caller removes `dir`.
 */
export const packageHubForSpoke = (): Promise<PackagedStack> =>
  onePackageAtATime(() => packageStack(MARKER_ENV));

/** spoke/template.yml as it should be: its text with the generated blocks made from `hub`. */
export async function currentSpokeTemplate(hub: PackagedStack): Promise<string> {
  return spliceBlocks(await readFile(SPOKE_TEMPLATE, 'utf8'), spokeBlocks(hub.template));
}
