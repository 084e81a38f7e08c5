import { describe, expect, it } from 'vitest';
import { describeOutcome } from '../../../../functions/cli/commands/provision.ts';

describe("provision's text output", () => {
  const outcome = {
    clusterId: '1379661944646413143',
    tidbNodeGroupId: '1934178998036000000',
    phase: 'Blocked' as const,
    vpcEndpointId: null,
    actions: [],
  };

  it("names a spoke pair's VPC and account; the stack's own VPC without an account", () => {
    expect(describeOutcome({ ...outcome, vpcId: 'vpc-0ccc', accountId: '222233334444' })[0]).toBe(
      '1379661944646413143 in vpc-0ccc (account 222233334444): Blocked',
    );
    expect(describeOutcome({ ...outcome, vpcId: 'vpc-0aaa' })[0]).toBe(
      '1379661944646413143 in vpc-0aaa: Blocked',
    );
  });
});
