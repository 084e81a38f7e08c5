import { describe, expect, it } from 'vitest';
import {
  covers,
  type DnsPath,
  diagnoseDnsPath,
  firewallDomainMatches,
} from '../../../../functions/core/diagnose/dns-path.ts';
import type {
  FirewallView,
  Observed,
  ResolverRulesView,
} from '../../../../functions/core/diagnose/observation.ts';
import type { FirewallRule, PrivateHostedZone, ResolverRule } from '../../../../functions/core/model.ts';

const HOST = 'privatelink-19341789.ubkypd000000.clusters.tidb-cloud.com';
const VPC = 'vpc-0aaa';

const ok = <T>(value: T): Observed<T> => ({ ok: true, value });
const denied = <T>(action: string): Observed<T> => ({
  ok: false,
  error: {
    action,
    message: `AccessDenied: not authorized to perform ${action}`,
    timedOut: false,
    notFound: false,
  },
});

const noFirewall: FirewallView = { associations: [], rules: [], domains: {}, unreadLists: [] };

/** A VPC whose DNS path is in order: the endpoint's private DNS is on and nothing else claims the name. */
function healthy(overrides: Partial<DnsPath> = {}): DnsPath {
  return {
    vpcId: VPC,
    vpcDns: ok({ enableDnsSupport: true, enableDnsHostnames: true }),
    endpoint: { vpcEndpointId: 'vpce-0e1', privateDnsEnabled: true },
    dhcp: ok({ dhcpOptionsId: 'dopt-0amazon', domainNameServers: ['AmazonProvidedDNS'] }),
    firewall: ok(noFirewall),
    resolverRules: ok({ rules: [INTERNET_RESOLVER], associations: [] }),
    hostedZones: ok([ENDPOINT_ZONE]),
    ...overrides,
  };
}

const INTERNET_RESOLVER: ResolverRule = {
  resolverRuleId: 'rslvr-autodefined-rr-internet-resolver',
  name: 'Internet Resolver',
  domainName: '.',
  ruleType: 'RECURSIVE',
  targetIps: [],
};
const ENDPOINT_ZONE: PrivateHostedZone = {
  hostedZoneId: 'Z0AWS',
  name: `${HOST}.`,
  owningService: 'vpce.amazonaws.com',
};

const rule = (id: string, domainName: string, ruleType: string): ResolverRule => ({
  resolverRuleId: id,
  domainName,
  ruleType,
  targetIps: ruleType === 'FORWARD' ? ['10.9.0.2:53'] : [],
});
const associate = (...rules: ResolverRule[]): Observed<ResolverRulesView> =>
  ok({
    rules: [INTERNET_RESOLVER, ...rules],
    associations: rules.map((r, i) => ({
      resolverRuleAssociationId: `rslvr-rrassoc-${i}`,
      resolverRuleId: r.resolverRuleId,
      vpcId: VPC,
    })),
  });

const fwRule = (priority: number, action: string, list: string): FirewallRule => ({
  firewallRuleGroupId: 'rslvr-frg-1',
  firewallDomainListId: list,
  name: `${action.toLowerCase()}-${priority}`,
  priority,
  action,
});
const firewall = (rules: FirewallRule[], domains: Record<string, string[]>, unreadLists: string[] = []) =>
  ok<FirewallView>({
    associations: [
      { associationId: 'rslvr-frgassoc-1', firewallRuleGroupId: 'rslvr-frg-1', vpcId: VPC, priority: 101 },
    ],
    rules,
    domains,
    unreadLists,
  });

describe('diagnoseDnsPath', () => {
  const cases: { name: string; path: DnsPath; cause: string; resource?: unknown }[] = [
    { name: 'a healthy path has no cause', path: healthy(), cause: 'unknown' },
    {
      name: 'DNS hostnames off',
      path: healthy({ vpcDns: ok({ enableDnsSupport: true, enableDnsHostnames: false }) }),
      cause: 'vpc-dns-attributes-off',
      resource: { vpcId: VPC, missing: { support: false, hostnames: true } },
    },
    {
      name: 'a DHCP options set with only custom servers',
      path: healthy({ dhcp: ok({ dhcpOptionsId: 'dopt-0c', domainNameServers: ['10.9.0.2', '10.9.0.3'] }) }),
      cause: 'custom-dhcp-dns',
      resource: { dhcpOptionsId: 'dopt-0c', servers: ['10.9.0.2', '10.9.0.3'] },
    },
    {
      name: 'a DHCP options set without domain-name-servers is not claimed as the cause (undocumented)',
      path: healthy({ dhcp: ok({ dhcpOptionsId: 'dopt-0e', domainNameServers: [] }) }),
      cause: 'unknown',
    },
    {
      name: 'custom servers next to AmazonProvidedDNS are not the cause',
      path: healthy({
        dhcp: ok({ dhcpOptionsId: 'dopt-0m', domainNameServers: ['10.9.0.2', 'AmazonProvidedDNS'] }),
      }),
      cause: 'unknown',
    },
    {
      name: "the resolver's link-local address is AmazonProvidedDNS by another name",
      path: healthy({ dhcp: ok({ dhcpOptionsId: 'dopt-0l', domainNameServers: ['169.254.169.253'] }) }),
      cause: 'unknown',
    },
    {
      name: 'a VPC without a DHCP options set uses AmazonProvidedDNS',
      path: healthy({ dhcp: ok(undefined) }),
      cause: 'unknown',
    },
    {
      name: 'a FORWARD rule for a parent domain',
      path: healthy({ resolverRules: associate(rule('rslvr-rr-fwd', 'tidb-cloud.com.', 'FORWARD')) }),
      cause: 'resolver-forwarding-rule',
      resource: { rule: { resolverRuleId: 'rslvr-rr-fwd' }, associationId: 'rslvr-rrassoc-0' },
    },
    {
      name: 'a forward-everything rule replaces the Internet Resolver',
      path: healthy({ resolverRules: associate(rule('rslvr-rr-all', '.', 'FORWARD')) }),
      cause: 'resolver-forwarding-rule',
    },
    {
      name: 'a more specific SYSTEM rule keeps the name in the VPC',
      path: healthy({
        resolverRules: associate(
          rule('rslvr-rr-all', '.', 'FORWARD'),
          rule('rslvr-rr-sys', 'clusters.tidb-cloud.com', 'SYSTEM'),
        ),
      }),
      cause: 'unknown',
    },
    {
      name: 'a FORWARD rule for another domain does not cover the host',
      path: healthy({ resolverRules: associate(rule('rslvr-rr-corp', 'corp.example.com', 'FORWARD')) }),
      cause: 'unknown',
    },
    {
      name: 'a FORWARD rule associated with another VPC does not apply',
      path: healthy({
        resolverRules: ok({
          rules: [rule('rslvr-rr-fwd', 'tidb-cloud.com', 'FORWARD')],
          associations: [
            { resolverRuleAssociationId: 'a', resolverRuleId: 'rslvr-rr-fwd', vpcId: 'vpc-0other' },
          ],
        }),
      }),
      cause: 'unknown',
    },
    {
      name: 'a FORWARD rule whose association failed or is being deleted does not apply',
      path: healthy({
        resolverRules: ok({
          rules: [
            rule('rslvr-rr-fwd', 'tidb-cloud.com', 'FORWARD'),
            rule('rslvr-rr-fwd2', 'clusters.tidb-cloud.com', 'FORWARD'),
          ],
          associations: [
            { resolverRuleAssociationId: 'a', resolverRuleId: 'rslvr-rr-fwd', vpcId: VPC, status: 'FAILED' },
            {
              resolverRuleAssociationId: 'b',
              resolverRuleId: 'rslvr-rr-fwd2',
              vpcId: VPC,
              status: 'DELETING',
            },
          ],
        }),
      }),
      cause: 'unknown',
    },
    {
      name: "the built-in Internet Resolver alone is not forwarding (nor are AWS's rules unassociated)",
      path: healthy({ resolverRules: ok({ rules: [INTERNET_RESOLVER], associations: [] }) }),
      cause: 'unknown',
    },
    {
      name: 'a customer zone for a parent domain, private DNS off',
      path: healthy({
        endpoint: { vpcEndpointId: 'vpce-0e1', privateDnsEnabled: false },
        hostedZones: ok([{ hostedZoneId: 'Z0CUST', name: 'tidb-cloud.com.', owningAccount: '123456789012' }]),
      }),
      cause: 'shadowing-private-hosted-zone',
      resource: { zone: { hostedZoneId: 'Z0CUST' } },
    },
    {
      name: 'a customer zone for the name itself beats the endpoint zone',
      path: healthy({
        hostedZones: ok([
          ENDPOINT_ZONE,
          { hostedZoneId: 'Z0SAME', name: HOST, owningAccount: '123456789012' },
        ]),
      }),
      cause: 'shadowing-private-hosted-zone',
      resource: { zone: { hostedZoneId: 'Z0SAME' } },
    },
    {
      name: "the endpoint's more specific zone wins over a customer's parent zone",
      path: healthy({
        hostedZones: ok([
          ENDPOINT_ZONE,
          { hostedZoneId: 'Z0PARENT', name: 'tidb-cloud.com.', owningAccount: '1' },
        ]),
      }),
      cause: 'unknown',
    },
    {
      name: 'zones owned by AWS for an endpoint are not shadowing',
      path: healthy({
        endpoint: { vpcEndpointId: 'vpce-0e1', privateDnsEnabled: false },
        hostedZones: ok([
          { hostedZoneId: 'Z0OTHER', name: 'tidb-cloud.com', owningService: 'vpce.amazonaws.com' },
        ]),
      }),
      cause: 'private-dns-disabled',
    },
    {
      name: 'a customer zone for an unrelated domain is not shadowing',
      path: healthy({
        endpoint: { vpcEndpointId: 'vpce-0e1', privateDnsEnabled: false },
        hostedZones: ok([{ hostedZoneId: 'Z0X', name: 'cloud.com', owningAccount: '1' }]),
      }),
      cause: 'private-dns-disabled',
      resource: { vpcEndpointId: 'vpce-0e1' },
    },
    {
      name: 'a BLOCK rule whose list matches the host',
      path: healthy({
        firewall: firewall([fwRule(200, 'BLOCK', 'fdl-1')], { 'fdl-1': ['*.tidb-cloud.com.'] }),
      }),
      cause: 'dns-firewall-block',
      resource: { rule: { name: 'block-200' }, matched: '*.tidb-cloud.com.', allowPriority: 199 },
    },
    {
      name: 'an earlier ALLOW rule wins over a BLOCK rule',
      path: healthy({
        firewall: firewall([fwRule(300, 'BLOCK', 'fdl-all'), fwRule(100, 'ALLOW', 'fdl-tidb')], {
          'fdl-all': ['*'],
          'fdl-tidb': ['*.clusters.tidb-cloud.com'],
        }),
      }),
      cause: 'unknown',
    },
    {
      name: 'an ALERT rule lets the query on to a later BLOCK',
      path: healthy({
        firewall: firewall([fwRule(100, 'ALERT', 'fdl-all'), fwRule(110, 'BLOCK', 'fdl-all')], {
          'fdl-all': ['*'],
        }),
      }),
      cause: 'dns-firewall-block',
      resource: { rule: { name: 'block-110' }, allowPriority: 109 },
    },
    {
      name: '`*.domain` does not block the domain itself',
      path: healthy({
        firewall: firewall([fwRule(100, 'BLOCK', 'fdl-1')], { 'fdl-1': [`*.${HOST}`] }),
      }),
      cause: 'unknown',
    },
    {
      name: 'the first cause on the path wins: DHCP before a forwarding rule',
      path: healthy({
        dhcp: ok({ dhcpOptionsId: 'dopt-0c', domainNameServers: ['10.9.0.2'] }),
        resolverRules: associate(rule('rslvr-rr-fwd', 'tidb-cloud.com', 'FORWARD')),
      }),
      cause: 'custom-dhcp-dns',
    },
    {
      name: 'a forwarding rule comes before a shadowing zone',
      path: healthy({
        resolverRules: associate(rule('rslvr-rr-fwd', 'tidb-cloud.com', 'FORWARD')),
        hostedZones: ok([{ hostedZoneId: 'Z0CUST', name: HOST, owningAccount: '1' }]),
      }),
      cause: 'resolver-forwarding-rule',
    },
    {
      name: 'an unreadable step is passed over when a later one explains the failure',
      path: healthy({
        dhcp: denied('ec2:DescribeDhcpOptions'),
        hostedZones: ok([{ hostedZoneId: 'Z0CUST', name: HOST, owningAccount: '1' }]),
      }),
      cause: 'shadowing-private-hosted-zone',
    },
    {
      name: 'a denied read with nothing else found is unknown',
      path: healthy({ resolverRules: denied('route53resolver:ListResolverRules') }),
      cause: 'unknown',
    },
  ];

  it.each(cases)('$name → $cause', ({ path, cause, resource }) => {
    const { finding } = diagnoseDnsPath(path, HOST);
    expect(finding.cause).toBe(cause);
    if (resource) expect(finding).toMatchObject(resource as object);
  });

  it('lists the steps it could not read, with the reason', () => {
    const { unread } = diagnoseDnsPath(
      healthy({
        resolverRules: denied('route53resolver:ListResolverRules'),
        hostedZones: undefined,
        firewall: firewall([], {}, ['rslvr-fdl-managed: AccessDenied']),
      }),
      HOST,
    );
    expect(unread).toEqual([
      'DNS Firewall domain list rslvr-fdl-managed: AccessDenied',
      'Resolver rules: AccessDenied: not authorized to perform route53resolver:ListResolverRules',
      'private hosted zones: not read',
    ]);
  });
});

describe('domain matching', () => {
  it.each([
    ['tidb-cloud.com.', HOST, true],
    ['TIDB-cloud.com', HOST, true],
    ['.', HOST, true],
    ['cloud.com', HOST, false],
    ['d-cloud.com', HOST, false],
    [HOST, HOST, true],
    [`x.${HOST}`, HOST, false],
  ])('zone or rule %s covers %s: %s', (domain, host, expected) => {
    expect(covers(domain, host)).toBe(expected);
  });

  it.each([
    ['*', 'a.b', true],
    ['*.b.', 'a.b', true],
    ['*.b', 'b', false],
    ['a.b', 'a.b', true],
    ['a.b', 'x.a.b', false],
  ])('firewall pattern %s matches %s: %s', (pattern, host, expected) => {
    expect(firewallDomainMatches(pattern, host)).toBe(expected);
  });
});
