/**
 * Adds the DNS path's cause to a failing `dns.resolution` outcome: `evidence.cause` (docs/contracts.md "Why DNS
 * fails"), the resource ids behind it, the steps that could not be read, and the fix for that cause.
 */
import {
  dnsCustomDhcp,
  dnsFirewallAllow,
  dnsForwardingRule,
  dnsShadowingZone,
  enablePrivateDns,
  enableVpcDns,
} from '../remediation.ts';
import type { DiagnoseContext } from './context.ts';
import { type DnsFinding, type DnsPath, diagnoseDnsPath } from './dns-path.ts';
import type { CheckOutcome } from './runner.ts';

/** The DNS path's reads, and only those: the route reads of `aws.return-route` are no part of it. */
export async function readDnsPath({
  observation,
  target,
}: Pick<DiagnoseContext, 'observation' | 'target'>): Promise<DnsPath> {
  const { networkPath } = observation;
  const [vpcDns, dhcp, firewall, resolverRules, hostedZones] = await Promise.all([
    observation.vpcDns,
    networkPath.dhcp,
    networkPath.firewall,
    networkPath.resolverRules,
    networkPath.hostedZones,
  ]);
  return {
    vpcId: observation.vpcId,
    vpcDns,
    endpoint: target.endpoint,
    dhcp,
    firewall,
    resolverRules,
    hostedZones,
  };
}

/** The ids a person looks up, and one sentence saying what was found. */
function describe(finding: DnsFinding): { resources: Record<string, unknown>; detail: string } {
  switch (finding.cause) {
    case 'vpc-dns-attributes-off': {
      const off = [
        finding.missing.support && 'enableDnsSupport',
        finding.missing.hostnames && 'enableDnsHostnames',
      ].filter(Boolean);
      return {
        resources: { vpcId: finding.vpcId, off },
        detail: `${finding.vpcId} has ${off.join(' and ')} off`,
      };
    }
    case 'custom-dhcp-dns':
      return {
        resources: {
          vpcId: finding.vpcId,
          dhcpOptionsId: finding.dhcpOptionsId,
          domainNameServers: finding.servers,
        },
        detail: `the DHCP options set ${finding.dhcpOptionsId} hands out ${finding.servers.join(', ')}, not AmazonProvidedDNS`,
      };
    case 'dns-firewall-block':
      return {
        resources: {
          firewallRuleGroupId: finding.rule.firewallRuleGroupId,
          firewallRuleGroupAssociationId: finding.association.associationId,
          firewallDomainListId: finding.rule.firewallDomainListId,
          firewallRule: finding.rule.name,
        },
        detail: `DNS Firewall rule "${finding.rule.name}" in ${finding.rule.firewallRuleGroupId} blocks it (${finding.matched})`,
      };
    case 'resolver-forwarding-rule':
      return {
        resources: {
          resolverRuleId: finding.rule.resolverRuleId,
          resolverRuleAssociationId: finding.associationId,
          domainName: finding.rule.domainName,
          targetIps: finding.rule.targetIps,
        },
        detail: `Resolver rule ${finding.rule.resolverRuleId} forwards ${finding.rule.domainName} out of the VPC`,
      };
    case 'shadowing-private-hosted-zone':
      return {
        resources: { hostedZoneId: finding.zone.hostedZoneId, hostedZoneName: finding.zone.name },
        detail: `the private hosted zone ${finding.zone.hostedZoneId} (${finding.zone.name}) claims the name`,
      };
    case 'private-dns-disabled':
      return {
        resources: { vpcEndpointId: finding.vpcEndpointId },
        detail: `${finding.vpcEndpointId} has private DNS off`,
      };
    case 'unknown':
      return { resources: {}, detail: 'nothing on the VPC DNS path explains it' };
  }
}

/**
 * The fix for the cause found on the VPC's DNS path; `undefined` when it is unknown. The wording is in
 * remediation.ts with every other fix; this only picks the one that fits.
 */
function fixOf(
  finding: DnsFinding,
  ids: {
    host: string;
    region: string;
    vpcId: string | undefined;
    vpceId: string | undefined;
    privateDnsOff: boolean;
  },
): string | undefined {
  const vpcId = ids.vpcId ?? '<vpc-id>';
  switch (finding.cause) {
    case 'vpc-dns-attributes-off':
      return enableVpcDns(finding.vpcId, finding.missing);
    case 'custom-dhcp-dns':
      return dnsCustomDhcp(finding.vpcId, finding.dhcpOptionsId, ids.host);
    case 'dns-firewall-block':
      return dnsFirewallAllow(finding, ids.host);
    case 'resolver-forwarding-rule':
      return dnsForwardingRule(finding.rule, vpcId, ids.host);
    case 'shadowing-private-hosted-zone':
      return dnsShadowingZone(finding.zone, { ...ids, vpcId });
    case 'private-dns-disabled':
      return enablePrivateDns(finding.vpcEndpointId, undefined);
    case 'unknown':
      return undefined;
  }
}

/** The failing outcome with the cause in its evidence and summary, and that cause's fix when it is known. */
export async function withDnsCause(
  context: Pick<DiagnoseContext, 'observation' | 'target'>,
  host: string,
  outcome: CheckOutcome & { status: 'fail'; remediation: string },
): Promise<CheckOutcome> {
  const { finding, unread } = diagnoseDnsPath(await readDnsPath(context), host);
  const { resources, detail } = describe(finding);
  const fix = fixOf(finding, {
    host,
    region: context.observation.region,
    vpcId: context.observation.vpcId,
    vpceId: context.target.endpoint?.vpcEndpointId,
    privateDnsOff: context.target.endpoint?.privateDnsEnabled === false,
  });
  return {
    ...outcome,
    summary: finding.cause === 'unknown' ? outcome.summary : `${outcome.summary} Cause: ${detail}.`,
    evidence: {
      ...outcome.evidence,
      cause: finding.cause,
      causeDetail: detail,
      ...(Object.keys(resources).length > 0 ? { causeResources: resources } : {}),
      ...(unread.length > 0 ? { causeUnread: unread } : {}),
    },
    remediation: fix ?? outcome.remediation,
  };
}
