import type { NetworkAcl, NetworkAclEntry } from '../../model.ts';
import { type IpRange, intersect, parseCidr, subtract, toCidrs } from '../../network/cidr.ts';
import {
  appliesToTcp,
  EPHEMERAL_PORTS,
  formatPorts,
  type PortRange,
  portsContain,
  portsOverlap,
  rangeOf,
  rulePorts,
} from '../../network/packet-filter.ts';
import { allowNaclEntry, removeBlockingNaclEntry } from '../../remediation.ts';
import { type DiagnoseContext, ENDPOINT_EXISTS, endpointOf, need } from '../context.ts';
import type { Check, CheckOutcome } from '../runner.ts';

/** EC2 lists the unchangeable default (`*`) rule with this number. */
const DEFAULT_RULE = 32767;

/** Traffic a NACL drops: these ports from these addresses, by this rule (undefined: no rule, the default). */
export interface NaclBlock {
  egress: boolean;
  ports: PortRange;
  cidrs: string[];
  ruleNumber: number | undefined;
}

function entryPorts(entry: NetworkAclEntry): PortRange {
  return rulePorts(entry.protocol, entry.portRange);
}

/**
 * Cuts `wanted` at every rule boundary, so each rule either covers a whole segment or misses it: then the
 * first-match evaluation can run per segment on addresses alone.
 */
function segments(wanted: PortRange, entries: readonly NetworkAclEntry[]): PortRange[] {
  const cuts = new Set([wanted.from, wanted.to + 1]);
  for (const entry of entries) {
    const { from, to } = entryPorts(entry);
    for (const cut of [from, to + 1]) if (cut > wanted.from && cut <= wanted.to) cuts.add(cut);
  }
  const sorted = [...cuts].sort((a, b) => a - b);
  return sorted.slice(0, -1).map((from, i) => ({ from, to: (sorted[i + 1] ?? from + 1) - 1 }));
}

/** First match by rule number wins, so a lower-numbered deny beats any later allow. */
function blocksInSegment(
  rules: readonly NetworkAclEntry[],
  ports: PortRange,
  sources: readonly IpRange[],
  egress: boolean,
) {
  const blocks: NaclBlock[] = [];
  let remaining = [...sources];
  for (const rule of rules) {
    const range = parseCidr(rule.cidrBlock ?? rule.ipv6CidrBlock ?? '');
    if (!range || !portsContain(entryPorts(rule), ports)) continue;
    const hit = remaining.flatMap((source) => intersect(source, range) ?? []);
    if (rule.ruleAction === 'deny' && hit.length > 0) {
      const ruleNumber = rule.ruleNumber === DEFAULT_RULE ? undefined : rule.ruleNumber;
      blocks.push({ egress, ports, cidrs: hit.flatMap(toCidrs), ruleNumber });
    }
    remaining = subtract(remaining, range);
  }
  if (remaining.length > 0)
    blocks.push({ egress, ports, cidrs: remaining.flatMap(toCidrs), ruleNumber: undefined });
  return blocks;
}

/** Joins neighbouring port segments blocked for the same addresses by the same rule. */
function merge(blocks: readonly NaclBlock[]): NaclBlock[] {
  const merged: NaclBlock[] = [];
  for (const block of blocks) {
    const last = merged.at(-1);
    const same = last && last.ruleNumber === block.ruleNumber && last.cidrs.join() === block.cidrs.join();
    if (same && last.ports.to + 1 === block.ports.from)
      last.ports = { from: last.ports.from, to: block.ports.to };
    else merged.push({ ...block, ports: { ...block.ports } });
  }
  return merged;
}

/** What of `ports` from `sources` (TCP) the NACL's entries in one direction drop. */
export function evaluateNacl(
  entries: readonly NetworkAclEntry[],
  input: { egress: boolean; ports: PortRange; sources: readonly string[] },
): NaclBlock[] {
  const rules = entries
    .filter((entry) => entry.egress === input.egress && appliesToTcp(entry.protocol))
    .filter((entry) => portsOverlap(entryPorts(entry), input.ports))
    .sort((a, b) => a.ruleNumber - b.ruleNumber);
  const sources = input.sources.map(rangeOf);
  return merge(
    segments(input.ports, rules).flatMap((ports) => blocksInSegment(rules, ports, sources, input.egress)),
  );
}

/** A free rule number that is evaluated before `blocking` (any free one when the default rule blocks). */
export function freeRuleNumber(
  entries: readonly NetworkAclEntry[],
  egress: boolean,
  blocking: number | undefined,
) {
  const used = new Set(entries.filter((entry) => entry.egress === egress).map((entry) => entry.ruleNumber));
  if (blocking === undefined) {
    const highest = Math.max(0, ...[...used].filter((number) => number < DEFAULT_RULE));
    for (let n = Math.min(DEFAULT_RULE - 1, (Math.floor(highest / 10) + 1) * 10); n >= 1; n -= 1) {
      if (!used.has(n)) return n;
    }
    return undefined;
  }
  for (let n = blocking - 1; n >= 1; n -= 1) if (!used.has(n)) return n;
  return undefined;
}

function describe(acl: NetworkAcl, block: NaclBlock): string {
  const direction = block.egress ? 'outbound' : 'inbound';
  const rule = block.ruleNumber === undefined ? 'the default rule' : `rule ${block.ruleNumber}`;
  const peer = block.egress ? 'to' : 'from';
  return `${acl.networkAclId} denies ${direction} TCP ${formatPorts(block.ports)} ${peer} ${block.cidrs.join(', ')} (${rule})`;
}

function fix(acl: NetworkAcl, block: NaclBlock): string {
  const ruleNumber = freeRuleNumber(acl.entries, block.egress, block.ruleNumber);
  if (ruleNumber === undefined)
    return removeBlockingNaclEntry(acl.networkAclId, block.egress, block.ruleNumber ?? DEFAULT_RULE);
  return block.cidrs
    .map((cidr) =>
      allowNaclEntry({
        networkAclId: acl.networkAclId,
        egress: block.egress,
        ruleNumber,
        ports: block.ports,
        cidr,
      }),
    )
    .join('\n');
}

export const awsNetworkAcl: Check<DiagnoseContext> = {
  id: 'aws.network-acl',
  dependsOn: [ENDPOINT_EXISTS],
  async run({ observation, target }): Promise<CheckOutcome> {
    const endpoint = endpointOf(target);
    const source = need(await observation.source, 'the traffic source');
    const acls = need(
      await observation.networkAcls,
      `the network ACLs of ${endpoint.subnetIds.join(', ')}`,
    ).filter((acl) => acl.subnetIds.some((subnet) => endpoint.subnetIds.includes(subnet)));
    if (acls.length === 0)
      return { status: 'skip', summary: 'Skipped: EC2 returned no network ACL for the endpoint subnets.' };
    const { port } = target;
    const found = acls.flatMap((acl) =>
      [
        ...evaluateNacl(acl.entries, {
          egress: false,
          ports: { from: port, to: port },
          sources: source.cidrs,
        }),
        ...evaluateNacl(acl.entries, { egress: true, ports: EPHEMERAL_PORTS, sources: source.cidrs }),
      ].map((block) => ({ acl, block })),
    );
    const evidence = {
      networkAclIds: acls.map((acl) => acl.networkAclId),
      source: source.label,
      inbound: `TCP ${port}`,
      outbound: `TCP ${formatPorts(EPHEMERAL_PORTS)}`,
      ...(found.length > 0 ? { denied: found.map(({ acl, block }) => describe(acl, block)) } : {}),
    };
    if (found.length === 0) {
      return {
        status: 'pass',
        summary: `${evidence.networkAclIds.join(', ')} admit TCP ${port} inbound and ephemeral ports outbound for ${source.label}.`,
        evidence,
      };
    }
    return {
      status: 'fail',
      summary: `${found.map(({ acl, block }) => describe(acl, block)).join('; ')}.`,
      evidence,
      remediation: found.map(({ acl, block }) => fix(acl, block)).join('\n'),
    };
  },
};
