/**
 * `HostedZonesPort` on the AWS SDK's Route 53 client: the private hosted zones associated with a VPC, each
 * with its owner, which tells a customer's zone from one an AWS service keeps for an endpoint's private DNS.
 */
import { ListHostedZonesByVPCCommand, Route53Client, type VPCRegion } from '@aws-sdk/client-route-53';
import type { PrivateHostedZone } from '../../core/model.ts';
import type { CallOptions, HostedZonesPort } from '../../core/ports.ts';
import { type AwsClientOptions, clientConfig, toAwsError } from './clients.ts';

/** Route 53: the doctor's private hosted zones (the CLI and the troubleshoot function's DNS path). */
export const createRoute53Client = (options: AwsClientOptions) => new Route53Client(clientConfig(options));

/**
 * @example const zones = await new Route53Adapter(createRoute53Client({ region })).listHostedZonesByVpc('vpc-0abc', 'us-east-1');
 */
export class Route53Adapter implements HostedZonesPort {
  readonly #client: Route53Client;

  constructor(client: Route53Client) {
    this.#client = client;
  }

  async listHostedZonesByVpc(
    vpcId: string,
    region: string,
    options?: CallOptions,
  ): Promise<PrivateHostedZone[]> {
    // The SDK has no paginator for ListHostedZonesByVPC: follow NextToken by hand.
    const zones: PrivateHostedZone[] = [];
    let token: string | undefined;
    do {
      const page = await this.#client
        .send(
          new ListHostedZonesByVPCCommand({ VPCId: vpcId, VPCRegion: region as VPCRegion, NextToken: token }),
          { abortSignal: options?.signal },
        )
        .catch((error: unknown) => {
          throw toAwsError(error, 'ListHostedZonesByVPC');
        });
      for (const zone of page.HostedZoneSummaries ?? []) {
        zones.push({
          // The id comes bare here (`Z0…`), unlike ListHostedZones's `/hostedzone/Z0…`; accept both.
          hostedZoneId: (zone.HostedZoneId ?? '').replace(/^\/hostedzone\//, ''),
          name: zone.Name ?? '',
          ...(zone.Owner?.OwningService ? { owningService: zone.Owner.OwningService } : {}),
          ...(zone.Owner?.OwningAccount ? { owningAccount: zone.Owner.OwningAccount } : {}),
        });
      }
      token = page.NextToken || undefined;
    } while (token);
    return zones;
  }
}
