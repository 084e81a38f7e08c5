/**
 * Does the endpoint's reply find its way back to a client outside the VPC? A pure function over the VPC's
 * route tables: each endpoint subnet's table (its explicit one, else the main one), longest prefix match for
 * every part of the source CIDR, and what kind of hop each part leaves by.
 */
import type { PrefixList, Route, RouteTable } from '../model.ts';
import { type IpRange, intersect, parseCidr, subtract, toCidrs } from '../network/cidr.ts';

/** How a route leaves the VPC, as far as a reply to an outside client is concerned. */
export type HopKind =
  | 'local'
  | 'peering'
  | 'transit-gateway'
  | 'vpn-gateway'
  | 'core-network'
  /** An ENI, an instance or a Gateway Load Balancer endpoint: a firewall or router appliance in the path. */
  | 'appliance'
  /** Internet, NAT, egress-only, carrier or local gateways: not a way back to a private client. */
  | 'wrong-way';

export function hopKind(target: string): HopKind {
  if (target === 'local') return 'local';
  if (target.startsWith('pcx-')) return 'peering';
  if (target.startsWith('tgw-')) return 'transit-gateway';
  if (target.startsWith('vgw-')) return 'vpn-gateway';
  if (target.startsWith('arn:') && target.includes(':core-network/')) return 'core-network';
  if (/^(eni|i|vpce)-/.test(target)) return 'appliance';
  return 'wrong-way';
}

/** Hops that lead back to a peered VPC, a transit gateway's attachments or on-premises. */
export const RETURN_HOPS: ReadonlySet<HopKind> = new Set([
  'peering',
  'transit-gateway',
  'vpn-gateway',
  'core-network',
]);

/** Part of the source, and the route that carries replies to it (none: the packets are dropped). */
export interface ReturnLeg {
  cidrs: string[];
  route: Route | undefined;
  kind: HopKind | 'no-route' | 'blackhole';
}

export interface SubnetReturnPath {
  subnetId: string;
  /** Undefined when EC2 listed no table for the subnet and the VPC has no main table. */
  routeTableId: string | undefined;
  /** The subnet has no explicit association: the VPC's main table serves it. */
  viaMain: boolean;
  legs: ReturnLeg[];
}

/** The subnet's explicitly associated table, else the VPC's main table. */
export function routeTableOf(
  subnetId: string,
  tables: readonly RouteTable[],
): { table: RouteTable | undefined; viaMain: boolean } {
  const explicit = tables.find((table) => table.subnetIds.includes(subnetId));
  if (explicit) return { table: explicit, viaMain: false };
  return { table: tables.find((table) => table.main), viaMain: true };
}

function prefixLength(range: IpRange): number {
  const hostBits = range.last > range.first ? (range.last - range.first).toString(2).length : 0;
  return (range.family === 4 ? 32 : 128) - hostBits;
}

/** Every route as `(range, route)`; a prefix-list route stands for each of the list's CIDRs. */
function destinations(routes: readonly Route[], prefixLists: readonly PrefixList[]) {
  return routes.flatMap((route) => {
    const cidrs = route.destination
      ? [route.destination]
      : (prefixLists.find((list) => list.prefixListId === route.destinationPrefixListId)?.cidrs ?? []);
    return cidrs.flatMap((cidr) => {
      const range = parseCidr(cidr);
      return range ? [{ range, route }] : [];
    });
  });
}

/** Longest prefix match for every part of `source`: the most specific route covering each address wins. */
export function matchRoutes(
  routes: readonly Route[],
  source: string,
  prefixLists: readonly PrefixList[] = [],
): ReturnLeg[] {
  const wanted = parseCidr(source);
  if (!wanted) return [];
  const ordered = destinations(routes, prefixLists).sort(
    (a, b) => prefixLength(b.range) - prefixLength(a.range),
  );
  const legs: ReturnLeg[] = [];
  let remaining: IpRange[] = [wanted];
  for (const { range, route } of ordered) {
    const hit = remaining.flatMap((part) => intersect(part, range) ?? []);
    if (hit.length === 0) continue;
    const kind = route.state === 'blackhole' ? 'blackhole' : hopKind(route.target);
    legs.push({ cidrs: hit.flatMap(toCidrs), route, kind });
    remaining = subtract(remaining, range);
  }
  if (remaining.length > 0)
    legs.push({ cidrs: remaining.flatMap(toCidrs), route: undefined, kind: 'no-route' });
  return legs;
}

/** For each endpoint subnet: the table that serves it and how replies to each part of the source leave. */
export function returnPaths(
  tables: readonly RouteTable[],
  subnetIds: readonly string[],
  source: string,
  prefixLists: readonly PrefixList[] = [],
): SubnetReturnPath[] {
  return subnetIds.map((subnetId) => {
    const { table, viaMain } = routeTableOf(subnetId, tables);
    return {
      subnetId,
      routeTableId: table?.routeTableId,
      viaMain,
      legs: table ? matchRoutes(table.routes, source, prefixLists) : [],
    };
  });
}

/** A route in the VPC that already carries `source` back by a return hop: the target to copy in a fix. */
export function knownReturnTarget(
  tables: readonly RouteTable[],
  source: string,
  prefixLists: readonly PrefixList[] = [],
): string | undefined {
  for (const table of tables) {
    const legs = matchRoutes(table.routes, source, prefixLists);
    const good = legs.find((leg) => RETURN_HOPS.has(leg.kind as HopKind));
    if (good?.route && legs.every((leg) => RETURN_HOPS.has(leg.kind as HopKind))) return good.route.target;
  }
  return undefined;
}
