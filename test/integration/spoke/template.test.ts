/**
 * spoke/template.yml as CloudFormation would take it (cfn-lint is not available here): every Ref, GetAtt,
 * Sub placeholder, condition and DependsOn resolves; every parameter and condition is used; names and
 * policies stay within IAM's and Lambda's limits. And it cannot drift from the hub: its generated blocks are
 * what `npm run spoke:template` makes from iam.yml today, and the names it gives the hub's roles, sessions and
 * data plane are the packaged hub's own.
 */
import { readFile, rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CfnTemplate } from '../../../testing/iam/cfn-yaml.ts';
import { readCfnYaml } from '../../../testing/iam/cfn-yaml.ts';
import { hubRoleArn, type Spoke, type SpokeParameters, spokeOf } from '../../../testing/iam/spoke.ts';
import {
  currentSpokeTemplate,
  HUB_FUNCTIONS,
  packageHubForSpoke,
  SPOKE_TEMPLATE,
} from '../../../testing/iam/spoke-policies.ts';
import { ACCOUNT, REGION, resolveIntrinsics } from '../../../testing/iam-engine.ts';
import type { PackagedStack } from '../../../testing/serverless-package.ts';

const HUB_STACK = 'tidb-privatelink-dev';
/** The longest AWS region names today (ap-southeast-5, ap-northeast-3, …): 14 characters. */
const LONGEST_REGION = 'ap-southeast-5';
/** IAM's limit on a role's name. */
const ROLE_NAME_LIMIT = 64;
const BASE: SpokeParameters = {
  HubAccountId: ACCOUNT,
  HubStackName: HUB_STACK,
  VpcId: 'vpc-0a1b2c3d4e5f60718',
  SubnetIds: ['subnet-0a1b2c3d4e5f60001', 'subnet-0a1b2c3d4e5f60002'],
  DataPlaneCodeBucket: 'tidb-privatelink-artifacts',
  DataPlaneCodeKey: 'tidb-privatelink/0.1.0-abc1234/dataPlane.zip',
};

let template: CfnTemplate;
beforeAll(async () => {
  template = await readCfnYaml(SPOKE_TEMPLATE);
});

type Visit = (key: string, value: unknown) => void;

/** Calls `visit` for every one-key object (an intrinsic or a condition reference) in `value`. */
function walk(value: unknown, visit: Visit): void {
  if (Array.isArray(value)) for (const item of value) walk(item, visit);
  if (value === null || typeof value !== 'object') return;
  const entries = Object.entries(value);
  const [first] = entries;
  if (entries.length === 1 && first) visit(first[0], first[1]);
  for (const [, item] of entries) walk(item, visit);
}

/** What the template refers to: names by Ref or Sub, resources by GetAtt, conditions by If or Condition. */
function referencesOf(t: CfnTemplate) {
  const names: string[] = [];
  const resources: string[] = [];
  const conditions: string[] = [];
  const subText = (text: string, variables: Record<string, unknown>) => {
    for (const [, name = ''] of text.matchAll(/\$\{([^}!][^}]*)\}/g)) {
      if (name in variables) continue;
      const [id, attribute] = name.split('.');
      (attribute ? resources : names).push(id ?? '');
    }
  };
  walk({ ...t.Resources, ...t.Outputs, ...t.Conditions }, (key, arg) => {
    if (key === 'Ref') names.push(String(arg));
    if (key === 'Fn::GetAtt') resources.push(String((arg as string[])[0]));
    if (key === 'Fn::If' || key === 'Condition') conditions.push(String(Array.isArray(arg) ? arg[0] : arg));
    if (key === 'Fn::Sub') {
      const [text, variables] = Array.isArray(arg) ? arg : [arg, {}];
      subText(String(text), variables as Record<string, unknown>);
    }
  });
  for (const resource of Object.values(t.Resources)) {
    resources.push(...[resource.DependsOn ?? []].flat().map(String));
    if (resource.Condition) conditions.push(String(resource.Condition));
  }
  return { names, resources, conditions };
}

describe('the template is well formed', () => {
  it('every Ref, GetAtt, Sub placeholder, condition and DependsOn resolves', () => {
    const { names, resources, conditions } = referencesOf(template);
    const known = new Set([...Object.keys(template.Parameters ?? {}), ...Object.keys(template.Resources)]);
    expect(names.filter((name) => !name.startsWith('AWS::') && !known.has(name))).toEqual([]);
    expect(
      names.filter(
        (name) =>
          name.startsWith('AWS::') &&
          !/^AWS::(AccountId|Region|Partition|NoValue|StackName|URLSuffix)$/.test(name),
      ),
    ).toEqual([]);
    expect(resources.filter((id) => !(id in template.Resources))).toEqual([]);
    expect(conditions.filter((name) => !(name in (template.Conditions ?? {})))).toEqual([]);
  });

  it('every parameter and condition is used', () => {
    const { names, conditions } = referencesOf(template);
    expect(Object.keys(template.Parameters ?? {}).filter((name) => !names.includes(name))).toEqual([]);
    expect(Object.keys(template.Conditions ?? {}).filter((name) => !conditions.includes(name))).toEqual([]);
  });

  it("has the contract's parameters and outputs", () => {
    expect(Object.keys(template.Parameters ?? {}).sort()).toEqual(
      [
        'HubAccountId',
        'HubStackName',
        'StackTag',
        'VpcId',
        'SubnetIds',
        'ProbeSubnetIds',
        'ExternalId',
        'OperatorRoleArn',
        'DataPlaneCodeBucket',
        'DataPlaneCodeKey',
      ].sort(),
    );
    expect(template.Parameters?.StackTag?.Default).toBe('tidb-privatelink');
    expect(Object.keys(template.Outputs ?? {}).sort()).toEqual(
      [
        'RoleArn',
        'DataPlaneFunctionArn',
        'DataPlaneSecurityGroupId',
        'DataPlaneSubnetIds',
        'HubEntry',
      ].sort(),
    );
  });

  it("the data plane's group has no ingress (egress only)", () => {
    const group = template.Resources.DataPlaneSecurityGroup;
    expect(group?.Type).toBe('AWS::EC2::SecurityGroup');
    expect(group?.Properties.SecurityGroupIngress).toBeUndefined();
    expect(Object.values(template.Resources).map((r) => r.Type)).not.toContain(
      'AWS::EC2::SecurityGroupIngress',
    );
  });
});

describe('names and sizes stay within the limits', () => {
  const maxLength = () => Number(template.Parameters?.HubStackName?.MaxLength);
  /** A spoke with the longest hub stack name allowed, in the longest region, with a 17-digit VPC id. */
  const longest = () =>
    spokeOf({
      ...BASE,
      HubStackName: 'h'.repeat(maxLength()),
      ExternalId: 'x'.repeat(Number(template.Parameters?.ExternalId?.MaxLength)),
      OperatorRoleArn: `arn:aws:iam::${ACCOUNT}:role/${'o'.repeat(ROLE_NAME_LIMIT)}`,
    });

  it('HubStackName is short enough that every hub role keeps its -lambdaRole suffix in any region', () => {
    // serverless-iam-roles-per-function drops `-lambdaRole` from a name past 64 characters (and fails past 64
    // without it); the template names the roles with it, so a longer stack name is refused at deploy instead.
    const longestFunction = HUB_FUNCTIONS.reduce((a, b) => (b.length > a.length ? b : a));
    const name = `${'h'.repeat(maxLength())}-${longestFunction}-${LONGEST_REGION}-lambdaRole`;
    expect(name.length).toBe(ROLE_NAME_LIMIT);
  });

  it("the spoke's own names fit IAM and Lambda", async () => {
    const spoke = await longest();
    expect(spoke.roleName.length).toBeLessThanOrEqual(ROLE_NAME_LIMIT);
    expect(spoke.dataPlaneRole.principal.split('/').at(-1)?.length).toBeLessThanOrEqual(ROLE_NAME_LIMIT);
    expect(spoke.dataPlaneFunctionArn.split(':').at(-1)?.length).toBeLessThanOrEqual(64);
  });

  it("each session policy fits a managed policy (6,144 characters), each role's inline ones 10,240", async () => {
    const spoke: Spoke = await longest();
    const size = (document: unknown) => JSON.stringify(document).replace(/\s/g, '').length;
    for (const [id, resource] of Object.entries(template.Resources)) {
      const document = resolveIntrinsics(template, resource.Properties.PolicyDocument, spoke.scope);
      if (resource.Type === 'AWS::IAM::ManagedPolicy') expect(size(document), id).toBeLessThanOrEqual(6144);
      const inline = resolveIntrinsics(template, resource.Properties.Policies ?? [], spoke.scope) as Array<{
        PolicyDocument: unknown;
      }>;
      const inlineSize = inline.reduce((total, policy) => total + size(policy.PolicyDocument), 0);
      if (resource.Type === 'AWS::IAM::Role') expect(inlineSize, id).toBeLessThanOrEqual(10240);
    }
    // A role's trust policy: 2,048 characters unless the account's quota was raised.
    expect(size(spoke.trustPolicy)).toBeLessThanOrEqual(2048);
  });
});

describe('the template matches the hub', () => {
  let hub: PackagedStack;
  beforeAll(async () => {
    hub = await packageHubForSpoke();
  }, 180_000);
  afterAll(async () => {
    if (hub) await rm(hub.dir, { recursive: true, force: true });
  });

  it('its generated blocks are current (else: npm run spoke:template)', async () => {
    expect(await readFile(SPOKE_TEMPLATE, 'utf8')).toBe(await currentSpokeTemplate(hub));
  });

  const resourceOf = (logicalId: string) => {
    const resource = hub.template.Resources[logicalId];
    if (!resource) throw new Error(`the packaged hub has no ${logicalId}`);
    return resource;
  };
  const functionOf = (fn: string) => resourceOf(`${fn[0]?.toUpperCase()}${fn.slice(1)}LambdaFunction`);
  const roleNameOf = (fn: string) => {
    const roleId = (functionOf(fn).Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
    return String(resolveIntrinsics(hub.template, resourceOf(roleId).Properties.RoleName));
  };

  it("trusts the packaged hub's function roles under their function names, and no other", async () => {
    const spoke = await spokeOf(BASE);
    const statements = (
      spoke.trustPolicy as { Statement: Array<{ Condition: Record<string, Record<string, string>> }> }
    ).Statement;
    const trusted = statements.map((s) => [
      s.Condition.ArnEquals?.['aws:PrincipalArn'],
      s.Condition.StringEquals?.['sts:RoleSessionName'],
    ]);
    expect(trusted).toEqual(
      HUB_FUNCTIONS.map((fn) => [
        `arn:aws:iam::${ACCOUNT}:role/${roleNameOf(fn)}`,
        String(functionOf(fn).Properties.FunctionName),
      ]),
    );
    expect(HUB_FUNCTIONS.map((fn) => hubRoleArn(ACCOUNT, HUB_STACK, fn, REGION))).toEqual(
      trusted.map(([arn]) => arn),
    );
  });

  it('lets the packaged probe and troubleshoot roles invoke the data plane', async () => {
    const spoke = await spokeOf(BASE);
    const principals = (
      spoke.invokePolicy as { Statement: Array<{ Principal: { AWS: string } }> }
    ).Statement.map((s) => s.Principal.AWS);
    expect(principals).toEqual(
      ['probe', 'troubleshoot'].map((fn) => `arn:aws:iam::${ACCOUNT}:role/${roleNameOf(fn)}`),
    );
  });

  it("runs the hub's data plane as the hub does", () => {
    const packaged = functionOf('dataPlane').Properties;
    const spoke = template.Resources.DataPlaneFunction?.Properties ?? {};
    for (const property of ['Handler', 'Runtime', 'Architectures', 'MemorySize', 'Timeout']) {
      expect(spoke[property], property).toEqual(packaged[property]);
    }
  });
});
