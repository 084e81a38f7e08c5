import type {
  AvailabilityZone,
  Cluster,
  PrivateEndpointConnection,
  PrivateLinkService,
  Subnet,
  VpcDnsAttributes,
  VpcEndpoint,
} from '../model.ts';
import type { Clock, Ec2Port, EventsPort, TidbCloudPort } from '../ports.ts';
import type { ClusterSelection } from '../selection.ts';

/** What a reconcile is about: every trigger (tick, event, CLI) becomes one or more keys. */
export interface ReconcileKey {
  clusterId: string;
  /** Default node group when absent. */
  tidbNodeGroupId?: string;
}

export interface ReconcileSettings {
  /** The AWS region this stack runs in, e.g. `us-east-1`. */
  region: string;
  vpcId: string;
  subnetIds: string[];
  securityGroupIds: string[];
  projectId?: string;
  /** `PRIVATELINK_CLUSTERS`: clusters outside it are never touched; every cluster in scope when absent. */
  selection?: ClusterSelection;
  /** How often to re-observe while Progressing within one invocation (TiDB polls at 5 s too). */
  pollIntervalMs: number;
}

export interface ReconcileDeps {
  tidb: TidbCloudPort;
  ec2: Ec2Port;
  events: EventsPort;
  clock: Clock;
  settings: ReconcileSettings;
}

/** Facts about the customer's VPC, read lazily and once per reconcile pass, shared by all clusters. */
export interface VpcFacts {
  subnets: Subnet[];
  zones: AvailabilityZone[];
  dns: VpcDnsAttributes;
}

/** Everything plan() looks at for one cluster. Optional parts are observed only when needed. */
export interface Observation {
  cluster: Cluster;
  tidbNodeGroupId: string;
  /** Our endpoint for this cluster + node group in the configured VPC (managed-by tag), if any. */
  endpoint?: VpcEndpoint;
  /** TiDB's connection for `endpoint`, if registered. */
  connection?: PrivateEndpointConnection;
  /** Absent when the cluster is converged (not fetched) or not reached yet. */
  service?: PrivateLinkService;
  /** Observed only when an endpoint must be created. */
  vpc?: VpcFacts;
  /** AZ names EC2 offers the service in (this account's naming), when an endpoint must be created. */
  serviceZoneNames?: string[];
  /** Endpoints to the service in the VPC that we did not create (a hand-made one blocks ours). */
  foreignEndpoints?: VpcEndpoint[];
}

export type Action =
  | { type: 'create-endpoint'; subnetIds: string[]; skippedSubnets: SkippedSubnet[] }
  | { type: 'register-connection'; vpcEndpointId: string }
  | { type: 'enable-private-dns'; vpcEndpointId: string };

/** An action as reported after it ran. */
export type AppliedAction = Action & {
  vpcEndpointId?: string;
  privateEndpointConnectionId?: string;
  at: string;
};

export interface SkippedSubnet {
  subnetId: string;
  availabilityZone: string;
  availabilityZoneId: string;
  reason: string;
}

export type BlockedReason =
  | 'NOT_AWS'
  | 'REGION_MISMATCH'
  | 'CLUSTER_PAUSED'
  | 'CLUSTER_UNAVAILABLE'
  | 'SERVICE_DELETING'
  | 'NO_SUPPORTED_SUBNET'
  | 'VPC_DNS_ATTRIBUTES'
  | 'FOREIGN_ENDPOINT'
  | 'ENDPOINT_REJECTED'
  | 'ENDPOINT_CREATE_FAILED'
  | 'TIDB_CONNECTION_FAILED'
  | 'PRIVATE_DNS_FAILED';

/** The pure plan's verdict for one cluster at one instant. */
export type Decision =
  | { kind: 'act'; action: Action }
  | { kind: 'wait'; waitingFor: string }
  | { kind: 'ready' }
  | { kind: 'blocked'; reason: BlockedReason; message: string; remediation: string };

export type Phase = 'Ready' | 'Progressing' | 'Blocked';

/** The `provision --json` contract (DESIGN.md). */
export interface ProvisionOutcome {
  clusterId: string;
  tidbNodeGroupId: string;
  phase: Phase;
  vpcEndpointId: string | null;
  actions: AppliedAction[];
  reason?: BlockedReason;
  message?: string;
  remediation?: string;
  waitingFor?: string;
  skippedSubnets?: SkippedSubnet[];
}
