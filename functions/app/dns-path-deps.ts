import { type AwsClientOptions, createRoute53Client } from '../adapters/aws/clients.ts';
import { Route53Adapter } from '../adapters/aws/route53.ts';
import { Route53ResolverAdapter } from '../adapters/aws/route53-resolver.ts';
import type { HostedZonesPort, ResolverPort } from '../core/ports.ts';

/**
 * Route 53 and Route 53 Resolver for the doctor's DNS path (the CLI and the troubleshoot function; the
 * scheduled probe goes without, sparing Route 53's 5-requests-per-second account limit).
 */
export function dnsPathDeps(aws: AwsClientOptions): { hostedZones: HostedZonesPort; resolver: ResolverPort } {
  const route53 = createRoute53Client(aws);
  return {
    hostedZones: new Route53Adapter(route53),
    // The Resolver client signs with the Route 53 client's credential chain (one provider, one cache) and
    // reads FIPS and dual-stack through its providers, so both honour the environment and config file alike.
    resolver: new Route53ResolverAdapter({
      region: aws.region,
      credentials: route53.config.credentials,
      useFipsEndpoint: route53.config.useFipsEndpoint,
      useDualstackEndpoint: route53.config.useDualstackEndpoint,
      ...(aws.endpointUrl ? { endpointUrl: aws.endpointUrl } : {}),
    }),
  };
}
