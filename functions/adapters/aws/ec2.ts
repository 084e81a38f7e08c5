/**
 * `Ec2Port` on the AWS SDK v3. The only place that knows EC2's wire shapes: everything returned is a core
 * model type and everything thrown is an `AwsError` with AWS's code and message. Retries are the client's
 * job (`createAwsClients` sets the SDK's `standard` retry mode), so no call here retries by itself.
 */
import {
  CreateTagsCommand,
  CreateVpcEndpointCommand,
  DescribeAvailabilityZonesCommand,
  DescribeDhcpOptionsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcEndpointServicesCommand,
  type DescribeVpcEndpointServicesCommandOutput,
  DescribeVpcsCommand,
  type EC2Client,
  type Filter,
  ModifyVpcEndpointCommand,
  paginateDescribeNetworkAcls,
  paginateDescribeNetworkInterfaces,
  paginateDescribeRouteTables,
  paginateDescribeSecurityGroupRules,
  paginateDescribeSubnets,
  paginateDescribeVpcEndpoints,
  paginateDescribeVpcs,
  paginateGetManagedPrefixListEntries,
  type NetworkAcl as SdkNetworkAcl,
  type Route as SdkRoute,
  type RouteTable as SdkRouteTable,
  type SecurityGroupRule as SdkSecurityGroupRule,
  type VpcEndpoint as SdkVpcEndpoint,
  type Tag,
} from '@aws-sdk/client-ec2';
import { AwsError } from '../../core/errors.ts';
import type {
  AvailabilityZone,
  DhcpOptions,
  KnownVpcEndpointState,
  NetworkAcl,
  NetworkAclEntry,
  NetworkInterface,
  PrefixList,
  Route,
  RouteTable,
  SecurityGroupRule,
  Subnet,
  Vpc,
  VpcDnsAttributes,
  VpcEndpoint,
  VpcEndpointState,
} from '../../core/model.ts';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE } from '../../core/model.ts';
import type {
  CallOptions,
  CreateEndpointInput,
  EndpointServiceDetails,
  ProvisioningEc2Port,
} from '../../core/ports.ts';
import { toAwsError } from './clients.ts';

/**
 * @example const ec2 = new Ec2Adapter(createAwsClients({ region }).ec2);
 */
export class Ec2Adapter implements ProvisioningEc2Port {
  readonly #client: EC2Client;

  constructor(client: EC2Client) {
    this.#client = client;
  }

  async listManagedEndpoints(
    tags: Record<string, string> = {},
    options?: CallOptions,
  ): Promise<VpcEndpoint[]> {
    const filters: Filter[] = [
      { Name: `tag:${MANAGED_BY_TAG}`, Values: [MANAGED_BY_VALUE] },
      ...Object.entries(tags).map(([key, value]) => ({ Name: `tag:${key}`, Values: [value] })),
    ];
    return this.#describeEndpoints(filters, undefined, options);
  }

  async findEndpoints(
    filter: { vpcId?: string; serviceName?: string; vpcEndpointIds?: string[] },
    options?: CallOptions,
  ): Promise<VpcEndpoint[]> {
    // Only interface endpoints can reach a TiDB service; a gateway endpoint in the same VPC is noise.
    const filters: Filter[] = [{ Name: 'vpc-endpoint-type', Values: ['Interface'] }];
    if (filter.vpcId) filters.push({ Name: 'vpc-id', Values: [filter.vpcId] });
    if (filter.serviceName) filters.push({ Name: 'service-name', Values: [filter.serviceName] });
    if (!filter.vpcEndpointIds) return this.#describeEndpoints(filters, undefined, options);
    if (filter.vpcEndpointIds.length === 0) return [];
    try {
      return await this.#describeEndpoints(filters, filter.vpcEndpointIds, options);
    } catch (error) {
      // EC2 fails the whole call when one ID is unknown; a find must report "not found" (an empty result the
      // checks explain) rather than abort the run, so look the IDs up one by one and drop the unknown ones.
      // (The `vpc-endpoint-id` filter would avoid this on AWS, but the sandbox does not implement it.)
      if (!isNotFound(error)) throw error;
      const found = await Promise.all(
        filter.vpcEndpointIds.map((id) =>
          this.#describeEndpoints(filters, [id], options).catch((inner: unknown) => {
            if (isNotFound(inner)) return [];
            throw inner;
          }),
        ),
      );
      return found.flat();
    }
  }

  async createInterfaceEndpoint(input: CreateEndpointInput, options?: CallOptions): Promise<VpcEndpoint> {
    const output = await this.#send('CreateVpcEndpoint', options, (abortSignal) =>
      this.#client.send(
        new CreateVpcEndpointCommand({
          VpcEndpointType: 'Interface',
          VpcId: input.vpcId,
          ServiceName: input.serviceName,
          SubnetIds: input.subnetIds,
          SecurityGroupIds: input.securityGroupIds,
          // Off at creation: AWS would default it on and fail, since TiDB has not accepted the endpoint yet.
          PrivateDnsEnabled: false,
          // TiDB's services are IPv4 only: pinned, so a dual-stack subnet never gets AAAA records nobody answers.
          IpAddressType: 'ipv4',
          DnsOptions: { DnsRecordIpType: 'ipv4' },
          ClientToken: input.clientToken,
          TagSpecifications: [{ ResourceType: 'vpc-endpoint', Tags: toSdkTags(input.tags) }],
        }),
        { abortSignal },
      ),
    );
    if (!output.VpcEndpoint) throw new AwsError('EmptyResponse', 'CreateVpcEndpoint returned no endpoint');
    const endpoint = toVpcEndpoint(output.VpcEndpoint);
    // Not every implementation of the API echoes tags and groups in the create response (moto omits the
    // groups); both were applied with the endpoint or the call would have failed, so fill in what is missing.
    return {
      ...endpoint,
      tags: Object.keys(endpoint.tags).length > 0 ? endpoint.tags : { ...input.tags },
      securityGroupIds:
        endpoint.securityGroupIds.length > 0 ? endpoint.securityGroupIds : [...input.securityGroupIds],
    };
  }

  async enablePrivateDns(vpcEndpointId: string, options?: CallOptions): Promise<void> {
    const output = await this.#send('ModifyVpcEndpoint', options, (abortSignal) =>
      this.#client.send(
        new ModifyVpcEndpointCommand({ VpcEndpointId: vpcEndpointId, PrivateDnsEnabled: true }),
        {
          abortSignal,
        },
      ),
    );
    if (output.Return === false) {
      throw new AwsError(
        'OperationNotPerformed',
        `ModifyVpcEndpoint did not enable private DNS on ${vpcEndpointId}`,
      );
    }
  }

  async tagResource(resourceId: string, tags: Record<string, string>, options?: CallOptions): Promise<void> {
    if (Object.keys(tags).length === 0) return;
    await this.#send('CreateTags', options, (abortSignal) =>
      this.#client.send(new CreateTagsCommand({ Resources: [resourceId], Tags: toSdkTags(tags) }), {
        abortSignal,
      }),
    );
  }

  async describeSubnets(subnetIds: string[], options?: CallOptions): Promise<Subnet[]> {
    // An empty ID list would describe every subnet in the account.
    if (subnetIds.length === 0) return [];
    const subnets: Subnet[] = [];
    await this.#send('DescribeSubnets', options, async (abortSignal) => {
      for await (const page of paginateDescribeSubnets(
        { client: this.#client },
        { SubnetIds: subnetIds },
        { abortSignal },
      )) {
        for (const subnet of page.Subnets ?? []) {
          subnets.push({
            subnetId: subnet.SubnetId ?? '',
            vpcId: subnet.VpcId ?? '',
            availabilityZone: subnet.AvailabilityZone ?? '',
            availabilityZoneId: subnet.AvailabilityZoneId ?? '',
            cidrBlock: subnet.CidrBlock ?? '',
          });
        }
      }
    });
    return subnets;
  }

  async describeAvailabilityZones(options?: CallOptions): Promise<AvailabilityZone[]> {
    // DescribeAvailabilityZones is not paginated: one response lists every zone of the region.
    const output = await this.#send('DescribeAvailabilityZones', options, (abortSignal) =>
      this.#client.send(new DescribeAvailabilityZonesCommand({}), { abortSignal }),
    );
    return (output.AvailabilityZones ?? []).flatMap((zone) =>
      zone.ZoneName && zone.ZoneId ? [{ zoneName: zone.ZoneName, zoneId: zone.ZoneId }] : [],
    );
  }

  async describeServiceZones(serviceName: string, options?: CallOptions): Promise<string[]> {
    return (await this.describeEndpointService(serviceName, options)).zoneNames;
  }

  async describeEndpointService(serviceName: string, options?: CallOptions): Promise<EndpointServiceDetails> {
    // The SDK has no paginator for DescribeVpcEndpointServices, so follow NextToken by hand.
    const zones = new Set<string>();
    const dns: Omit<EndpointServiceDetails, 'zoneNames'> = {};
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const page: DescribeVpcEndpointServicesCommandOutput = await this.#send(
        'DescribeVpcEndpointServices',
        options,
        (abortSignal) =>
          this.#client.send(
            new DescribeVpcEndpointServicesCommand({ ServiceNames: [serviceName], NextToken: token }),
            { abortSignal },
          ),
      );
      for (const detail of page.ServiceDetails ?? []) {
        if (detail.ServiceName !== serviceName) continue;
        for (const zone of detail.AvailabilityZones ?? []) zones.add(zone);
        if (detail.PrivateDnsName) dns.privateDnsName = detail.PrivateDnsName;
        if (detail.PrivateDnsNameVerificationState) {
          dns.privateDnsVerificationState = detail.PrivateDnsNameVerificationState;
        }
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return { zoneNames: [...zones], ...dns };
  }

  async modifyEndpointSubnets(
    vpcEndpointId: string,
    change: { addSubnetIds: string[]; removeSubnetIds: string[] },
    options?: CallOptions,
  ): Promise<void> {
    const output = await this.#send('ModifyVpcEndpoint', options, (abortSignal) =>
      this.#client.send(
        new ModifyVpcEndpointCommand({
          VpcEndpointId: vpcEndpointId,
          ...(change.addSubnetIds.length > 0 ? { AddSubnetIds: change.addSubnetIds } : {}),
          ...(change.removeSubnetIds.length > 0 ? { RemoveSubnetIds: change.removeSubnetIds } : {}),
        }),
        { abortSignal },
      ),
    );
    if (output.Return === false) {
      throw new AwsError(
        'OperationNotPerformed',
        `ModifyVpcEndpoint did not change the subnets of ${vpcEndpointId}`,
      );
    }
  }

  async describeVpc(vpcId: string, options?: CallOptions): Promise<Vpc> {
    const vpcs: Vpc[] = [];
    await this.#send('DescribeVpcs', options, async (abortSignal) => {
      for await (const page of paginateDescribeVpcs(
        { client: this.#client },
        { VpcIds: [vpcId] },
        { abortSignal },
      )) {
        for (const vpc of page.Vpcs ?? []) {
          // Secondary CIDRs live in the association set; only associated blocks route traffic.
          const blocks = (vpc.CidrBlockAssociationSet ?? [])
            .filter((association) => association.CidrBlockState?.State === 'associated')
            .flatMap((association) => (association.CidrBlock ? [association.CidrBlock] : []));
          if (blocks.length === 0 && vpc.CidrBlock) blocks.push(vpc.CidrBlock);
          vpcs.push({ vpcId: vpc.VpcId ?? vpcId, cidrBlocks: blocks });
        }
      }
    });
    const vpc = vpcs.find((candidate) => candidate.vpcId === vpcId);
    if (!vpc) {
      throw new AwsError('InvalidVpcID.NotFound', `The vpc ID '${vpcId}' does not exist`);
    }
    return vpc;
  }

  async describeVpcDnsAttributes(vpcId: string, options?: CallOptions): Promise<VpcDnsAttributes> {
    // EC2 answers one attribute per call; the two are independent, so ask in parallel.
    const [support, hostnames] = await Promise.all([
      this.#send('DescribeVpcAttribute', options, (abortSignal) =>
        this.#client.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: 'enableDnsSupport' }), {
          abortSignal,
        }),
      ),
      this.#send('DescribeVpcAttribute', options, (abortSignal) =>
        this.#client.send(
          new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: 'enableDnsHostnames' }),
          {
            abortSignal,
          },
        ),
      ),
    ]);
    return {
      enableDnsSupport: support.EnableDnsSupport?.Value === true,
      enableDnsHostnames: hostnames.EnableDnsHostnames?.Value === true,
    };
  }

  async describeSecurityGroupRules(groupIds: string[], options?: CallOptions): Promise<SecurityGroupRule[]> {
    if (groupIds.length === 0) return [];
    const rules: SecurityGroupRule[] = [];
    await this.#send('DescribeSecurityGroupRules', options, async (abortSignal) => {
      for await (const page of paginateDescribeSecurityGroupRules(
        { client: this.#client },
        { Filters: [{ Name: 'group-id', Values: groupIds }] },
        { abortSignal },
      )) {
        for (const rule of page.SecurityGroupRules ?? []) rules.push(toSecurityGroupRule(rule));
      }
    });
    return rules;
  }

  async describePrefixLists(prefixListIds: string[], options?: CallOptions): Promise<PrefixList[]> {
    return Promise.all(
      prefixListIds.map(async (prefixListId) => {
        const cidrs: string[] = [];
        await this.#send('GetManagedPrefixListEntries', options, async (abortSignal) => {
          for await (const page of paginateGetManagedPrefixListEntries(
            { client: this.#client },
            { PrefixListId: prefixListId },
            { abortSignal },
          )) {
            for (const entry of page.Entries ?? []) if (entry.Cidr) cidrs.push(entry.Cidr);
          }
        });
        return { prefixListId, cidrs };
      }),
    );
  }

  async describeNetworkAcls(subnetIds: string[], options?: CallOptions): Promise<NetworkAcl[]> {
    if (subnetIds.length === 0) return [];
    const acls: NetworkAcl[] = [];
    await this.#send('DescribeNetworkAcls', options, async (abortSignal) => {
      for await (const page of paginateDescribeNetworkAcls(
        { client: this.#client },
        { Filters: [{ Name: 'association.subnet-id', Values: subnetIds }] },
        { abortSignal },
      )) {
        for (const acl of page.NetworkAcls ?? []) acls.push(toNetworkAcl(acl));
      }
    });
    return acls;
  }

  async describeNetworkInterfaces(ids: string[], options?: CallOptions): Promise<NetworkInterface[]> {
    if (ids.length === 0) return [];
    const interfaces: NetworkInterface[] = [];
    await this.#send('DescribeNetworkInterfaces', options, async (abortSignal) => {
      for await (const page of paginateDescribeNetworkInterfaces(
        { client: this.#client },
        { NetworkInterfaceIds: ids },
        { abortSignal },
      )) {
        for (const eni of page.NetworkInterfaces ?? []) {
          interfaces.push({
            networkInterfaceId: eni.NetworkInterfaceId ?? '',
            subnetId: eni.SubnetId ?? '',
            privateIpAddress: eni.PrivateIpAddress ?? '',
          });
        }
      }
    });
    return interfaces;
  }

  async describeDhcpOptions(vpcId: string, options?: CallOptions): Promise<DhcpOptions | undefined> {
    const vpcs = await this.#send('DescribeVpcs', options, (abortSignal) =>
      this.#client.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }), { abortSignal }),
    );
    const dhcpOptionsId = vpcs.Vpcs?.find((vpc) => vpc.VpcId === vpcId)?.DhcpOptionsId;
    // `default` is EC2's name for "no options set": the VPC's own resolver, AmazonProvidedDNS.
    if (!dhcpOptionsId || dhcpOptionsId === 'default') return undefined;
    const output = await this.#send('DescribeDhcpOptions', options, (abortSignal) =>
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
    const tables: RouteTable[] = [];
    await this.#send('DescribeRouteTables', options, async (abortSignal) => {
      for await (const page of paginateDescribeRouteTables(
        { client: this.#client },
        { Filters: [{ Name: 'vpc-id', Values: [vpcId] }] },
        { abortSignal },
      )) {
        for (const table of page.RouteTables ?? []) tables.push(toRouteTable(table, vpcId));
      }
    });
    return tables;
  }

  async #describeEndpoints(
    filters: Filter[],
    vpcEndpointIds: string[] | undefined,
    options?: CallOptions,
  ): Promise<VpcEndpoint[]> {
    const endpoints: VpcEndpoint[] = [];
    await this.#send('DescribeVpcEndpoints', options, async (abortSignal) => {
      for await (const page of paginateDescribeVpcEndpoints(
        { client: this.#client },
        { Filters: filters, ...(vpcEndpointIds ? { VpcEndpointIds: vpcEndpointIds } : {}) },
        { abortSignal },
      )) {
        for (const endpoint of page.VpcEndpoints ?? []) endpoints.push(toVpcEndpoint(endpoint));
      }
    });
    return endpoints;
  }

  async #send<T>(
    operation: string,
    options: CallOptions | undefined,
    call: (abortSignal: AbortSignal | undefined) => Promise<T>,
  ): Promise<T> {
    try {
      return await call(options?.signal);
    } catch (error) {
      throw toAwsError(error, operation);
    }
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof AwsError && error.awsCode === 'InvalidVpcEndpointId.NotFound';
}

const STATES: Record<string, KnownVpcEndpointState> = {
  pendingacceptance: 'pendingAcceptance',
  pending: 'pending',
  available: 'available',
  deleting: 'deleting',
  deleted: 'deleted',
  rejected: 'rejected',
  failed: 'failed',
  expired: 'expired',
};

/** What an endpoint without a State reads as: a value no rule acts on, so nothing is replaced on a guess. */
export const ABSENT_ENDPOINT_STATE = 'unknown';

/**
 * EC2 sends lower camel states (`pendingAcceptance`) while the SDK's enum spells them `PendingAcceptance`:
 * compare case-insensitively. Any other state (`partial`: some subnets failed, the others serve; or one newer
 * than this code) passes through verbatim, as the TiDB mapping does: the reconcile waits and the doctor warns,
 * naming it, rather than replace an endpoint that may still carry traffic.
 */
export function toVpcEndpointState(state: string | undefined): VpcEndpointState {
  if (!state) return ABSENT_ENDPOINT_STATE;
  return STATES[state.toLowerCase()] ?? state;
}

export function toVpcEndpoint(endpoint: SdkVpcEndpoint): VpcEndpoint {
  return {
    vpcEndpointId: endpoint.VpcEndpointId ?? '',
    vpcId: endpoint.VpcId ?? '',
    serviceName: endpoint.ServiceName ?? '',
    state: toVpcEndpointState(endpoint.State),
    subnetIds: endpoint.SubnetIds ?? [],
    securityGroupIds: (endpoint.Groups ?? []).flatMap((group) => (group.GroupId ? [group.GroupId] : [])),
    networkInterfaceIds: endpoint.NetworkInterfaceIds ?? [],
    privateDnsEnabled: endpoint.PrivateDnsEnabled === true,
    tags: fromSdkTags(endpoint.Tags),
    ...(endpoint.CreationTimestamp ? { createdAt: endpoint.CreationTimestamp.toISOString() } : {}),
  };
}

function toSecurityGroupRule(rule: SdkSecurityGroupRule): SecurityGroupRule {
  const mapped: SecurityGroupRule = {
    groupId: rule.GroupId ?? '',
    isEgress: rule.IsEgress === true,
    ipProtocol: rule.IpProtocol ?? '-1',
  };
  if (rule.FromPort !== undefined) mapped.fromPort = rule.FromPort;
  if (rule.ToPort !== undefined) mapped.toPort = rule.ToPort;
  if (rule.CidrIpv4) mapped.cidrIpv4 = rule.CidrIpv4;
  if (rule.CidrIpv6) mapped.cidrIpv6 = rule.CidrIpv6;
  if (rule.PrefixListId) mapped.prefixListId = rule.PrefixListId;
  if (rule.ReferencedGroupInfo?.GroupId) mapped.referencedGroupId = rule.ReferencedGroupInfo.GroupId;
  return mapped;
}

function toNetworkAcl(acl: SdkNetworkAcl): NetworkAcl {
  return {
    networkAclId: acl.NetworkAclId ?? '',
    vpcId: acl.VpcId ?? '',
    subnetIds: (acl.Associations ?? []).flatMap((association) =>
      association.SubnetId ? [association.SubnetId] : [],
    ),
    entries: (acl.Entries ?? []).map((entry) => {
      const mapped: NetworkAclEntry = {
        ruleNumber: entry.RuleNumber ?? 0,
        egress: entry.Egress === true,
        protocol: entry.Protocol ?? '-1',
        ruleAction: entry.RuleAction === 'allow' ? 'allow' : 'deny',
      };
      if (entry.CidrBlock) mapped.cidrBlock = entry.CidrBlock;
      if (entry.Ipv6CidrBlock) mapped.ipv6CidrBlock = entry.Ipv6CidrBlock;
      if (entry.PortRange?.From !== undefined && entry.PortRange.To !== undefined) {
        mapped.portRange = { from: entry.PortRange.From, to: entry.PortRange.To };
      }
      return mapped;
    }),
  };
}

function toRouteTable(table: SdkRouteTable, vpcId: string): RouteTable {
  const associations = (table.Associations ?? []).filter(
    (association) => (association.AssociationState?.State ?? 'associated') === 'associated',
  );
  return {
    routeTableId: table.RouteTableId ?? '',
    vpcId: table.VpcId ?? vpcId,
    main: associations.some((association) => association.Main === true),
    subnetIds: associations.flatMap((association) => (association.SubnetId ? [association.SubnetId] : [])),
    routes: (table.Routes ?? []).map(toRoute),
  };
}

function toRoute(route: SdkRoute): Route {
  const destination = route.DestinationCidrBlock ?? route.DestinationIpv6CidrBlock;
  // An instance route names the instance and its ENI: the ENI is the hop.
  const target =
    route.GatewayId ??
    route.TransitGatewayId ??
    route.VpcPeeringConnectionId ??
    route.NatGatewayId ??
    route.NetworkInterfaceId ??
    route.InstanceId ??
    route.EgressOnlyInternetGatewayId ??
    route.CarrierGatewayId ??
    route.LocalGatewayId ??
    route.CoreNetworkArn ??
    'unknown';
  return {
    ...(destination ? { destination } : {}),
    ...(route.DestinationPrefixListId ? { destinationPrefixListId: route.DestinationPrefixListId } : {}),
    target,
    state: route.State ?? 'active',
  };
}

function toSdkTags(tags: Record<string, string>): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

function fromSdkTags(tags: Tag[] | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const tag of tags ?? []) if (tag.Key !== undefined) result[tag.Key] = tag.Value ?? '';
  return result;
}
