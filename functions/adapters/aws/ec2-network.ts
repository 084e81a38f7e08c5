/**
 * `NetworkReadsPort` on the AWS SDK v3: the VPC's subnets, zones, filters, routes and resolver settings, as
 * the doctor and the reconcile's placement read them. Read only.
 */
import {
  DescribeAvailabilityZonesCommand,
  DescribeDhcpOptionsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  type EC2Client,
  paginateDescribeNetworkAcls,
  paginateDescribeNetworkInterfaces,
  paginateDescribeRouteTables,
  paginateDescribeSecurityGroupRules,
  paginateDescribeSubnets,
  paginateDescribeVpcs,
  paginateGetManagedPrefixListEntries,
} from '@aws-sdk/client-ec2';
import { AwsError } from '../../core/errors.ts';
import type {
  AvailabilityZone,
  DhcpOptions,
  NetworkAcl,
  NetworkInterface,
  PrefixList,
  RouteTable,
  SecurityGroupRule,
  Subnet,
  Vpc,
  VpcDnsAttributes,
} from '../../core/model.ts';
import type { CallOptions, NetworkReadsPort } from '../../core/ports.ts';
import { ec2Call, ec2Pages } from './ec2-calls.ts';
import {
  toNetworkAcl,
  toNetworkInterface,
  toRouteTable,
  toSecurityGroupRule,
  toSubnet,
  toVpc,
} from './ec2-mapping.ts';

export class Ec2NetworkReads implements NetworkReadsPort {
  readonly #client: EC2Client;

  constructor(client: EC2Client) {
    this.#client = client;
  }

  async describeSubnets(subnetIds: string[], options?: CallOptions): Promise<Subnet[]> {
    // An empty ID list would describe every subnet in the account.
    if (subnetIds.length === 0) return [];
    return ec2Pages(
      'DescribeSubnets',
      options,
      (abortSignal) =>
        paginateDescribeSubnets({ client: this.#client }, { SubnetIds: subnetIds }, { abortSignal }),
      (page) => (page.Subnets ?? []).map(toSubnet),
    );
  }

  async describeAvailabilityZones(options?: CallOptions): Promise<AvailabilityZone[]> {
    // DescribeAvailabilityZones is not paginated: one response lists every zone of the region.
    const output = await ec2Call('DescribeAvailabilityZones', options, (abortSignal) =>
      this.#client.send(new DescribeAvailabilityZonesCommand({}), { abortSignal }),
    );
    return (output.AvailabilityZones ?? []).flatMap((zone) =>
      zone.ZoneName && zone.ZoneId ? [{ zoneName: zone.ZoneName, zoneId: zone.ZoneId }] : [],
    );
  }

  async describeVpc(vpcId: string, options?: CallOptions): Promise<Vpc> {
    const vpcs = await ec2Pages(
      'DescribeVpcs',
      options,
      (abortSignal) => paginateDescribeVpcs({ client: this.#client }, { VpcIds: [vpcId] }, { abortSignal }),
      (page) => (page.Vpcs ?? []).map((vpc) => toVpc(vpc, vpcId)),
    );
    const vpc = vpcs.find((candidate) => candidate.vpcId === vpcId);
    if (!vpc) {
      throw new AwsError('InvalidVpcID.NotFound', `The vpc ID '${vpcId}' does not exist`);
    }
    return vpc;
  }

  async describeVpcDnsAttributes(vpcId: string, options?: CallOptions): Promise<VpcDnsAttributes> {
    const attribute = (Attribute: 'enableDnsSupport' | 'enableDnsHostnames') =>
      ec2Call('DescribeVpcAttribute', options, (abortSignal) =>
        this.#client.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute }), { abortSignal }),
      );
    // EC2 answers one attribute per call; the two are independent, so ask in parallel.
    const [support, hostnames] = await Promise.all([
      attribute('enableDnsSupport'),
      attribute('enableDnsHostnames'),
    ]);
    return {
      enableDnsSupport: support.EnableDnsSupport?.Value === true,
      enableDnsHostnames: hostnames.EnableDnsHostnames?.Value === true,
    };
  }

  async describeSecurityGroupRules(groupIds: string[], options?: CallOptions): Promise<SecurityGroupRule[]> {
    if (groupIds.length === 0) return [];
    return ec2Pages(
      'DescribeSecurityGroupRules',
      options,
      (abortSignal) =>
        paginateDescribeSecurityGroupRules(
          { client: this.#client },
          { Filters: [{ Name: 'group-id', Values: groupIds }] },
          { abortSignal },
        ),
      (page) => (page.SecurityGroupRules ?? []).map(toSecurityGroupRule),
    );
  }

  async describePrefixLists(prefixListIds: string[], options?: CallOptions): Promise<PrefixList[]> {
    return Promise.all(
      prefixListIds.map(async (prefixListId) => ({
        prefixListId,
        cidrs: await ec2Pages(
          'GetManagedPrefixListEntries',
          options,
          (abortSignal) =>
            paginateGetManagedPrefixListEntries(
              { client: this.#client },
              { PrefixListId: prefixListId },
              { abortSignal },
            ),
          (page) => (page.Entries ?? []).flatMap((entry) => (entry.Cidr ? [entry.Cidr] : [])),
        ),
      })),
    );
  }

  async describeNetworkAcls(subnetIds: string[], options?: CallOptions): Promise<NetworkAcl[]> {
    if (subnetIds.length === 0) return [];
    return ec2Pages(
      'DescribeNetworkAcls',
      options,
      (abortSignal) =>
        paginateDescribeNetworkAcls(
          { client: this.#client },
          { Filters: [{ Name: 'association.subnet-id', Values: subnetIds }] },
          { abortSignal },
        ),
      (page) => (page.NetworkAcls ?? []).map(toNetworkAcl),
    );
  }

  async describeNetworkInterfaces(ids: string[], options?: CallOptions): Promise<NetworkInterface[]> {
    if (ids.length === 0) return [];
    return ec2Pages(
      'DescribeNetworkInterfaces',
      options,
      (abortSignal) =>
        paginateDescribeNetworkInterfaces(
          { client: this.#client },
          { NetworkInterfaceIds: ids },
          { abortSignal },
        ),
      (page) => (page.NetworkInterfaces ?? []).map(toNetworkInterface),
    );
  }

  async describeDhcpOptions(vpcId: string, options?: CallOptions): Promise<DhcpOptions | undefined> {
    const vpcs = await ec2Call('DescribeVpcs', options, (abortSignal) =>
      this.#client.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }), { abortSignal }),
    );
    const dhcpOptionsId = vpcs.Vpcs?.find((vpc) => vpc.VpcId === vpcId)?.DhcpOptionsId;
    // `default` is EC2's name for "no options set": the VPC's own resolver, AmazonProvidedDNS.
    if (!dhcpOptionsId || dhcpOptionsId === 'default') return undefined;
    const output = await ec2Call('DescribeDhcpOptions', options, (abortSignal) =>
      this.#client.send(new DescribeDhcpOptionsCommand({ DhcpOptionsIds: [dhcpOptionsId] }), { abortSignal }),
    );
    const set = output.DhcpOptions?.find((candidate) => candidate.DhcpOptionsId === dhcpOptionsId);
    const servers = set?.DhcpConfigurations?.find((entry) => entry.Key === 'domain-name-servers');
    return {
      dhcpOptionsId,
      domainNameServers: (servers?.Values ?? []).flatMap((value) => (value.Value ? [value.Value] : [])),
    };
  }

  async describeRouteTables(vpcId: string, options?: CallOptions): Promise<RouteTable[]> {
    return ec2Pages(
      'DescribeRouteTables',
      options,
      (abortSignal) =>
        paginateDescribeRouteTables(
          { client: this.#client },
          { Filters: [{ Name: 'vpc-id', Values: [vpcId] }] },
          { abortSignal },
        ),
      (page) => (page.RouteTables ?? []).map((table) => toRouteTable(table, vpcId)),
    );
  }
}
