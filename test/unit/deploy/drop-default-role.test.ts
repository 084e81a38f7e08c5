/**
 * resources/plugins/drop-default-role.cjs, driven as the framework drives it: the hook runs on the compiled
 * template after serverless-iam-roles-per-function has given every function its own role.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

type Template = { Resources: Record<string, Record<string, unknown>> };
type Plugin = new (serverless: unknown) => { hooks: Record<string, () => void> };
const DropDefaultRole = createRequire(import.meta.url)(
  '../../../resources/plugins/drop-default-role.cjs',
) as Plugin;

function finalize(template: Template): void {
  const serverless = {
    service: { provider: { compiledCloudFormationTemplate: template } },
    classes: { Error },
  };
  new DropDefaultRole(serverless).hooks['before:package:finalize']?.();
}

const role = { Type: 'AWS::IAM::Role', Properties: {} };
const fn = (roleId: string) => ({
  Type: 'AWS::Lambda::Function',
  Properties: { Role: { 'Fn::GetAtt': [roleId, 'Arn'] } },
  DependsOn: [roleId],
});

describe('drop-default-role', () => {
  it('removes the default role when every function has its own', () => {
    const template: Template = {
      Resources: {
        IamRoleLambdaExecution: role,
        ProbeIamRoleLambdaExecution: role,
        ProbeLambdaFunction: fn('ProbeIamRoleLambdaExecution'),
      },
    };
    finalize(template);
    expect(Object.keys(template.Resources).sort()).toEqual([
      'ProbeIamRoleLambdaExecution',
      'ProbeLambdaFunction',
    ]);
  });

  it('refuses, naming the function, when one still uses it (no iamRoleStatements)', () => {
    const template: Template = {
      Resources: {
        IamRoleLambdaExecution: role,
        ProbeLambdaFunction: fn('IamRoleLambdaExecution'),
      },
    };
    expect(() => finalize(template)).toThrow(
      'IamRoleLambdaExecution is still used by ProbeLambdaFunction: give each function iamRoleStatements.',
    );
    expect(template.Resources.IamRoleLambdaExecution).toBe(role);
  });

  it('finds a use by Ref or by DependsOn alone too', () => {
    for (const user of [
      { Type: 'AWS::Lambda::Function', Properties: { Role: { Ref: 'IamRoleLambdaExecution' } } },
      { Type: 'AWS::Lambda::Function', Properties: {}, DependsOn: 'IamRoleLambdaExecution' },
    ]) {
      expect(() => finalize({ Resources: { IamRoleLambdaExecution: role, User: user } })).toThrow(
        /used by User/,
      );
    }
  });

  it('does nothing when the framework made no default role', () => {
    const template: Template = { Resources: { ProbeLambdaFunction: fn('ProbeIamRoleLambdaExecution') } };
    finalize(template);
    expect(Object.keys(template.Resources)).toEqual(['ProbeLambdaFunction']);
  });
});
