/**
 * Ports: what the cores need from the outside world. Adapters in `functions/adapters/` implement them with
 * the AWS SDK, fetch, node:dns, node:net and mysql2; tests implement them in memory (`test/kit/`).
 */
import type {
  AvailabilityZone,
  Cluster,
  NetworkAcl,
  NetworkInterface,
  NodeGroup,
  PrefixList,
  PrivateEndpointConnection,
  PrivateLinkService,
  SecurityGroupRule,
  Subnet,
  Vpc,
  VpcDnsAttributes,
  VpcEndpoint,
} from './model.ts';

/** Every network call takes a signal, so a Lambda deadline or a CLI timeout cancels it. */
export interface CallOptions {
  signal?: AbortSignal;
  /**
   * Epoch ms, on the same clock as the adapter's (the system clock in production, a test's virtual clock in
   * tests), by which the caller needs the answer: a wait that would end later is not begun.
   */
  deadline?: number;
}

export type ConnectionScope =
  | { clusterId: string; tidbNodeGroupId: string }
  /** All clusters and node groups (`-`/`-`), of one project or of the key's default project. */
  | { projectId?: string };

/** The subset of the TiDB Cloud Dedicated API v1beta1 this app uses. List calls return every page. */
export interface TidbCloudPort {
  listClusters(filter: { projectId?: string }, options?: CallOptions): Promise<Cluster[]>;
  getCluster(clusterId: string, options?: CallOptions): Promise<Cluster>;
  listNodeGroups(clusterId: string, options?: CallOptions): Promise<NodeGroup[]>;
  getPrivateLinkService(
    clusterId: string,
    tidbNodeGroupId: string,
    options?: CallOptions,
  ): Promise<PrivateLinkService>;
  listConnections(scope: ConnectionScope, options?: CallOptions): Promise<PrivateEndpointConnection[]>;
  createConnection(
    clusterId: string,
    tidbNodeGroupId: string,
    endpointId: string,
    options?: CallOptions,
  ): Promise<PrivateEndpointConnection>;
  getConnection(
    clusterId: string,
    tidbNodeGroupId: string,
    privateEndpointConnectionId: string,
    options?: CallOptions,
  ): Promise<PrivateEndpointConnection>;
  deleteConnection(
    clusterId: string,
    tidbNodeGroupId: string,
    privateEndpointConnectionId: string,
    options?: CallOptions,
  ): Promise<void>;
}

export interface CreateEndpointInput {
  vpcId: string;
  serviceName: string;
  subnetIds: string[];
  securityGroupIds: string[];
  /** Idempotency token: the same token never creates a second endpoint (EC2 ClientToken). */
  clientToken: string;
  tags: Record<string, string>;
}

/** The EC2 calls of both cores. Describe calls return every page. */
export interface Ec2Port {
  /** Endpoints carrying the managed-by tag, optionally narrowed by more tag filters. */
  listManagedEndpoints(tags?: Record<string, string>, options?: CallOptions): Promise<VpcEndpoint[]>;
  /** Interface endpoints in a VPC to a service, whoever created them. */
  findEndpoints(
    filter: { vpcId?: string; serviceName?: string; vpcEndpointIds?: string[] },
    options?: CallOptions,
  ): Promise<VpcEndpoint[]>;
  createInterfaceEndpoint(input: CreateEndpointInput, options?: CallOptions): Promise<VpcEndpoint>;
  enablePrivateDns(vpcEndpointId: string, options?: CallOptions): Promise<void>;
  tagResource(resourceId: string, tags: Record<string, string>, options?: CallOptions): Promise<void>;
  describeSubnets(subnetIds: string[], options?: CallOptions): Promise<Subnet[]>;
  describeAvailabilityZones(options?: CallOptions): Promise<AvailabilityZone[]>;
  /** The AZ *names* (in this account's naming) where the endpoint service is offered. */
  describeServiceZones(serviceName: string, options?: CallOptions): Promise<string[]>;
  describeVpc(vpcId: string, options?: CallOptions): Promise<Vpc>;
  describeVpcDnsAttributes(vpcId: string, options?: CallOptions): Promise<VpcDnsAttributes>;
  describeSecurityGroupRules(groupIds: string[], options?: CallOptions): Promise<SecurityGroupRule[]>;
  describePrefixLists(prefixListIds: string[], options?: CallOptions): Promise<PrefixList[]>;
  describeNetworkAcls(subnetIds: string[], options?: CallOptions): Promise<NetworkAcl[]>;
  describeNetworkInterfaces(ids: string[], options?: CallOptions): Promise<NetworkInterface[]>;
}

/** EC2's view of an endpoint service (DescribeVpcEndpointServices `ServiceDetails[]`). */
export interface EndpointServiceDetails {
  /** AZ names in this account's naming. */
  zoneNames: string[];
  privateDnsName?: string;
  /** `verified`, `pendingVerification`, `failed`; absent when the service has no private DNS name. */
  privateDnsVerificationState?: string;
}

/** What provisioning needs from EC2 beyond the reads both cores share. */
export interface ProvisioningEc2Port extends Ec2Port {
  describeEndpointService(serviceName: string, options?: CallOptions): Promise<EndpointServiceDetails>;
  /** ModifyVpcEndpoint AddSubnetIds / RemoveSubnetIds on one endpoint. */
  modifyEndpointSubnets(
    vpcEndpointId: string,
    change: { addSubnetIds: string[]; removeSubnetIds: string[] },
    options?: CallOptions,
  ): Promise<void>;
}

export const DETAIL_TYPES = {
  clusterDetected: 'TiDB Cluster Detected',
  provisioningProgressed: 'PrivateLink Provisioning Progressed',
  endpointReady: 'PrivateLink Endpoint Ready',
  provisioningBlocked: 'PrivateLink Provisioning Blocked',
  probeCompleted: 'PrivateLink Probe Completed',
  healthChanged: 'PrivateLink Health Changed',
  troubleshootRequested: 'PrivateLink Troubleshoot Requested',
} as const;

export type DetailType = (typeof DETAIL_TYPES)[keyof typeof DETAIL_TYPES];

export interface AppEvent {
  detailType: DetailType;
  detail: { clusterId: string; tidbNodeGroupId: string } & Record<string, unknown>;
}

export interface EventsPort {
  publish(events: AppEvent[], options?: CallOptions): Promise<void>;
}

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}
