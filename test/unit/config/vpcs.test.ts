import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../functions/config.ts';
import { ConfigError } from '../../../functions/core/errors.ts';
import { readVpcs } from '../../../functions/settings/vpcs.ts';

const BASE = { AWS_REGION: 'us-east-1', TIDB_CLOUD_PUBLIC_KEY: 'pub', TIDB_CLOUD_PRIVATE_KEY: 'priv' };
const A = { vpcId: 'vpc-0aaa', subnetIds: ['subnet-0a1', 'subnet-0a2'], securityGroupIds: ['sg-0a'] };
const B = { vpcId: 'vpc-0bbb', subnetIds: ['subnet-0b1'] };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...BASE, ...env }, { apiKeys: 'env', vpc: true });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('PRIVATELINK_VPCS', () => {
  it('gives every VPC, security groups optional, the first one also as the single-VPC values', () => {
    const config = loadConfig(
      { ...BASE, PRIVATELINK_VPCS: JSON.stringify([A, B]) },
      { apiKeys: 'env', vpc: true },
    );
    expect(config.privateLink.vpcs).toEqual([A, { ...B, securityGroupIds: [] }]);
    expect(config.privateLink.vpcId).toBe('vpc-0aaa');
    expect(config.privateLink.subnetIds).toEqual(A.subnetIds);
    expect(config.privateLink.securityGroupIds).toEqual(['sg-0a']);
  });

  it('the single-VPC variables stay the short form of one entry', () => {
    const config = loadConfig(
      {
        ...BASE,
        PRIVATELINK_VPC_ID: 'vpc-0aaa',
        PRIVATELINK_SUBNET_IDS: 'subnet-0a1, subnet-0a2',
        PRIVATELINK_SECURITY_GROUP_IDS: 'sg-0a',
      },
      { apiKeys: 'env', vpc: true },
    );
    expect(config.privateLink.vpcs).toEqual([A]);
    expect(config.privateLink.vpcId).toBe('vpc-0aaa');
  });

  it('no VPC at all is an empty list when none is needed', () => {
    expect(loadConfig(BASE, { apiKeys: 'env' }).privateLink.vpcs).toEqual([]);
  });

  it('refuses both forms at once in one sentence naming the variables set', () => {
    const problems = problemsOf({
      PRIVATELINK_VPCS: JSON.stringify([A]),
      PRIVATELINK_VPC_ID: 'vpc-0aaa',
      PRIVATELINK_PROBE_SUBNET_IDS: 'subnet-0a1',
    });
    expect(problems).toEqual([
      'PRIVATELINK_VPCS and PRIVATELINK_VPC_ID, PRIVATELINK_PROBE_SUBNET_IDS are both set: use either the list or the single-VPC variables, not both',
    ]);
  });

  it('says what is wrong with JSON that does not parse, or is not a non-empty list', () => {
    expect(problemsOf({ PRIVATELINK_VPCS: '[{"vpcId":' })).toEqual([
      expect.stringMatching(/^PRIVATELINK_VPCS is not valid JSON \(.+\)$/),
    ]);
    for (const text of ['[]', '{"vpcId":"vpc-0aaa"}', '"vpc-0aaa"']) {
      expect(problemsOf({ PRIVATELINK_VPCS: text })).toEqual([
        expect.stringMatching(/^PRIVATELINK_VPCS must be a non-empty JSON list/),
      ]);
    }
  });

  it('lists every problem of every entry at once: missing fields, bad ids, repeats, unknown fields', () => {
    const problems = problemsOf({
      PRIVATELINK_VPCS: JSON.stringify([
        { vpcId: 'vpc-0aaa', subnetIds: ['subnet-0a1', 'subnet-0a1', 'sg-0x'], securityGroupIds: 'sg-0a' },
        { vpcId: 'VPC-1', subnetIDs: ['subnet-0b1'] },
        42,
      ]),
    });
    expect(problems).toEqual([
      'PRIVATELINK_VPCS[0] "subnetIds" lists "sg-0x", not a subnet-… id',
      'PRIVATELINK_VPCS[0] "subnetIds" lists subnet-0a1 twice',
      'PRIVATELINK_VPCS[0] needs "securityGroupIds": a list of id strings',
      'PRIVATELINK_VPCS[1] has an unknown field "subnetIDs" (fields: vpcId, subnetIds, securityGroupIds, roleArn, externalId, dataPlaneFunctionArn)',
      'PRIVATELINK_VPCS[1] needs "vpcId": a VPC id (vpc-…), not "VPC-1"',
      'PRIVATELINK_VPCS[1] needs "subnetIds": a non-empty list of id strings',
      'PRIVATELINK_VPCS[2] is not an object {"vpcId","subnetIds","securityGroupIds",…}',
    ]);
  });

  it('refuses a VPC listed twice and a subnet listed under two VPCs', () => {
    const problems = problemsOf({
      PRIVATELINK_VPCS: JSON.stringify([A, A, { vpcId: 'vpc-0ccc', subnetIds: ['subnet-0a2'] }]),
    });
    expect(problems).toEqual([
      'PRIVATELINK_VPCS lists vpc-0aaa more than once',
      'PRIVATELINK_VPCS lists subnet subnet-0a1, subnet-0a2 under two VPCs',
    ]);
  });

  it('is checked even when the caller needs no VPC (a typo never waits for the first provision)', () => {
    expect(() => loadConfig({ ...BASE, PRIVATELINK_VPCS: '[1]' }, { apiKeys: 'env' })).toThrow(ConfigError);
  });

  it('readVpcs is what the packaging plugin reads: the same list, the same problems', () => {
    expect(readVpcs({ PRIVATELINK_VPCS: JSON.stringify([B]) })).toEqual({
      vpcs: [{ ...B, securityGroupIds: [] }],
      problems: [],
    });
    expect(readVpcs({}).vpcs).toEqual([]);
  });
});

describe('PRIVATELINK_VPCS spoke entries (a VPC of another account)', () => {
  const ROLE = 'arn:aws:iam::222233334444:role/tidb-privatelink-spoke';
  const DATA_PLANE = 'arn:aws:lambda:us-east-1:222233334444:function:tidb-privatelink-dev-dataPlane-vpc-0ccc';
  const SPOKE = { vpcId: 'vpc-0ccc', subnetIds: ['subnet-0c1'], roleArn: ROLE };

  it("keeps the entries' order and derives the spoke's account from its role", () => {
    const config = loadConfig(
      {
        ...BASE,
        PRIVATELINK_VPCS: JSON.stringify([
          { ...SPOKE, externalId: 'tenant:42', dataPlaneFunctionArn: DATA_PLANE },
          A,
          { ...SPOKE, vpcId: 'vpc-0ddd', subnetIds: ['subnet-0d1'], roleArn: `${ROLE}-2` },
        ]),
      },
      { apiKeys: 'env', vpc: true },
    );
    expect(config.privateLink.vpcs).toEqual([
      {
        ...SPOKE,
        securityGroupIds: [],
        accountId: '222233334444',
        externalId: 'tenant:42',
        dataPlaneFunctionArn: DATA_PLANE,
      },
      A,
      {
        vpcId: 'vpc-0ddd',
        subnetIds: ['subnet-0d1'],
        securityGroupIds: [],
        roleArn: `${ROLE}-2`,
        accountId: '222233334444',
      },
    ]);
    expect(config.privateLink.vpcs[1]).not.toHaveProperty('accountId');
  });

  it('lists every problem of the spoke fields at once, never echoing an external id', () => {
    const problems = problemsOf({
      PRIVATELINK_VPCS: JSON.stringify([
        A,
        { ...SPOKE, roleArn: 'arn:aws:iam::2222:user/bob', externalId: 'x' },
        { ...B, externalId: 'secret-ish', dataPlaneFunctionArn: DATA_PLANE },
        {
          vpcId: 'vpc-0eee',
          subnetIds: ['subnet-0e1'],
          roleArn: ROLE.replace('222233334444', '555566667777'),
          dataPlaneFunctionArn: DATA_PLANE.replace('us-east-1', 'eu-west-1'),
        },
        { ...SPOKE, vpcId: 'vpc-0fff', subnetIds: ['subnet-0f1'], dataPlaneFunctionArn: 'my-function' },
      ]),
    });
    expect(problems).toEqual([
      'PRIVATELINK_VPCS[1] "roleArn" is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)',
      'PRIVATELINK_VPCS[1] "externalId" must be 2 to 1224 characters of letters, digits and +=,.@:/-_',
      'PRIVATELINK_VPCS[2] has "externalId" without "roleArn" (it only belongs to a spoke VPC)',
      'PRIVATELINK_VPCS[2] has "dataPlaneFunctionArn" without "roleArn" (it only belongs to a spoke VPC)',
      'PRIVATELINK_VPCS[3] "dataPlaneFunctionArn" is in account 222233334444, not the role\'s account 555566667777',
      'PRIVATELINK_VPCS[3] "dataPlaneFunctionArn" is in eu-west-1, not the stack\'s region us-east-1',
      'PRIVATELINK_VPCS[4] "dataPlaneFunctionArn" is not a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>)',
    ]);
    expect(problems.join(' ')).not.toContain('secret-ish');
  });

  it("accepts STS's external id alphabet up to 1224 characters, and a role with a path", () => {
    const externalId = `a${'+=,.@:/-_'.repeat(136)}`.slice(0, 1224);
    const vpcs = [A, { ...SPOKE, roleArn: 'arn:aws-cn:iam::222233334444:role/team/hub-access', externalId }];
    expect(problemsOf({ PRIVATELINK_VPCS: JSON.stringify(vpcs) })).toEqual([]);
    const tooLong = [A, { ...SPOKE, externalId: `${externalId}x` }];
    expect(problemsOf({ PRIVATELINK_VPCS: JSON.stringify(tooLong) })).toEqual([
      expect.stringMatching(/"externalId" must be 2 to 1224 characters/),
    ]);
  });

  it("needs one VPC of the stack's own account, where its first data plane runs", () => {
    expect(problemsOf({ PRIVATELINK_VPCS: JSON.stringify([SPOKE]) })).toEqual([
      'PRIVATELINK_VPCS needs at least one VPC of the stack\'s own account (an entry without "roleArn"): the stack\'s first data plane runs there',
    ]);
  });
});

describe('PRIVATELINK_DATA_PLANES (written by the template)', () => {
  const site = {
    vpcId: 'vpc-0bbb',
    functionName: 'f2',
    securityGroupIds: ['sg-0p'],
    subnetIds: ['subnet-0b1'],
  };

  it('gives each VPC its data-plane function and placement', () => {
    const config = loadConfig({ ...BASE, PRIVATELINK_DATA_PLANES: JSON.stringify([site]) });
    expect(config.probe.dataPlanes).toEqual([site]);
    expect(loadConfig(BASE).probe.dataPlanes).toEqual([]);
  });

  it('refuses anything else in one sentence', () => {
    expect(() =>
      loadConfig({ ...BASE, PRIVATELINK_DATA_PLANES: JSON.stringify([{ vpcId: 'vpc-0bbb' }]) }),
    ).toThrow(/PRIVATELINK_DATA_PLANES is not a JSON list/);
  });
});
