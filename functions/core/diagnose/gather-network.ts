/**
 * The VPC's DNS path and routes, read for `dns.resolution`'s cause and `aws.return-route`. Every read starts
 * as soon as the VPC is known, in parallel with the rest of `gather`, and settles on its own: a check awaits
 * only the reads it uses, so a slow or failing one holds up nothing else. Each is read-only, and one that
 * fails, is denied or outlasts its budget leaves only its own part unknown (an `Observed` error), never the
 * whole doctor.
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

/** Each read of the path as its own promise, which never rejects: what a check awaits. */
export type NetworkPathReads = { [K in keyof NetworkPathObservation]: Promise<NetworkPathObservation[K]> };

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

/**
 * A read that threw instead of answering (an adapter's bug, a bad local setting) is only that part unknown:
 * nothing awaits some of these promises, so a rejection would otherwise go unhandled.
 */
function unreadable<T>(action: string, error: unknown): Observed<T> {
  const message = error instanceof Error ? error.message : String(error);
  return { ok: false, error: { action, message, timedOut: false, notFound: false } };
}

/** Starts every read once the VPC is known; each settles on its own. */
export function gatherNetworkPath(
  deps: NetworkPathDeps,
  observe: Observe,
  vpcIdPromise: Promise<string | undefined>,
  request: Pick<GatherRequest, 'region' | 'source'>,
): NetworkPathReads {
  // A rejected VPC id is a fatal error `gather` itself throws; here it only means "nothing to read".
  const vpcId = vpcIdPromise.catch(() => undefined);
  const read = <T>(action: string, start: ((vpc: string) => Promise<Observed<T>>) | undefined) =>
    vpcId
      .then((vpc) => (vpc && start ? start(vpc) : undefined))
      .catch((error: unknown) => unreadable<T>(action, error));
  const { hostedZones, resolver } = deps;
  const outside = request.source !== undefined && 'cidr' in request.source;
  return {
    dhcp: read('ec2:DescribeDhcpOptions', (vpc) =>
      observe('ec2:DescribeDhcpOptions', (o) => deps.ec2.describeDhcpOptions(vpc, o)),
    ),
    hostedZones: read(
      'route53:ListHostedZonesByVPC',
      hostedZones &&
        ((vpc) =>
          observe('route53:ListHostedZonesByVPC', (o) =>
            hostedZones.listHostedZonesByVpc(vpc, request.region, o),
          )),
    ),
    resolverRules: read(
      'route53resolver:ListResolverRules',
      resolver && ((vpc) => readResolverRules(resolver, observe, vpc)),
    ),
    firewall: read(
      'route53resolver:ListFirewallRuleGroupAssociations',
      resolver && ((vpc) => readFirewall(resolver, observe, vpc)),
    ),
    routeTables: read(
      'ec2:DescribeRouteTables',
      outside ? (vpc) => readRouteTables(deps.ec2, observe, vpc) : undefined,
    ),
    resolverEndpoints: read(
      'route53resolver:ListResolverEndpoints',
      outside && resolver
        ? (vpc) =>
            observe('route53resolver:ListResolverEndpoints', (o) => resolver.listResolverEndpoints(vpc, o))
        : undefined,
    ),
  };
}
