/**
 * EC2's wire shapes → the core model: the only place that reads the SDK's types. A missing field reads as
 * empty (or as a value no rule acts on), never as a guess.
 */
import type {
  NetworkAcl as SdkNetworkAcl,
  NetworkInterface as SdkNetworkInterface,
  Route as SdkRoute,
  RouteTable as SdkRouteTable,
  SecurityGroupRule as SdkSecurityGroupRule,
  Subnet as SdkSubnet,
  Vpc as SdkVpc,
  VpcEndpoint as SdkVpcEndpoint,
  Tag,
} from '@aws-sdk/client-ec2';
import type {
  KnownVpcEndpointState,
  NetworkAcl,
  NetworkAclEntry,
  NetworkInterface,
  Route,
  RouteTable,
  SecurityGroupRule,
  Subnet,
  Vpc,
  VpcEndpoint,
  VpcEndpointState,
} from '../../core/model.ts';

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

export function toSecurityGroupRule(rule: SdkSecurityGroupRule): SecurityGroupRule {
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

export function toNetworkAcl(acl: SdkNetworkAcl): NetworkAcl {
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

export function toRouteTable(table: SdkRouteTable, vpcId: string): RouteTable {
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

export function toSdkTags(tags: Record<string, string>): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

function fromSdkTags(tags: Tag[] | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const tag of tags ?? []) if (tag.Key !== undefined) result[tag.Key] = tag.Value ?? '';
  return result;
}

export function toSubnet(subnet: SdkSubnet): Subnet {
  return {
    subnetId: subnet.SubnetId ?? '',
    vpcId: subnet.VpcId ?? '',
    availabilityZone: subnet.AvailabilityZone ?? '',
    availabilityZoneId: subnet.AvailabilityZoneId ?? '',
    cidrBlock: subnet.CidrBlock ?? '',
  };
}

export function toNetworkInterface(eni: SdkNetworkInterface): NetworkInterface {
  return {
    networkInterfaceId: eni.NetworkInterfaceId ?? '',
    subnetId: eni.SubnetId ?? '',
    privateIpAddress: eni.PrivateIpAddress ?? '',
  };
}

export function toVpc(vpc: SdkVpc, fallbackId: string): Vpc {
  // Secondary CIDRs live in the association set; only associated blocks route traffic.
  const blocks = (vpc.CidrBlockAssociationSet ?? [])
    .filter((association) => association.CidrBlockState?.State === 'associated')
    .flatMap((association) => (association.CidrBlock ? [association.CidrBlock] : []));
  if (blocks.length === 0 && vpc.CidrBlock) blocks.push(vpc.CidrBlock);
  return { vpcId: vpc.VpcId ?? fallbackId, cidrBlocks: blocks };
}
