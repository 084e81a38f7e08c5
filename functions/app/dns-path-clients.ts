import type { AwsClientOptions } from '../adapters/aws/clients.ts';
import { createRoute53Client, Route53Adapter } from '../adapters/aws/route53.ts';
import { Route53ResolverAdapter } from '../adapters/aws/route53-resolver.ts';
import type { HostedZonesPort, ResolverPort } from '../core/ports.ts';

/** The DNS path's clients and adapters; imported by dns-path-deps.ts on the first DNS-path call only. */
export function dnsPathClients(aws: AwsClientOptions): {
  hostedZones: HostedZonesPort;
  resolver: ResolverPort;
} {
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
