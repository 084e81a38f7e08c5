/**
 * IPv4/IPv6 address and CIDR arithmetic for the security-group, network-ACL and DNS checks. Pure: no
 * node:net, so the core stays free of I/O modules. Addresses are bigints so both families share one code path.
 */

export type IpFamily = 4 | 6;

export interface IpAddress {
  family: IpFamily;
  value: bigint;
}

/** An inclusive range of addresses of one family; CIDRs and rule matches become ranges. */
export interface IpRange {
  family: IpFamily;
  first: bigint;
  last: bigint;
}

const BITS: Record<IpFamily, number> = { 4: 32, 6: 128 };

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseGroups(text: string): bigint[] | undefined {
  if (text === '') return [];
  const groups: bigint[] = [];
  const parts = text.split(':');
  for (const [index, part] of parts.entries()) {
    // An embedded IPv4 tail (`::ffff:10.0.0.1`) counts as two groups.
    if (index === parts.length - 1 && part.includes('.')) {
      const v4 = parseIpv4(part);
      if (v4 === undefined) return undefined;
      groups.push(v4 >> 16n, v4 & 0xffffn);
    } else if (/^[0-9a-f]{1,4}$/i.test(part)) {
      groups.push(BigInt(`0x${part}`));
    } else {
      return undefined;
    }
  }
  return groups;
}

function parseIpv6(text: string): bigint | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0] ?? '');
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...new Array<bigint>(missing).fill(0n), ...tail];
  return groups.reduce((value, group) => (value << 16n) | group, 0n);
}

/** `10.0.0.1` or `fd00::1`; undefined when the text is not an address. */
export function parseIp(text: string): IpAddress | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = text.includes(':') ? parseIpv6(text) : undefined;
  return v6 === undefined ? undefined : { family: 6, value: v6 };
}

/** `10.0.0.0/16` → its range; a bare address is a /32 or /128. Host bits are ignored, as EC2 does. */
export function parseCidr(text: string): IpRange | undefined {
  const [addressText = '', prefixText, extra] = text.trim().split('/');
  const address = parseIp(addressText);
  if (!address || extra !== undefined) return undefined;
  const bits = BITS[address.family];
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return undefined;
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  const first = address.value & ~hostMask;
  return { family: address.family, first, last: first | hostMask };
}

export function sameIp(a: string, b: string): boolean {
  const left = parseIp(a);
  const right = parseIp(b);
  return left !== undefined && right?.family === left.family && right.value === left.value;
}

const compare = (x: bigint, y: bigint): number => (x < y ? -1 : x > y ? 1 : 0);

export function rangeContains(outer: IpRange, inner: IpRange): boolean {
  return outer.family === inner.family && outer.first <= inner.first && inner.last <= outer.last;
}

export function intersect(a: IpRange, b: IpRange): IpRange | undefined {
  if (a.family !== b.family) return undefined;
  // Math.max/min do not take bigints.
  const first = [a.first, b.first].sort(compare)[1] ?? a.first;
  const last = [a.last, b.last].sort(compare)[0] ?? a.last;
  return first <= last ? { family: a.family, first, last } : undefined;
}

/** `ranges` minus `cut`, keeping order. */
export function subtract(ranges: readonly IpRange[], cut: IpRange): IpRange[] {
  return ranges.flatMap((range) => {
    const overlap = intersect(range, cut);
    if (!overlap) return [range];
    const pieces: IpRange[] = [];
    if (range.first < overlap.first) pieces.push({ ...range, last: overlap.first - 1n });
    if (overlap.last < range.last) pieces.push({ ...range, first: overlap.last + 1n });
    return pieces;
  });
}

/** The parts of `target` that no range in `by` covers (a union may cover what no single range does). */
export function uncovered(target: IpRange, by: readonly IpRange[]): IpRange[] {
  return by.reduce<IpRange[]>((rest, range) => subtract(rest, range), [target]);
}

/** Private (RFC 1918, CGNAT), loopback, link-local and IPv6 ULA/loopback/link-local addresses are not public. */
const NON_PUBLIC = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  'fc00::/7',
  'fe80::/10',
  '::1/128',
].flatMap((cidr) => parseCidr(cidr) ?? []);

export function isPublicIp(text: string): boolean {
  const range = parseCidr(text);
  return range !== undefined && !NON_PUBLIC.some((block) => rangeContains(block, range));
}

function formatIpv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  // RFC 5952: compress the longest run (≥ 2) of zero groups.
  let best = { start: -1, length: 0 };
  for (let start = 0; start < 8; start += 1) {
    let length = 0;
    while (start + length < 8 && groups[start + length] === 0) length += 1;
    if (length > best.length && length >= 2) best = { start, length };
  }
  const hex = groups.map((group) => group.toString(16));
  if (best.start < 0) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`;
}

export function formatIp(address: IpAddress): string {
  if (address.family === 6) return formatIpv6(address.value);
  return [24n, 16n, 8n, 0n].map((shift) => ((address.value >> shift) & 0xffn).toString()).join('.');
}

/** The fewest CIDRs that exactly cover a range, for messages and fix commands. */
export function toCidrs(range: IpRange): string[] {
  const bits = BITS[range.family];
  const cidrs: string[] = [];
  let first = range.first;
  while (first <= range.last) {
    let size = 0;
    // Grow the block while it stays aligned and inside the range.
    while (size < bits) {
      const next = 1n << BigInt(size + 1);
      if (first % next !== 0n || first + next - 1n > range.last) break;
      size += 1;
    }
    cidrs.push(`${formatIp({ family: range.family, value: first })}/${bits - size}`);
    first += 1n << BigInt(size);
  }
  return cidrs;
}
