/**
 * Ports: what the cores need from the outside world. Adapters in `functions/adapters/` implement them with
 * the AWS SDK, fetch, node:dns, node:net and mysql2; tests implement them in memory (`testing/`).
 */
import type {
  AvailabilityZone,
  Cluster,
  DhcpOptions,
  FirewallRule,
  FirewallRuleGroupAssociation,
  NetworkAcl,
  NetworkInterface,
  NodeGroup,
  PrefixList,
  PrivateEndpointConnection,
  PrivateHostedZone,
  PrivateLinkService,
  ResolverEndpoint,
  ResolverRule,
  ResolverRuleAssociation,
  RouteTable,
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

/*
 * The EC2 calls, in ports as small as their users: a fake or a decorator implements only what its test or
 * its core needs. They follow the adapter's split (`adapters/aws/ec2-endpoints.ts`, `ec2-network.ts`).
 * Describe calls return every page.
 */

/** The interface endpoints the cores look at. */
export interface EndpointReadsPort {
  /** Endpoints carrying the managed-by tag, optionally narrowed by more tag filters. */
  listManagedEndpoints(tags?: Record<string, string>, options?: CallOptions): Promise<VpcEndpoint[]>;
  /** Interface endpoints in a VPC to a service, whoever created them. */
  findEndpoints(
    filter: { vpcId?: string; serviceName?: string; vpcEndpointIds?: string[] },
    options?: CallOptions,
  ): Promise<VpcEndpoint[]>;
}

/** What provisioning (and the probe's health tag) changes on an endpoint. */
export interface EndpointChangesPort {
  createInterfaceEndpoint(input: CreateEndpointInput, options?: CallOptions): Promise<VpcEndpoint>;
  enablePrivateDns(vpcEndpointId: string, options?: CallOptions): Promise<void>;
  tagResource(resourceId: string, tags: Record<string, string>, options?: CallOptions): Promise<void>;
}

/** An endpoint service as this account sees it. */
export interface EndpointServicesPort {
  /** The AZ *names* (in this account's naming) where the endpoint service is offered. */
  describeServiceZones(serviceName: string, options?: CallOptions): Promise<string[]>;
}

/** The VPC's network as a packet and a DNS query meet it: placement, filters, routes, resolver settings. */
export interface NetworkReadsPort {
  describeSubnets(subnetIds: string[], options?: CallOptions): Promise<Subnet[]>;
  describeAvailabilityZones(options?: CallOptions): Promise<AvailabilityZone[]>;
  describeVpc(vpcId: string, options?: CallOptions): Promise<Vpc>;
  describeVpcDnsAttributes(vpcId: string, options?: CallOptions): Promise<VpcDnsAttributes>;
  describeSecurityGroupRules(groupIds: string[], options?: CallOptions): Promise<SecurityGroupRule[]>;
  describePrefixLists(prefixListIds: string[], options?: CallOptions): Promise<PrefixList[]>;
  describeNetworkAcls(subnetIds: string[], options?: CallOptions): Promise<NetworkAcl[]>;
  describeNetworkInterfaces(ids: string[], options?: CallOptions): Promise<NetworkInterface[]>;
  /** The VPC's DHCP options set; `undefined` when it has none (`default`). */
  describeDhcpOptions(vpcId: string, options?: CallOptions): Promise<DhcpOptions | undefined>;
  /** Every route table of the VPC, the main one included. */
  describeRouteTables(vpcId: string, options?: CallOptions): Promise<RouteTable[]>;
}

/** The EC2 calls of both cores, for callers that need them all. */
export interface Ec2Port
  extends EndpointReadsPort,
    EndpointChangesPort,
    EndpointServicesPort,
    NetworkReadsPort {}

/** Route 53, read only: the private hosted zones a VPC's resolver answers from. */
export interface HostedZonesPort {
  listHostedZonesByVpc(vpcId: string, region: string, options?: CallOptions): Promise<PrivateHostedZone[]>;
}

/** Route 53 Resolver and its DNS Firewall, read only. List calls return every page. */
export interface ResolverPort {
  /** Every rule the account can use (its own, shared ones, and AWS's built-in ones). */
  listResolverRules(options?: CallOptions): Promise<ResolverRule[]>;
  listResolverRuleAssociations(vpcId: string, options?: CallOptions): Promise<ResolverRuleAssociation[]>;
  listResolverEndpoints(vpcId: string, options?: CallOptions): Promise<ResolverEndpoint[]>;
  listFirewallRuleGroupAssociations(
    vpcId: string,
    options?: CallOptions,
  ): Promise<FirewallRuleGroupAssociation[]>;
  listFirewallRules(firewallRuleGroupId: string, options?: CallOptions): Promise<FirewallRule[]>;
  listFirewallDomains(firewallDomainListId: string, options?: CallOptions): Promise<string[]>;
}

/** EC2's view of an endpoint service (DescribeVpcEndpointServices `ServiceDetails[]`). */
export interface EndpointServiceDetails {
  /** AZ names in this account's naming. */
  zoneNames: string[];
  privateDnsName?: string;
  /** `verified`, `pendingVerification`, `failed`; absent when the service has no private DNS name. */
  privateDnsVerificationState?: string;
}

/** What only provisioning does to endpoints: resize, clean up, delete; and the service's DNS facts. */
export interface EndpointLifecyclePort {
  describeEndpointService(serviceName: string, options?: CallOptions): Promise<EndpointServiceDetails>;
  /** ModifyVpcEndpoint AddSubnetIds / RemoveSubnetIds on one endpoint. */
  modifyEndpointSubnets(
    vpcEndpointId: string,
    change: { addSubnetIds: string[]; removeSubnetIds: string[] },
    options?: CallOptions,
  ): Promise<void>;
  /** DeleteVpcEndpoints; an endpoint already gone is not an error, any other refusal is an `AwsError`. */
  deleteVpcEndpoints(vpcEndpointIds: string[], options?: CallOptions): Promise<void>;
  /** DeleteTags of these keys (whatever their values) from one resource. */
  deleteTags(resourceId: string, keys: string[], options?: CallOptions): Promise<void>;
}

/** What provisioning needs from EC2: the reads both cores share and the endpoint lifecycle. */
export interface ProvisioningEc2Port extends Ec2Port, EndpointLifecyclePort {}

/**
 * The EC2 port of a VPC in another account (a spoke: its calls go with that account's assumed role);
 * undefined for a VPC of the stack's own account, whose calls use the stack's own port.
 */
export interface AccountEc2Port {
  ec2Of(vpcId: string): ProvisioningEc2Port | undefined;
}

export const DETAIL_TYPES = {
  clusterDetected: 'TiDB Cluster Detected',
  provisioningProgressed: 'PrivateLink Provisioning Progressed',
  endpointReady: 'PrivateLink Endpoint Ready',
  provisioningBlocked: 'PrivateLink Provisioning Blocked',
  probeCompleted: 'PrivateLink Probe Completed',
  healthChanged: 'PrivateLink Health Changed',
  troubleshootRequested: 'PrivateLink Troubleshoot Requested',
  endpointOrphaned: 'PrivateLink Endpoint Orphaned',
  endpointDeleted: 'PrivateLink Endpoint Deleted',
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

/** What the registry keeps of a cluster's private link service, so `status` need not ask TiDB again. */
export interface ServiceFacts {
  state: string;
  serviceName: string;
  availableZones: string[];
}

/** One cluster as the stack has seen it. Times are ISO-8601 strings. */
export interface ClusterRecord {
  clusterId: string;
  tidbNodeGroupId: string;
  /** Empty while only a phase or service has been written (no first sighting yet). */
  firstSeenAt: string;
  /** The last phase a reconcile reported, and since when it has been in it. */
  phase?: string;
  phaseSince?: string;
  service?: ServiceFacts;
  /** Set when the cluster is gone; the row then expires on its own. */
  deletedAt?: string;
}

/**
 * State that outlives an invocation: which clusters the stack has seen, their phase and since when. Every
 * write is conditional, so two concurrent runs agree on who saw a cluster first.
 */
export interface ClusterRegistry {
  /** Records the first sighting; `first` is true for exactly one caller per cluster, however many race. */
  recordSighting(
    clusterId: string,
    tidbNodeGroupId: string,
    at: number,
    options?: CallOptions,
  ): Promise<{ first: boolean }>;
  /**
   * Records a phase; `since` moves only when the phase differs from the recorded one. Answers whether it
   * changed, and from what: `previous` is the phase recorded before (absent when the row had none), `known`
   * whether the row existed at all.
   */
  setPhase(
    clusterId: string,
    phase: string,
    since: number,
    options?: CallOptions,
  ): Promise<{ changed: boolean; known: boolean; previous?: string }>;
  recordService(clusterId: string, service: ServiceFacts, options?: CallOptions): Promise<void>;
  get(clusterId: string, options?: CallOptions): Promise<ClusterRecord | undefined>;
  list(options?: CallOptions): Promise<ClusterRecord[]>;
  /** The cluster is gone: keep its row `retainSeconds` longer (for `status`), then let it expire. */
  markDeleted(clusterId: string, at: number, retainSeconds: number, options?: CallOptions): Promise<void>;
}

/** The endpoint whose last health is recorded, and the ids its events carry. */
export interface HealthKey {
  vpcEndpointId: string;
  clusterId: string;
  tidbNodeGroupId: string;
}

/**
 * Each endpoint's last health, where overlapping probe runs agree on who saw a flip first (the state table).
 * `recordHealth` writes `health` unless it is already the recorded value: `changed` is true for exactly one
 * caller per flip, however many race, with `previous` the value it replaced (`null`: nothing recorded).
 */
export interface HealthRecordPort {
  recordHealth(
    key: HealthKey,
    health: string,
    at: number,
    options?: CallOptions,
  ): Promise<{ changed: true; previous: string | null } | { changed: false }>;
}

/**
 * What a caller knows of the stack's ring of TiDB Cloud request slots (core/shared-budget.ts explains it):
 * `next` is the number the next take gets, `last` when the latest take was sent (epoch ms), `slots[i]` when
 * the latest take sampled into slot i was sent; absent when there was none.
 */
export interface QuotaRing {
  next: number;
  last?: number;
  slots: readonly (number | undefined)[];
}

/** One take the shared budget asks the counter to record: number `index` of the ring for `limit`, sent at `at`. */
export interface QuotaTake {
  /** The budget's limit: it names the ring, so budgets of different limits never share slots. */
  limit: number;
  index: number;
  at: number;
  /** A slot whose take must have been sent at or before `freeBefore`; absent while the ring holds too few. */
  check?: { slot: number; freeBefore: number };
  /** The slot this take's send time is sampled into; absent when it is not sampled. */
  recordSlot?: number;
}

/**
 * The stack's one TiDB Cloud quota, shared by every function and every instance that uses the key.
 * `tryTake` records `take` atomically, only while the ring's next number is still `take.index`, the checked
 * slot's take was sent at or before `check.freeBefore` and the latest take no later than `take.at`; refused,
 * it answers the ring as it is now, so the caller needs no separate read.
 */
export interface QuotaCounter {
  tryTake(
    take: QuotaTake,
    options?: CallOptions,
  ): Promise<{ taken: true } | { taken: false; ring: QuotaRing }>;
}

/** Who holds a lease, and until when (epoch ms, on the holder's clock). */
export interface LeaseHeld {
  holder: string;
  until: number;
}

/**
 * Named leases that outlive an invocation (the state table's `lease#<name>` items). Both calls are single
 * conditional writes, so two callers never both take a lease; neither relies on the table's TTL.
 */
export interface LeaseStore {
  /**
   * Takes `name` for `holder` until `until`, when it is free: never taken, released, or held until before
   * `freeBefore` (an expired lease may be stolen). Otherwise answers who holds it.
   */
  tryTake(
    name: string,
    lease: LeaseHeld,
    freeBefore: number,
    options?: CallOptions,
  ): Promise<{ taken: true } | { taken: false; heldBy: LeaseHeld }>;
  /** Frees `name` only while this very lease (same holder, same `until`) holds it; false when it no longer did. */
  release(name: string, lease: LeaseHeld, options?: CallOptions): Promise<boolean>;
}

/** What the TiDB Cloud client asks before each request it sends. */
export interface RequestBudget {
  take(signal?: AbortSignal): Promise<void>;
}
