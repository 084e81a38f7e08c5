/**
 * Rule matching shared by the security-group and network-ACL checks: which protocol values mean TCP and how
 * EC2 encodes port ranges. Pure.
 */
import { type IpRange, parseCidr } from './cidr.ts';

export interface PortRange {
  from: number;
  to: number;
}

/** The range Linux, Windows and the AWS docs agree return traffic may use (NACLs are stateless). */
export const EPHEMERAL_PORTS: PortRange = { from: 1024, to: 65535 };

export const ALL_PORTS: PortRange = { from: 0, to: 65535 };

/** EC2 spells TCP as `tcp` (security groups) or `6` (NACLs); `-1` is every protocol. */
export function appliesToTcp(protocol: string): boolean {
  return protocol === '-1' || protocol.toLowerCase() === 'tcp' || protocol === '6';
}

/**
 * The ports a rule covers. Rules for every protocol carry no ports (or `-1`, as EC2 sometimes reports), and
 * then cover them all.
 */
export function rulePorts(protocol: string, ports: Partial<PortRange> | undefined): PortRange {
  if (protocol === '-1' || ports?.from === undefined || ports.to === undefined || ports.from < 0) {
    return ALL_PORTS;
  }
  return { from: ports.from, to: ports.to };
}

export function portsContain(outer: PortRange, inner: PortRange): boolean {
  return outer.from <= inner.from && inner.to <= outer.to;
}

export function portsOverlap(a: PortRange, b: PortRange): boolean {
  return a.from <= b.to && b.from <= a.to;
}

export function formatPorts(ports: PortRange): string {
  return ports.from === ports.to ? `${ports.from}` : `${ports.from}-${ports.to}`;
}

/** Parses a source CIDR; a text that is not a CIDR is a bug upstream (inputs are validated), so it throws. */
export function rangeOf(cidr: string): IpRange {
  const range = parseCidr(cidr);
  if (!range) throw new Error(`Not a CIDR: ${cidr}`);
  return range;
}
