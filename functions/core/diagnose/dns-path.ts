/**
 * Why a private name does not resolve to the endpoint (docs/contracts.md "Why DNS fails"): a pure function from what
 * the doctor read of the VPC's DNS path to the first thing on that path that sends the query elsewhere.
 *
 * The order follows a query from a client in the VPC: the VPC must run its resolver at all (DNS attributes),
 * clients must ask it (DHCP options), DNS Firewall sees the query before anything answers it, then the most
 * specific Resolver rule decides between forwarding and answering in the VPC, where the most specific private
 * hosted zone answers, which is the endpoint's own zone only when its private DNS is on.
 */
import type {
  DhcpOptions,
  FirewallRule,
  FirewallRuleGroupAssociation,
  PrivateHostedZone,
  ResolverRule,
  VpcDnsAttributes,
} from '../model.ts';
import { sameIp } from '../network/cidr.ts';
import type { FirewallView, Observed, ResolverRulesView } from './observation.ts';

export const DNS_CAUSES = [
  'vpc-dns-attributes-off',
  'custom-dhcp-dns',
  'dns-firewall-block',
  'resolver-forwarding-rule',
  'shadowing-private-hosted-zone',
  'private-dns-disabled',
  'unknown',
] as const;

export type DnsCause = (typeof DNS_CAUSES)[number];

/** What the doctor read of the VPC's DNS path. `undefined`: not read; a failed read carries its error. */
export interface DnsPath {
  vpcId: string | undefined;
  vpcDns: Observed<VpcDnsAttributes> | undefined;
  endpoint: { vpcEndpointId: string; privateDnsEnabled: boolean } | undefined;
  dhcp: Observed<DhcpOptions | undefined> | undefined;
  firewall: Observed<FirewallView> | undefined;
  resolverRules: Observed<ResolverRulesView> | undefined;
  hostedZones: Observed<PrivateHostedZone[]> | undefined;
}

export type DnsFinding =
  | { cause: 'vpc-dns-attributes-off'; vpcId: string; missing: { support: boolean; hostnames: boolean } }
  | { cause: 'custom-dhcp-dns'; vpcId: string; dhcpOptionsId: string; servers: string[] }
  | {
      cause: 'dns-firewall-block';
      association: FirewallRuleGroupAssociation;
      rule: FirewallRule;
      matched: string;
      /** A priority free in the rule's group and lower than the blocking rule's, for an ALLOW rule. */
      allowPriority: number | undefined;
    }
  | { cause: 'resolver-forwarding-rule'; rule: ResolverRule; associationId: string }
  | { cause: 'shadowing-private-hosted-zone'; zone: PrivateHostedZone }
  | { cause: 'private-dns-disabled'; vpcEndpointId: string }
  | { cause: 'unknown' };

export interface DnsDiagnosis {
  finding: DnsFinding;
  /** Steps of the path that could not be read, so they may hide the cause: `what: error`. */
  unread: string[];
}

/** Addresses that are the VPC's own resolver, whatever a DHCP options set calls them. */
const AMAZON_RESOLVER_ADDRESSES = ['169.254.169.253', 'fd00:ec2::253'];
const AMAZON_PROVIDED_DNS = 'amazonprovideddns';
/** Associations that no longer (or never did) apply to the VPC's queries. */
const INACTIVE_ASSOCIATION = new Set(['DELETING', 'FAILED']);
/** AWS's own Resolver rules (the `.` Internet Resolver, reverse lookups) apply to every VPC unassociated. */
const AUTODEFINED_RULE = /^rslvr-autodefined-/;

/** `Example.COM.` → `example.com`; the root is `''`. */
export function normalizeDomain(name: string): string {
  return name.trim().toLowerCase().replace(/\.+$/, '');
}

/** Does `domain` (a zone or rule domain) cover `host`: the host itself or one of its parents. */
export function covers(domain: string, host: string): boolean {
  const d = normalizeDomain(domain);
  const h = normalizeDomain(host);
  return d === '' || h === d || h.endsWith(`.${d}`);
}

/** DNS Firewall's domain syntax: `*` is every name, `*.example.com` its subdomains, else the exact name. */
export function firewallDomainMatches(pattern: string, host: string): boolean {
  const p = normalizeDomain(pattern);
  const h = normalizeDomain(host);
  if (p === '*') return true;
  if (p.startsWith('*.')) return h.endsWith(p.slice(1));
  return h === p;
}

/** How specific a domain is: its label count (the root `.` has none). */
function labels(domain: string): number {
  const name = normalizeDomain(domain);
  return name === '' ? 0 : name.split('.').length;
}

function describeError<T>(observed: Observed<T> | undefined, what: string): string | undefined {
  if (!observed) return `${what}: not read`;
  return observed.ok ? undefined : `${what}: ${observed.error.message}`;
}

function dhcpFinding(path: DnsPath, dhcp: DhcpOptions | undefined): DnsFinding | undefined {
  const servers = dhcp?.domainNameServers ?? [];
  // A set without `domain-name-servers` is not documented either way: not a cause we can claim.
  if (!dhcp || !path.vpcId || servers.length === 0) return undefined;
  const amazon = servers.some(
    (server) =>
      server.toLowerCase() === AMAZON_PROVIDED_DNS ||
      AMAZON_RESOLVER_ADDRESSES.some((address) => sameIp(address, server)),
  );
  return amazon
    ? undefined
    : { cause: 'custom-dhcp-dns', vpcId: path.vpcId, dhcpOptionsId: dhcp.dhcpOptionsId, servers };
}

/** The first rule, in evaluation order, whose domains match: ALLOW ends the walk, ALERT does not. */
function firewallFinding(view: FirewallView, host: string): DnsFinding | undefined {
  const associations = [...view.associations].sort((a, b) => a.priority - b.priority);
  for (const association of associations) {
    const rules = view.rules
      .filter((rule) => rule.firewallRuleGroupId === association.firewallRuleGroupId)
      .sort((a, b) => a.priority - b.priority);
    for (const rule of rules) {
      const matched = (view.domains[rule.firewallDomainListId] ?? []).find((pattern) =>
        firewallDomainMatches(pattern, host),
      );
      if (matched === undefined) continue;
      const action = rule.action.toUpperCase();
      if (action === 'ALLOW') return undefined;
      if (action !== 'BLOCK') continue;
      const used = new Set(rules.map((candidate) => candidate.priority));
      let allowPriority: number | undefined;
      for (let p = rule.priority - 1; p >= 1 && allowPriority === undefined; p -= 1)
        if (!used.has(p)) allowPriority = p;
      return { cause: 'dns-firewall-block', association, rule, matched, allowPriority };
    }
  }
  return undefined;
}

/**
 * The most specific rule covering the host decides; a FORWARD rule sends the query out of the VPC. Rules the
 * user associated win a tie with AWS's built-in ones (a forward-everything `.` rule replaces the Internet
 * Resolver), and a FORWARD rule wins a tie among the user's own (it is what would explain the failure).
 */
function forwardingFinding(path: DnsPath, view: ResolverRulesView, host: string): DnsFinding | undefined {
  const associated = view.associations
    .filter(
      (association) =>
        association.vpcId === path.vpcId &&
        !INACTIVE_ASSOCIATION.has(association.status?.toUpperCase() ?? ''),
    )
    .flatMap((association) => {
      const rule = view.rules.find((candidate) => candidate.resolverRuleId === association.resolverRuleId);
      return rule ? [{ rule, associationId: association.resolverRuleAssociationId, builtIn: false }] : [];
    });
  const builtIn = view.rules
    .filter((rule) => AUTODEFINED_RULE.test(rule.resolverRuleId))
    .map((rule) => ({ rule, associationId: '', builtIn: true }));
  const rank = (candidate: (typeof associated)[number]) =>
    labels(candidate.rule.domainName) * 4 +
    (candidate.builtIn ? 0 : 2) +
    (candidate.rule.ruleType.toUpperCase() === 'FORWARD' ? 1 : 0);
  const best = [...associated, ...builtIn]
    .filter((candidate) => covers(candidate.rule.domainName, host))
    .sort((a, b) => rank(b) - rank(a))[0];
  if (!best || best.builtIn || best.rule.ruleType.toUpperCase() !== 'FORWARD') return undefined;
  return { cause: 'resolver-forwarding-rule', rule: best.rule, associationId: best.associationId };
}

/** The most specific zone covering the host answers; a customer's zone wins a tie (EC2 calls it a conflict). */
function shadowingFinding(zones: PrivateHostedZone[], host: string): DnsFinding | undefined {
  const rank = (zone: PrivateHostedZone) => labels(zone.name) * 2 + (zone.owningService ? 0 : 1);
  const best = zones.filter((zone) => covers(zone.name, host)).sort((a, b) => rank(b) - rank(a))[0];
  return best && !best.owningService ? { cause: 'shadowing-private-hosted-zone', zone: best } : undefined;
}

/**
 * The first cause on the VPC's DNS path that explains why `host` does not resolve to the endpoint. A step
 * that could not be read is listed in `unread` and passed over, so a cause found further on is still named;
 * with none found the cause is `unknown`.
 */
export function diagnoseDnsPath(path: DnsPath, host: string): DnsDiagnosis {
  const unread: string[] = [];
  const step = <T>(
    observed: Observed<T> | undefined,
    what: string,
    find: (value: T) => DnsFinding | undefined,
  ): DnsFinding | undefined => {
    const problem = describeError(observed, what);
    if (problem) unread.push(problem);
    return observed?.ok ? find(observed.value) : undefined;
  };
  const steps: (() => DnsFinding | undefined)[] = [
    () =>
      step(path.vpcDns, 'VPC DNS attributes', (dns) =>
        path.vpcId && !(dns.enableDnsSupport && dns.enableDnsHostnames)
          ? {
              cause: 'vpc-dns-attributes-off',
              vpcId: path.vpcId,
              missing: { support: !dns.enableDnsSupport, hostnames: !dns.enableDnsHostnames },
            }
          : undefined,
      ),
    () => step(path.dhcp, 'DHCP options', (dhcp) => dhcpFinding(path, dhcp)),
    () =>
      step(path.firewall, 'DNS Firewall rules', (view) => {
        unread.push(...view.unreadLists.map((list) => `DNS Firewall domain list ${list}`));
        return firewallFinding(view, host);
      }),
    () => step(path.resolverRules, 'Resolver rules', (view) => forwardingFinding(path, view, host)),
    () => step(path.hostedZones, 'private hosted zones', (zones) => shadowingFinding(zones, host)),
    () =>
      path.endpoint && !path.endpoint.privateDnsEnabled
        ? { cause: 'private-dns-disabled', vpcEndpointId: path.endpoint.vpcEndpointId }
        : undefined,
  ];
  for (const next of steps) {
    const finding = next();
    if (finding) return { finding, unread };
  }
  return { finding: { cause: 'unknown' }, unread };
}
