/**
 * The VPC's DNS path and routes, read for `dns.resolution`'s cause and `aws.return-route`. Every read starts
 * as soon as the VPC is known, in parallel with the rest of `gather`; each is read-only, and one that fails or
 * is denied leaves only its own part unknown (an `Observed` error), never the whole doctor.
 */
import type {
  DhcpOptions,
  FirewallRule,
  PrefixList,
  PrivateHostedZone,
  ResolverEndpoint,
  RouteTable,
} from '../model.ts';
import type { HostedZonesPort, NetworkReadsPort, ResolverPort } from '../ports.ts';
import {
  type FirewallView,
  type GatherRequest,
  type Observe,
  type Observed,
  ok,
  type ResolverRulesView,
} from './observation.ts';

export interface NetworkPathDeps {
  /** DHCP options, route tables and the prefix lists they name: reads only. */
  ec2: NetworkReadsPort;
  /** Route 53; without it the hosted zones are not read (their part of the cause is unknown). */
  hostedZones?: HostedZonesPort;
  /** Route 53 Resolver and DNS Firewall; without it those parts are not read. */
  resolver?: ResolverPort;
}

/** `undefined` members were not read: the VPC is unknown, the port is absent, or the source needs none. */
export interface NetworkPathObservation {
  dhcp: Observed<DhcpOptions | undefined> | undefined;
  hostedZones: Observed<PrivateHostedZone[]> | undefined;
  resolverRules: Observed<ResolverRulesView> | undefined;
  firewall: Observed<FirewallView> | undefined;
  /** Only for a `--source-cidr` source, which may sit outside the VPC. */
  routeTables: Observed<RouteTablesView> | undefined;
  /** Inbound Resolver endpoints: only for a `--source-cidr` source. */
  resolverEndpoints: Observed<ResolverEndpoint[]> | undefined;
}

export interface RouteTablesView {
  tables: RouteTable[];
  /** The prefix lists that route destinations name, with their CIDRs. */
  prefixLists: PrefixList[];
}

async function readRouteTables(
  ec2: Pick<NetworkReadsPort, 'describeRouteTables' | 'describePrefixLists'>,
  observe: Observe,
  vpcId: string,
): Promise<Observed<RouteTablesView>> {
  const tables = await observe('ec2:DescribeRouteTables', (o) => ec2.describeRouteTables(vpcId, o));
  if (!tables.ok) return tables;
  const ids = [
    ...new Set(
      tables.value.flatMap((table) => table.routes.flatMap((route) => route.destinationPrefixListId ?? [])),
    ),
  ];
  if (ids.length === 0) return ok({ tables: tables.value, prefixLists: [] });
  const lists = await observe('ec2:GetManagedPrefixListEntries', (o) => ec2.describePrefixLists(ids, o));
  return lists.ok ? ok({ tables: tables.value, prefixLists: lists.value }) : lists;
}

/** Both reads, or the first failure. */
async function both<A, B>(a: Promise<Observed<A>>, b: Promise<Observed<B>>): Promise<Observed<[A, B]>> {
  const [left, right] = await Promise.all([a, b]);
  if (!left.ok) return left;
  if (!right.ok) return right;
  return ok([left.value, right.value]);
}

function readResolverRules(resolver: ResolverPort, observe: Observe, vpcId: string) {
  return both(
    observe('route53resolver:ListResolverRules', (o) => resolver.listResolverRules(o)),
    observe('route53resolver:ListResolverRuleAssociations', (o) =>
      resolver.listResolverRuleAssociations(vpcId, o),
    ),
  ).then(
    (read): Observed<ResolverRulesView> =>
      read.ok ? ok({ rules: read.value[0], associations: read.value[1] }) : read,
  );
}

/**
 * Rule groups associated with the VPC, their rules, and the domains of every list those rules use. A list that
 * cannot be read (AWS-managed threat lists cannot be listed) is named in `unreadLists` instead of failing all.
 */
async function readFirewall(resolver: ResolverPort, observe: Observe, vpcId: string) {
  const associations = await observe('route53resolver:ListFirewallRuleGroupAssociations', (o) =>
    resolver.listFirewallRuleGroupAssociations(vpcId, o),
  );
  if (!associations.ok) return associations;
  const groupIds = [...new Set(associations.value.map((association) => association.firewallRuleGroupId))];
  const ruleReads = await Promise.all(
    groupIds.map((groupId) =>
      observe('route53resolver:ListFirewallRules', (o) => resolver.listFirewallRules(groupId, o)),
    ),
  );
  const rules: FirewallRule[] = [];
  for (const read of ruleReads) {
    if (!read.ok) return read;
    rules.push(...read.value);
  }
  // Rules without a domain list (DNS Firewall Advanced threat protection) match no name we can check.
  const listIds = [...new Set(rules.flatMap((rule) => rule.firewallDomainListId || []))];
  const domainReads = await Promise.all(
    listIds.map((listId) =>
      observe('route53resolver:ListFirewallDomains', (o) => resolver.listFirewallDomains(listId, o)),
    ),
  );
  const domains: Record<string, string[]> = {};
  const unreadLists: string[] = [];
  domainReads.forEach((read, index) => {
    const listId = listIds[index] ?? '';
    if (read.ok) domains[listId] = read.value;
    else unreadLists.push(`${listId}: ${read.error.message}`);
  });
  return ok<FirewallView>({ associations: associations.value, rules, domains, unreadLists });
}

/** Starts every read once the VPC is known; resolves when all have settled. */
export async function gatherNetworkPath(
  deps: NetworkPathDeps,
  observe: Observe,
  vpcIdPromise: Promise<string | undefined>,
  request: Pick<GatherRequest, 'region' | 'source'>,
): Promise<NetworkPathObservation> {
  // A rejected VPC id is a fatal error `gather` itself throws; here it only means "nothing to read".
  const vpcId = await vpcIdPromise.catch(() => undefined);
  if (!vpcId) {
    return {
      dhcp: undefined,
      hostedZones: undefined,
      resolverRules: undefined,
      firewall: undefined,
      routeTables: undefined,
      resolverEndpoints: undefined,
    };
  }
  const { hostedZones, resolver } = deps;
  const outside = request.source !== undefined && 'cidr' in request.source;
  const [dhcp, zones, rules, firewall, routeTables, resolverEndpoints] = await Promise.all([
    observe('ec2:DescribeDhcpOptions', (o) => deps.ec2.describeDhcpOptions(vpcId, o)),
    hostedZones
      ? observe('route53:ListHostedZonesByVPC', (o) =>
          hostedZones.listHostedZonesByVpc(vpcId, request.region, o),
        )
      : undefined,
    resolver ? readResolverRules(resolver, observe, vpcId) : undefined,
    resolver ? readFirewall(resolver, observe, vpcId) : undefined,
    outside ? readRouteTables(deps.ec2, observe, vpcId) : undefined,
    outside && resolver
      ? observe('route53resolver:ListResolverEndpoints', (o) => resolver.listResolverEndpoints(vpcId, o))
      : undefined,
  ]);
  return { dhcp, hostedZones: zones, resolverRules: rules, firewall, routeTables, resolverEndpoints };
}
