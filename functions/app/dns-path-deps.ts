import type { AwsClientOptions } from '../adapters/aws/clients.ts';
import type { HostedZonesPort, ResolverPort } from '../core/ports.ts';
import { keptWhileWarm } from './cold-start.ts';
import { lazyPort } from './lazy-port.ts';

/**
 * Route 53 and Route 53 Resolver for the doctor's DNS path (the CLI and the troubleshoot function; the
 * scheduled probe goes without, sparing Route 53's 5-requests-per-second account limit). Their clients are
 * imported on the first DNS-path call: the probe function, which never makes one, never loads them.
 */
export function dnsPathDeps(aws: AwsClientOptions): { hostedZones: HostedZonesPort; resolver: ResolverPort } {
  const clients = keptWhileWarm(async () => (await import('./dns-path-clients.ts')).dnsPathClients(aws));
  return {
    hostedZones: lazyPort(async () => (await clients()).hostedZones, { listHostedZonesByVpc: true }),
    resolver: lazyPort(async () => (await clients()).resolver, {
      listResolverRules: true,
      listResolverRuleAssociations: true,
      listResolverEndpoints: true,
      listFirewallRuleGroupAssociations: true,
      listFirewallRules: true,
      listFirewallDomains: true,
    }),
  };
}
