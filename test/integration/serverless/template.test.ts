import { beforeAll, describe, expect, it } from 'vitest';
import { type CfnResource, type PackagedStack, packageStack } from '../../kit/serverless-package.ts';

let stack: PackagedStack;

beforeAll(async () => {
  stack = await packageStack();
}, 120_000);

const resourcesOfType = (type: string): Array<[string, CfnResource]> =>
  Object.entries(stack.template.Resources).filter(([, resource]) => resource.Type === type);

function fn(name: string): CfnResource {
  const resource = stack.template.Resources[`${name}LambdaFunction`];
  if (!resource) throw new Error(`no function ${name} in the template`);
  return resource;
}

interface Statement {
  Effect: string;
  Action: string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, string>>;
}

function statementsOf(name: string): Statement[] {
  const role = stack.template.Resources[`${name}IamRoleLambdaExecution`];
  const policies = role?.Properties.Policies as Array<{ PolicyDocument: { Statement: Statement[] } }>;
  return policies.flatMap((policy) => policy.PolicyDocument.Statement);
}

describe('serverless package (offline, no AWS credentials)', () => {
  it('deploys every function on nodejs22.x with its own role', () => {
    const functions = resourcesOfType('AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(2);
    for (const [, resource] of functions) {
      expect(resource.Properties.Runtime).toBe('nodejs22.x');
      expect(JSON.stringify(resource.Properties.Role)).toMatch(/IamRoleLambdaExecution/);
      expect(JSON.stringify(resource.Properties.Role)).not.toMatch(/"IamRoleLambdaExecution"/);
    }
  });

  it('reads the API key from Secrets Manager, never from plain environment', () => {
    const env = (fn('Reconcile').Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env.TIDB_CLOUD_API_KEY_SECRET_ARN).toMatch(/^arn:aws:secretsmanager:/);
    expect(env).not.toHaveProperty('TIDB_CLOUD_PUBLIC_KEY');
    expect(env).not.toHaveProperty('TIDB_CLOUD_PRIVATE_KEY');
    expect(statementsOf('Reconcile')).toContainEqual(
      expect.objectContaining({
        Action: ['secretsmanager:GetSecretValue'],
        Resource: env.TIDB_CLOUD_API_KEY_SECRET_ARN,
      }),
    );
  });

  it('only creates endpoints carrying the managed-by tag and only modifies endpoints that carry it', () => {
    for (const name of ['Reconcile', 'Provision']) {
      const statements = statementsOf(name);
      const create = statements.find((s) => s.Action.includes('ec2:CreateVpcEndpoint') && s.Condition);
      expect(create?.Condition).toEqual({
        StringEquals: { 'aws:RequestTag/tidb-privatelink:managed-by': 'tidb-privatelink' },
      });
      const modify = statements.filter((s) => s.Action.includes('ec2:ModifyVpcEndpoint'));
      expect(modify).toHaveLength(1);
      expect(modify[0]?.Condition).toEqual({
        StringEquals: { 'aws:ResourceTag/tidb-privatelink:managed-by': 'tidb-privatelink' },
      });
      expect(statements.some((s) => s.Action.includes('ec2:DeleteVpcEndpoints'))).toBe(false);
    }
  });

  it('schedules the reconcile and routes TiDB Cluster Detected to the provision function', () => {
    const schedules = resourcesOfType('AWS::Events::Rule').filter(([, r]) => r.Properties.ScheduleExpression);
    expect(schedules.map(([, r]) => r.Properties.ScheduleExpression)).toContain('rate(5 minutes)');
    const patterns = resourcesOfType('AWS::Events::Rule')
      .map(([, r]) => r.Properties.EventPattern)
      .filter(Boolean);
    expect(patterns).toContainEqual({
      source: ['tidb-privatelink'],
      'detail-type': ['TiDB Cluster Detected'],
    });
  });

  it('takes the reconcile rate from RECONCILE_RATE', async () => {
    const custom = await packageStack({ RECONCILE_RATE: 'rate(2 minutes)' });
    const rates = Object.values(custom.template.Resources)
      .filter((r) => r.Type === 'AWS::Events::Rule')
      .map((r) => r.Properties.ScheduleExpression);
    expect(rates).toContain('rate(2 minutes)');
  }, 120_000);
});
