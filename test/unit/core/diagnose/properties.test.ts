/**
 * Property tests where a wrong answer would hide: the CIDR arithmetic and the security-group and network-ACL
 * evaluators, each checked against the independent packet matcher of testing/packet-oracle.ts by brute force
 * over a small address space (10.0.0.0/24) and a small port space.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateNacl } from '../../../../functions/core/diagnose/checks/aws-network-acl.ts';
import { evaluateIngress } from '../../../../functions/core/diagnose/checks/aws-security-group-ingress.ts';
import type { NetworkAclEntry, PrefixList, SecurityGroupRule } from '../../../../functions/core/model.ts';
import {
  intersect,
  parseCidr,
  rangeContains,
  toCidrs,
  uncovered,
} from '../../../../functions/core/network/cidr.ts';
import { addressesOf, inCidr, naclDecidingEntry, sgAdmits } from '../../../../testing/packet-oracle.ts';

const RUNS = { numRuns: 300 };

/** A CIDR inside 10.0.0.0/24, `/minPrefix` or longer (so at most 2^(32-minPrefix) addresses). */
const smallCidr = (minPrefix = 24) =>
  fc
    .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: minPrefix, max: 32 }))
    .map(([host, prefix]) => `10.0.0.${host}/${prefix}`);

const range = (cidr: string) => {
  const parsed = parseCidr(cidr);
  if (!parsed) throw new Error(`generator made a bad CIDR ${cidr}`);
  return parsed;
};
const addressSet = (cidrs: readonly string[]) => new Set(cidrs.flatMap(addressesOf));
const sorted = (values: Iterable<string>) => [...values].sort();

describe('CIDR arithmetic against brute force', () => {
  it('rangeContains(a, b) exactly when every address of b is in a', () => {
    fc.assert(
      fc.property(smallCidr(), smallCidr(), (a, b) => {
        const brute = addressesOf(b).every((address) => inCidr(address, a));
        expect(rangeContains(range(a), range(b))).toBe(brute);
      }),
      RUNS,
    );
  });

  it('intersect holds exactly the addresses in both', () => {
    fc.assert(
      fc.property(smallCidr(), smallCidr(), (a, b) => {
        const both = addressesOf(a).filter((address) => inCidr(address, b));
        const overlap = intersect(range(a), range(b));
        expect(overlap ? sorted(addressSet(toCidrs(overlap))) : []).toEqual(sorted(both));
      }),
      RUNS,
    );
  });

  it('uncovered leaves exactly the addresses no cover holds, in the fewest aligned CIDRs', () => {
    fc.assert(
      fc.property(smallCidr(), fc.array(smallCidr(), { maxLength: 4 }), (target, cover) => {
        const left = addressesOf(target).filter((address) => !cover.some((cidr) => inCidr(address, cidr)));
        const pieces = uncovered(range(target), cover.map(range)).flatMap(toCidrs);
        expect(sorted(addressSet(pieces))).toEqual(sorted(left));
        // Pieces never overlap: as many addresses as listed, none counted twice.
        expect(pieces.reduce((sum, cidr) => sum + addressesOf(cidr).length, 0)).toBe(left.length);
      }),
      RUNS,
    );
  });
});

const PORTS = { min: 3995, max: 4005 };
const port = fc.integer(PORTS);

const sgRule: fc.Arbitrary<SecurityGroupRule> = fc
  .record({
    isEgress: fc.boolean(),
    ipProtocol: fc.constantFrom('tcp', 'TCP', '6', '-1', 'udp', '17'),
    ports: fc.oneof(
      fc.constant(undefined),
      fc.constant({ from: -1, to: -1 }),
      fc.tuple(port, port).map(([x, y]) => ({ from: Math.min(x, y), to: Math.max(x, y) })),
    ),
    from: fc.oneof(
      smallCidr(24).map((cidr) => ({ cidrIpv4: cidr })),
      fc.constant({ cidrIpv4: '0.0.0.0/0' }),
      fc.constant({ cidrIpv6: '::/0' }),
      fc.constantFrom('pl-1', 'pl-missing').map((id) => ({ prefixListId: id })),
      fc.constantFrom('sg-client', 'sg-other').map((id) => ({ referencedGroupId: id })),
    ),
  })
  .map(({ isEgress, ipProtocol, ports, from }) => ({
    groupId: 'sg-endpoint',
    isEgress,
    ipProtocol,
    ...(ports ? { fromPort: ports.from, toPort: ports.to } : {}),
    ...from,
  }));

const prefixLists: fc.Arbitrary<PrefixList[]> = fc
  .array(smallCidr(26), { maxLength: 2 })
  .map((cidrs) => [{ prefixListId: 'pl-1', cidrs }]);

describe('security-group evaluation against the brute-force matcher', () => {
  it('a source CIDR is not admitted exactly when some address in it is refused, partly when some is admitted', () => {
    fc.assert(
      fc.property(
        fc.array(sgRule, { maxLength: 5 }),
        prefixLists,
        port,
        fc.uniqueArray(smallCidr(26), { minLength: 1, maxLength: 2 }),
        (rules, lists, probePort, cidrs) => {
          const verdict = evaluateIngress({
            rules,
            prefixLists: lists,
            port: probePort,
            source: { kind: 'cidr', label: cidrs.join(', '), cidrs, securityGroupIds: [] },
          });
          for (const cidr of cidrs) {
            const admitted = addressesOf(cidr).map((source) =>
              sgAdmits(rules, lists, { source, port: probePort }),
            );
            expect(verdict.notAdmitted.includes(cidr)).toBe(admitted.includes(false));
            expect(verdict.partlyAdmitted.includes(cidr)).toBe(admitted.includes(true));
          }
        },
      ),
      RUNS,
    );
  });

  it('a source security group is admitted exactly when a member of it (at no listed address) gets in', () => {
    fc.assert(
      fc.property(fc.array(sgRule, { maxLength: 5 }), port, (rules, probePort) => {
        const verdict = evaluateIngress({
          rules,
          prefixLists: [],
          port: probePort,
          source: { kind: 'security-group', label: 'sg-client', cidrs: [], securityGroupIds: ['sg-client'] },
        });
        // 'no address' matches no CIDR, so only a rule referencing the group can admit it.
        const member = { source: 'no address', port: probePort, sourceGroupIds: ['sg-client'] };
        expect(verdict.admittedGroup === 'sg-client').toBe(sgAdmits(rules, [], member));
      }),
      RUNS,
    );
  });
});

const NACL_PORTS = { min: 0, max: 20 };
const naclPort = fc.integer(NACL_PORTS);

const naclEntries: fc.Arbitrary<NetworkAclEntry[]> = fc
  .uniqueArray(
    fc.record({
      ruleNumber: fc.integer({ min: 1, max: 12 }),
      egress: fc.boolean(),
      protocol: fc.constantFrom('6', '-1', '17'),
      ruleAction: fc.constantFrom('allow' as const, 'deny' as const),
      cidrBlock: fc.oneof(smallCidr(24), fc.constant('0.0.0.0/0')),
      portRange: fc.option(
        fc.tuple(naclPort, naclPort).map(([x, y]) => ({ from: Math.min(x, y), to: Math.max(x, y) })),
        { nil: undefined },
      ),
    }),
    // EC2 numbers rules uniquely per direction.
    { selector: (entry) => `${entry.egress}/${entry.ruleNumber}`, maxLength: 6 },
  )
  .map((entries) => [
    ...entries.map(({ portRange, ...entry }) => (portRange ? { ...entry, portRange } : entry)),
    // The default rule EC2 lists last in each direction.
    { ruleNumber: 32767, egress: false, protocol: '-1', ruleAction: 'deny' as const, cidrBlock: '0.0.0.0/0' },
    { ruleNumber: 32767, egress: true, protocol: '-1', ruleAction: 'deny' as const, cidrBlock: '0.0.0.0/0' },
  ]);

describe('network-ACL evaluation against the brute-force matcher', () => {
  it('blocks exactly the (address, port) pairs the first matching rule denies, naming that rule', () => {
    fc.assert(
      fc.property(
        naclEntries,
        fc.boolean(),
        fc.tuple(naclPort, naclPort).map(([x, y]) => ({ from: Math.min(x, y), to: Math.max(x, y) })),
        fc.uniqueArray(smallCidr(28), { minLength: 1, maxLength: 2 }),
        (entries, egress, ports, sources) => {
          const blocks = evaluateNacl(entries, { egress, ports, sources });
          const blockedBy = (peer: string, at: number) =>
            blocks.filter(
              (block) =>
                block.ports.from <= at && at <= block.ports.to && block.cidrs.some((c) => inCidr(peer, c)),
            );
          for (const peer of addressSet(sources)) {
            for (let at = ports.from; at <= ports.to; at += 1) {
              const deciding = naclDecidingEntry(entries, { egress, peer, port: at });
              const denied = deciding?.ruleAction !== 'allow';
              const hits = blockedBy(peer, at);
              expect(hits.length).toBe(denied ? 1 : 0);
              if (denied) {
                const expected = deciding && deciding.ruleNumber !== 32767 ? deciding.ruleNumber : undefined;
                expect(hits[0]?.ruleNumber).toBe(expected);
              }
            }
          }
          // Nothing outside the question is reported.
          for (const block of blocks) {
            expect(block.egress).toBe(egress);
            expect(block.ports.from >= ports.from && block.ports.to <= ports.to).toBe(true);
            for (const address of addressSet(block.cidrs))
              expect(sources.some((s) => inCidr(address, s))).toBe(true);
          }
        },
      ),
      RUNS,
    );
  });
});
