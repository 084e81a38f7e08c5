/**
 * The independent packet matcher (testing/packet-oracle.ts) on cases read straight from the AWS docs, and
 * proof that the VPC stand-in's filter uses it rather than the production evaluator: with the production
 * evaluator replaced by one that admits everything, the stand-in still drops what the rules do not admit.
 */
import { describe, expect, it, vi } from 'vitest';
import type { NetworkAclEntry, SecurityGroupRule } from '../../../functions/core/model.ts';
import { addressesOf, inCidr, naclAllows, sgAdmits } from '../../../testing/packet-oracle.ts';
import { filteredProber } from '../../../testing/vpc-stand-in.ts';

vi.mock('../../../functions/core/diagnose/checks/aws-security-group-ingress.ts', () => ({
  evaluateIngress: () => ({
    admittedGroup: undefined,
    notAdmitted: [],
    partlyAdmitted: [],
    admittingRules: ['(a wrong evaluator that admits everything)'],
    unknownPrefixLists: [],
  }),
}));

const rule = (fields: Partial<SecurityGroupRule>): SecurityGroupRule => ({
  groupId: 'sg-1',
  isEgress: false,
  ipProtocol: 'tcp',
  ...fields,
});

describe('inCidr and addressesOf', () => {
  it('compares the first prefix bits only', () => {
    expect(inCidr('10.0.1.7', '10.0.0.0/16')).toBe(true);
    expect(inCidr('10.1.0.0', '10.0.0.0/16')).toBe(false);
    expect(inCidr('10.0.0.9', '10.0.0.8/29')).toBe(true);
    expect(inCidr('10.0.0.16', '10.0.0.8/29')).toBe(false);
    expect(inCidr('1.2.3.4', '0.0.0.0/0')).toBe(true);
    expect(inCidr('1.2.3.4', '1.2.3.4')).toBe(true);
    expect(inCidr('1.2.3.4', '::/0')).toBe(false);
  });

  it('lists every address of a small CIDR, host bits of the network ignored', () => {
    expect(addressesOf('10.0.0.5/30')).toEqual(['10.0.0.4', '10.0.0.5', '10.0.0.6', '10.0.0.7']);
    expect(addressesOf('192.168.255.255/32')).toEqual(['192.168.255.255']);
    expect(addressesOf('10.0.0.0/24')).toHaveLength(256);
  });
});

describe('sgAdmits', () => {
  const packet = { source: '10.0.0.5', port: 4000 };

  it('admits when any ingress TCP rule covers the port and the source', () => {
    expect(sgAdmits([rule({ fromPort: 4000, toPort: 4000, cidrIpv4: '10.0.0.0/24' })], [], packet)).toBe(
      true,
    );
    expect(sgAdmits([rule({ fromPort: 3000, toPort: 3999, cidrIpv4: '10.0.0.0/24' })], [], packet)).toBe(
      false,
    );
    expect(sgAdmits([rule({ fromPort: 4000, toPort: 4000, cidrIpv4: '10.0.1.0/24' })], [], packet)).toBe(
      false,
    );
  });

  it('treats protocol -1 as every port, ignores egress and UDP rules', () => {
    expect(sgAdmits([rule({ ipProtocol: '-1', cidrIpv4: '0.0.0.0/0' })], [], packet)).toBe(true);
    expect(sgAdmits([rule({ isEgress: true, ipProtocol: '-1', cidrIpv4: '0.0.0.0/0' })], [], packet)).toBe(
      false,
    );
    expect(
      sgAdmits([rule({ ipProtocol: 'udp', fromPort: 0, toPort: 65535, cidrIpv4: '0.0.0.0/0' })], [], packet),
    ).toBe(false);
  });

  it('follows prefix lists and referenced groups', () => {
    const viaList = [rule({ fromPort: 4000, toPort: 4000, prefixListId: 'pl-1' })];
    expect(sgAdmits(viaList, [{ prefixListId: 'pl-1', cidrs: ['10.0.0.4/30'] }], packet)).toBe(true);
    expect(sgAdmits(viaList, [], packet)).toBe(false);
    const viaGroup = [rule({ fromPort: 4000, toPort: 4000, referencedGroupId: 'sg-client' })];
    expect(sgAdmits(viaGroup, [], { ...packet, sourceGroupIds: ['sg-client'] })).toBe(true);
    expect(sgAdmits(viaGroup, [], packet)).toBe(false);
  });
});

describe('naclAllows', () => {
  const entry = (fields: Partial<NetworkAclEntry> & { ruleNumber: number }): NetworkAclEntry => ({
    egress: false,
    protocol: '6',
    ruleAction: 'allow',
    cidrBlock: '0.0.0.0/0',
    ...fields,
  });

  it('lets the lowest-numbered matching rule decide, and denies when none matches', () => {
    const entries = [
      entry({ ruleNumber: 200, portRange: { from: 4000, to: 4000 } }),
      entry({
        ruleNumber: 100,
        ruleAction: 'deny',
        cidrBlock: '10.0.0.0/30',
        portRange: { from: 0, to: 65535 },
      }),
    ];
    expect(naclAllows(entries, { egress: false, peer: '10.0.0.2', port: 4000 })).toBe(false);
    expect(naclAllows(entries, { egress: false, peer: '10.0.0.9', port: 4000 })).toBe(true);
    expect(naclAllows(entries, { egress: false, peer: '10.0.0.9', port: 4001 })).toBe(false);
    expect(naclAllows(entries, { egress: true, peer: '10.0.0.9', port: 4000 })).toBe(false);
  });
});

describe('the VPC stand-in’s packet filter', () => {
  it('drops what the rules do not admit even when the production evaluator says otherwise', async () => {
    const rules = [rule({ fromPort: 1, toPort: 2, cidrIpv4: '10.0.0.0/16' })];
    const prober = filteredProber(() => rules, '10.0.0.0/16');
    // Port 9 on loopback: a connect that got through would be refused at once, not time out.
    const outcome = await prober.connect('127.0.0.1', 9, 50);
    expect(outcome.status).toBe('timeout');
  });
});
