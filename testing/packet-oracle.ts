/**
 * An independent, deliberately naive matcher for single packets: does this security group admit, does this
 * network ACL allow, a TCP packet from one IPv4 address to one port? It shares no code with the production
 * evaluators in functions/core/diagnose (which reason about whole CIDR ranges and port segments): addresses
 * become 32-character bit strings, a CIDR matches when the first `prefix` bits are equal, and rules are tried
 * one by one as AWS documents them. The VPC stand-in's packet filter and the property tests both use it, so
 * the end-to-end tests never check the production evaluators against themselves.
 */
import type { NetworkAclEntry, PrefixList, SecurityGroupRule } from '../functions/core/model.ts';

/** A TCP packet arriving at the endpoint: from one address (and, for SG references, its groups), to one port. */
export interface Packet {
  source: string;
  port: number;
  sourceGroupIds?: readonly string[];
}

/** `10.0.0.1` → `00001010000000000000000000000001`; undefined for anything else (IPv6 included). */
export function bitsOf(address: string): string | undefined {
  const parts = address.split('.');
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255))
    return undefined;
  return parts.map((part) => Number(part).toString(2).padStart(8, '0')).join('');
}

/** Is the IPv4 `address` inside `cidr`? An IPv6 CIDR never holds an IPv4 address. */
export function inCidr(address: string, cidr: string): boolean {
  const [network = '', prefixText = '32'] = cidr.split('/');
  const prefix = Number(prefixText);
  const addressBits = bitsOf(address);
  const networkBits = bitsOf(network);
  if (!addressBits || !networkBits || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) return false;
  return addressBits.slice(0, prefix) === networkBits.slice(0, prefix);
}

/** Every address of a small IPv4 CIDR, for brute force over it. */
export function addressesOf(cidr: string): string[] {
  const [network = '', prefixText = '32'] = cidr.split('/');
  const bits = bitsOf(network);
  const size = 2 ** (32 - Number(prefixText));
  if (!bits || size > 65_536) throw new Error(`addressesOf wants a small IPv4 CIDR, not ${cidr}`);
  const value = Number.parseInt(bits, 2);
  const first = value - (value % size);
  return Array.from({ length: size }, (_, offset) => {
    const address = first + offset;
    return [2 ** 24, 2 ** 16, 2 ** 8, 1].map((unit) => Math.floor(address / unit) % 256).join('.');
  });
}

const isTcp = (protocol: string) => protocol === '-1' || protocol === '6' || protocol.toLowerCase() === 'tcp';

/** AWS: a rule for all protocols (`-1`) covers every port; so does one whose ports are absent or -1. */
function portMatches(protocol: string, from: number | undefined, to: number | undefined, port: number) {
  if (protocol === '-1' || from === undefined || to === undefined || from === -1) return true;
  return from <= port && port <= to;
}

/** Security groups only allow: the packet is admitted when any ingress rule matches it. */
export function sgAdmits(
  rules: readonly SecurityGroupRule[],
  prefixLists: readonly PrefixList[],
  packet: Packet,
): boolean {
  return rules.some((rule) => {
    if (rule.isEgress || !isTcp(rule.ipProtocol)) return false;
    if (!portMatches(rule.ipProtocol, rule.fromPort, rule.toPort, packet.port)) return false;
    if (rule.referencedGroupId && packet.sourceGroupIds?.includes(rule.referencedGroupId)) return true;
    const listed = prefixLists.find((list) => list.prefixListId === rule.prefixListId)?.cidrs ?? [];
    const cidrs = [rule.cidrIpv4, rule.cidrIpv6, ...listed].filter((cidr) => cidr !== undefined);
    return cidrs.some((cidr) => inCidr(packet.source, cidr));
  });
}

/**
 * Network ACLs are evaluated in rule-number order and the first matching rule decides; no match is a deny.
 * `peer` is the remote address: the source of inbound traffic, the destination of outbound.
 * Returns the deciding entry (undefined: nothing matched).
 */
export function naclDecidingEntry(
  entries: readonly NetworkAclEntry[],
  packet: { egress: boolean; peer: string; port: number },
): NetworkAclEntry | undefined {
  const ordered = [...entries].sort((a, b) => a.ruleNumber - b.ruleNumber);
  return ordered.find(
    (entry) =>
      entry.egress === packet.egress &&
      isTcp(entry.protocol) &&
      portMatches(entry.protocol, entry.portRange?.from, entry.portRange?.to, packet.port) &&
      inCidr(packet.peer, entry.cidrBlock ?? entry.ipv6CidrBlock ?? ''),
  );
}

export function naclAllows(
  entries: readonly NetworkAclEntry[],
  packet: { egress: boolean; peer: string; port: number },
): boolean {
  return naclDecidingEntry(entries, packet)?.ruleAction === 'allow';
}
