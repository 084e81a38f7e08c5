/**
 * The domain model shared by the reconcile and diagnose cores. Field names follow the TiDB Cloud Dedicated
 * API v1beta1 and EC2 where they describe the same thing, so adapters map with little translation.
 * IDs are strings everywhere: TiDB's are 19–20 digit decimals, beyond 2^53.
 */

/*
 * The enums the cores read, exactly as the swagger (TiDB) and the EC2 API document them: the one list of each
 * that the plan, the doctor's checks and the tests share. A value outside them is passed through verbatim
 * and is never a reason to act (docs/contracts.md "Lifecycle and failure semantics").
 */

/** The swagger's `commonv1beta1ClusterState`. */
export const CLUSTER_STATES = [
  'CREATING',
  'DELETING',
  'ACTIVE',
  'RESTORING',
  'MAINTENANCE',
  'DELETED',
  'INACTIVE',
  'UPGRADING',
  'IMPORTING',
  'MODIFYING',
  'PAUSING',
  'PAUSED',
  'RESUMING',
] as const;
export type ClusterState = (typeof CLUSTER_STATES)[number];

/** The private link service's states. */
export const SERVICE_STATES = ['CREATING', 'ACTIVE', 'DELETING'] as const;
/** The private endpoint connection's `endpointState`. */
export const CONNECTION_STATES = ['PENDING', 'ACTIVE', 'DELETING', 'FAILED', 'DISCOVERED'] as const;
/**
 * EC2's VPC endpoint states (lower camel, as EC2 returns them). EC2 also documents `partial` (some subnets
 * failed): no automatic step fits it, so it stays outside the list and the plan waits, naming it.
 */
export const ENDPOINT_STATES = [
  'pendingAcceptance',
  'pending',
  'available',
  'deleting',
  'deleted',
  'rejected',
  'failed',
  'expired',
] as const;

/** Is `value` one of the documented values of `states`? */
export function isDocumented(states: readonly string[], value: string): boolean {
  return states.includes(value);
}

export type CloudProvider = 'aws' | 'gcp' | 'azure' | 'alicloud';

export interface NodeGroup {
  tidbNodeGroupId: string;
  displayName: string;
  isDefaultGroup: boolean;
  /** The PRIVATE_ENDPOINT endpoint's host, set once the private link service is ready. */
  privateEndpointHost?: string;
  /**
   * The listing shows a PRIVATE_ENDPOINT endpoint without a host: the API documents that the host appears
   * once the private link service is ready, so the service is still being made (no need to ask for it).
   */
  privateEndpointPending?: boolean;
}

export interface Cluster {
  clusterId: string;
  displayName: string;
  /** `{cloudProvider}-{regionCode}`, e.g. `aws-us-east-1`. */
  regionId: string;
  cloudProvider: CloudProvider;
  state: ClusterState;
  port: number;
  /** From the `tidb.cloud/project` label. */
  projectId?: string;
  labels: Record<string, string>;
  nodeGroups: NodeGroup[];
}

export type PrivateLinkServiceState = (typeof SERVICE_STATES)[number];

export interface PrivateLinkService {
  tidbNodeGroupId: string;
  serviceName: string;
  serviceDnsName: string;
  /** AZ IDs (`use1-az1`) in every official example; names are accepted too. */
  availableZones: string[];
  state: PrivateLinkServiceState;
  regionId: string;
}

/**
 * What TiDB Cloud showed of a cluster when its endpoint became Ready (`PrivateLink Endpoint Ready`'s `known`):
 * the probe on Ready judges from it rather than reading it all again.
 */
export interface ReadyFacts {
  cluster: Cluster;
  service: PrivateLinkService;
  connection: PrivateEndpointConnection;
}

export type ConnectionState = (typeof CONNECTION_STATES)[number];

export interface PrivateEndpointConnection {
  privateEndpointConnectionId: string;
  clusterId: string;
  tidbNodeGroupId: string;
  endpointId: string;
  endpointState: ConnectionState;
  /** TiDB's detail; meaningful when FAILED, may be stale otherwise. */
  message: string;
  /** Empty while PENDING. */
  host: string;
  /** Absent when the API omits it: never default it here, or it would hide the cluster's own port. */
  port?: number;
  privateLinkServiceName: string;
}

/**
 * AWS VPC endpoint states (lower camel, as EC2 returns them). Any other string is a state this version does
 * not know (`partial`, or one EC2 adds later), passed through verbatim: the core waits or warns naming it.
 */
export type VpcEndpointState = KnownVpcEndpointState | (string & {});

export type KnownVpcEndpointState = (typeof ENDPOINT_STATES)[number];

export interface VpcEndpoint {
  vpcEndpointId: string;
  vpcId: string;
  serviceName: string;
  state: VpcEndpointState;
  subnetIds: string[];
  securityGroupIds: string[];
  networkInterfaceIds: string[];
  privateDnsEnabled: boolean;
  tags: Record<string, string>;
  /** EC2's `CreationTimestamp` (ISO 8601), when known. */
  createdAt?: string;
}

export interface Subnet {
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  availabilityZoneId: string;
  cidrBlock: string;
}

export interface AvailabilityZone {
  zoneName: string;
  zoneId: string;
}

export interface VpcDnsAttributes {
  enableDnsSupport: boolean;
  enableDnsHostnames: boolean;
}

export interface Vpc {
  vpcId: string;
  cidrBlocks: string[];
}

export interface NetworkInterface {
  networkInterfaceId: string;
  subnetId: string;
  privateIpAddress: string;
}

/** One ingress or egress permission of a security group, as EC2 describes it. */
export interface SecurityGroupRule {
  groupId: string;
  isEgress: boolean;
  /** `-1` means all protocols. */
  ipProtocol: string;
  fromPort?: number;
  toPort?: number;
  cidrIpv4?: string;
  cidrIpv6?: string;
  prefixListId?: string;
  referencedGroupId?: string;
}

export interface PrefixList {
  prefixListId: string;
  cidrs: string[];
}

export interface NetworkAclEntry {
  ruleNumber: number;
  egress: boolean;
  /** `-1` all, `6` TCP, `17` UDP, … */
  protocol: string;
  ruleAction: 'allow' | 'deny';
  cidrBlock?: string;
  ipv6CidrBlock?: string;
  portRange?: { from: number; to: number };
}

export interface NetworkAcl {
  networkAclId: string;
  vpcId: string;
  subnetIds: string[];
  entries: NetworkAclEntry[];
}

export const MANAGED_BY_TAG = 'tidb-privatelink:managed-by';
export const MANAGED_BY_VALUE = 'tidb-privatelink';
export const CLUSTER_ID_TAG = 'tidb-privatelink:cluster-id';
export const NODE_GROUP_ID_TAG = 'tidb-privatelink:node-group-id';
/** The stack that made the endpoint (`PRIVATELINK_STACK_NAME`): two stacks may share a VPC. */
export const STACK_TAG = 'tidb-privatelink:stack';
/** A digest of the configured subnet list the endpoint was last made to match: a change is noticed cheaply. */
export const SUBNET_CONFIG_TAG = 'tidb-privatelink:subnet-config';
/** The VPC the endpoint serves: a stack may serve several (`PRIVATELINK_VPCS`), one endpoint per cluster each. */
export const VPC_ID_TAG = 'tidb-privatelink:vpc-id';
/** Last probe health, kept with the endpoint so the probe can emit `Health Changed` only on a flip. */
export const HEALTH_TAG = 'tidb-privatelink:health';
/** When the endpoint was first seen orphaned (ISO 8601): the grace period before deletion counts from it. */
export const ORPHANED_SINCE_TAG = 'tidb-privatelink:orphaned-since';

export const DEFAULT_TIDB_PORT = 4000;

/** docs/contracts.md "Port": the connection's, else the cluster's, else 4000. */
export function tidbPortOf(
  connection: Pick<PrivateEndpointConnection, 'port'> | undefined,
  cluster: Pick<Cluster, 'port'> | undefined,
): number {
  return connection?.port || cluster?.port || DEFAULT_TIDB_PORT;
}

/** `aws-us-east-1` → `us-east-1`; undefined for other clouds. */
export function awsRegionOf(regionId: string): string | undefined {
  return regionId.startsWith('aws-') ? regionId.slice('aws-'.length) : undefined;
}

export function defaultNodeGroup(cluster: Cluster): NodeGroup | undefined {
  return cluster.nodeGroups.find((group) => group.isDefaultGroup) ?? cluster.nodeGroups[0];
}

export function isManaged(endpoint: VpcEndpoint): boolean {
  return endpoint.tags[MANAGED_BY_TAG] === MANAGED_BY_VALUE;
}

/**
 * Managed by this stack: managed-by tag, and a stack tag naming this stack. An endpoint made before the stack
 * tag existed has none and counts as ours; one naming another stack is never touched or judged.
 */
export function isOurs(endpoint: VpcEndpoint, stackName: string): boolean {
  const stack = endpoint.tags[STACK_TAG];
  return isManaged(endpoint) && (stack === undefined || stack === stackName);
}

// ── A VPC's DNS path and routes (read by the doctor only) ────────────────────

/** The DHCP options set of a VPC. The port answers `undefined` for a VPC without one (`default`). */
export interface DhcpOptions {
  dhcpOptionsId: string;
  /** `domain-name-servers` as EC2 lists them: `AmazonProvidedDNS` or addresses; empty when not set. */
  domainNameServers: string[];
}

/** A private hosted zone associated with a VPC, as Route 53 ListHostedZonesByVPC lists it. */
export interface PrivateHostedZone {
  hostedZoneId: string;
  /** With or without the trailing dot, as Route 53 sends it. */
  name: string;
  /** Set when an AWS service owns the zone, e.g. `vpce.amazonaws.com` for an endpoint's private DNS. */
  owningService?: string;
  owningAccount?: string;
}

/** A Route 53 Resolver rule. `ruleType` is AWS's value verbatim: `FORWARD`, `SYSTEM`, `RECURSIVE`, … */
export interface ResolverRule {
  resolverRuleId: string;
  name?: string;
  domainName: string;
  ruleType: string;
  /** `ip:port` of the servers a FORWARD rule sends queries to. */
  targetIps: string[];
}

export interface ResolverRuleAssociation {
  resolverRuleAssociationId: string;
  resolverRuleId: string;
  vpcId: string;
  status?: string;
}

export interface ResolverEndpoint {
  resolverEndpointId: string;
  /** `INBOUND`, `OUTBOUND` or `INBOUND_DELEGATION`, verbatim. */
  direction: string;
  hostVpcId: string;
  status?: string;
}

export interface FirewallRuleGroupAssociation {
  associationId: string;
  firewallRuleGroupId: string;
  vpcId: string;
  /** Lower runs first, across the rule groups of a VPC. */
  priority: number;
  name?: string;
}

export interface FirewallRule {
  firewallRuleGroupId: string;
  firewallDomainListId: string;
  name: string;
  /** Lower runs first within the group. */
  priority: number;
  /** `ALLOW`, `BLOCK` or `ALERT`, verbatim. */
  action: string;
  blockResponse?: string;
}

/** One route of a route table: where packets to `destination` go. */
export interface Route {
  /** A CIDR; absent when the destination is a prefix list. */
  destination?: string;
  destinationPrefixListId?: string;
  /** The next hop's id (`local`, `pcx-…`, `tgw-…`, `vgw-…`, `igw-…`, `nat-…`, `eni-…`, …) or a core-network ARN. */
  target: string;
  /** `active` or `blackhole` (the target is gone). */
  state: string;
}

export interface RouteTable {
  routeTableId: string;
  vpcId: string;
  /** The VPC's main table: it serves every subnet without an explicit association. */
  main: boolean;
  /** Subnets explicitly associated with this table. */
  subnetIds: string[];
  routes: Route[];
}
