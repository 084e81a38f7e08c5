/**
 * The statement-removal replay (testing/iam/replay.ts): a statement is needed when removing it denies a
 * recorded request; one that no request needs is flagged unless iam.yml gives its reason.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RecordedDecision } from '../../../testing/iam/enforce.ts';
import { justificationsIn, perStatement, replay, unjustified } from '../../../testing/iam/replay.ts';
import type { Role } from '../../../testing/iam-engine.ts';

const BUS = 'arn:aws:events:us-east-1:123456789012:event-bus/default';
const role: Role = {
  principal: 'arn:aws:iam::123456789012:role/test',
  managedPolicyArns: [],
  policies: [
    {
      name: 'test',
      policy: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['events:PutEvents'], Resource: BUS },
          { Effect: 'Allow', Action: ['ec2:DeleteVpcEndpoints'], Resource: '*' },
        ],
      },
    },
  ],
};
const put = { action: 'events:PutEvents', resource: BUS, context: {} };
const record: RecordedDecision[] = [{ principal: 'test', role, request: put, decision: 'Allowed' }];

describe('the replay', () => {
  it('names the recorded request each needed statement allows, and flags the one nothing needs', async () => {
    const verdicts = await replay(record, new Map());
    expect(verdicts).toEqual([
      { principal: 'test', owner: 'test', statement: 'test #0', actions: ['events:PutEvents'], witness: put },
      { principal: 'test', owner: 'test', statement: 'test #1', actions: ['ec2:DeleteVpcEndpoints'] },
    ]);
    expect(unjustified(verdicts).map((v) => v.statement)).toEqual(['test #1']);
  });

  it("keeps an unneeded statement iam.yml gives a reason for; one package's need counts for all", async () => {
    const reasons = new Map([['ec2:DeleteVpcEndpoints', 'the reason']]);
    const verdicts = await replay(record, reasons);
    expect(verdicts[1]?.justification).toBe('the reason');
    expect(unjustified(verdicts)).toEqual([]);
    const other = { ...role, principal: 'arn:aws:iam::123456789012:role/other-package' };
    const both = await replay(
      [...record, { ...record[0], role: other, decision: 'ImplicitlyDenied' } as RecordedDecision],
      new Map(),
    );
    expect(
      perStatement(both)
        .filter((v) => v.witness)
        .map((v) => v.statement),
    ).toEqual(['test #0']);
  });

  it('counts a managed policy two principals hold as one: a request of either holder needs its statement', async () => {
    // As the operator sets: "read" holds the policy alone, "act" holds it with one more; only "read" used it.
    const acting: Role = {
      ...role,
      principal: 'arn:aws:iam::123456789012:role/act',
      policies: [...role.policies, { name: 'extra', policy: { Version: '2012-10-17', Statement: [] } }],
    };
    const verdicts = perStatement(
      await replay(
        [
          ...record.map((entry) => ({ ...entry, principal: 'read' })),
          { principal: 'act', role: acting, request: put, decision: 'Allowed' },
          {
            principal: 'act',
            role: acting,
            request: { ...put, action: 'ec2:DescribeVpcs' },
            decision: 'ImplicitlyDenied',
          },
        ],
        new Map(),
      ),
    );
    expect(
      verdicts.filter((v) => v.statement === 'test #0').map((v) => [v.owner, Boolean(v.witness)]),
    ).toEqual([['policy test', true]]);
  });

  it("reads iam.yml's reasons for what Lambda itself does with a role", () => {
    const reasons = justificationsIn(readFileSync(new URL('../../../iam.yml', import.meta.url), 'utf8'));
    expect([...reasons.keys()]).toEqual(
      expect.arrayContaining(['logs:CreateLogStream', 'ec2:CreateNetworkInterface', 'sqs:SendMessage']),
    );
    expect(reasons.get('sqs:SendMessage')).toMatch(/failed for good/);
  });
});
