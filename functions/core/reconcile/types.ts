import type {
  AvailabilityZone,
  Cluster,
  PrivateEndpointConnection,
  PrivateLinkService,
  Subnet,
  VpcDnsAttributes,
  VpcEndpoint,
} from '../model.ts';
import type { AccountEc2Port, Clock, EventsPort, ProvisioningEc2Port, TidbCloudPort } from '../ports.ts';
import type { ClusterSelection } from '../selection.ts';

/** What a reconcile is about: every trigger (tick, event, CLI) becomes one or more keys. */
export interface ReconcileKey {
  clusterId: string;
  /** Default node group when absent. */
  tidbNodeGroupId?: string;
}

/** One VPC of the stack: where its endpoints are created. */
export interface VpcPlacement {
  vpcId: string;
  subnetIds: string[];
  securityGroupIds: string[];
  /** A spoke VPC's account (another account's VPC, reached by an assumed role); absent: the stack's own. */
  accountId?: string;
}

export interface ReconcileSettings extends VpcPlacement {
  /** The AWS region this stack runs in, e.g. `us-east-1`. */
  region: string;
  /**
   * Every VPC of the stack (`PRIVATELINK_VPCS`), the one above among them; absent: that one alone. The core
   * reconciles one (cluster, VPC) at a time, with the fields above set to that VPC.
   */
  vpcs?: VpcPlacement[];
  projectId?: string;
  /** `PRIVATELINK_CLUSTERS`: clusters outside it are never touched; every cluster in scope when absent. */
  selection?: ClusterSelection;
  /** How often to re-observe while Progressing within one invocation (TiDB polls at 5 s too). */
  pollIntervalMs: number;
  /** The stack's TiDB Cloud quota: polling slows down so its listings stay within a third of it. */
  requestsPerMinute?: number;
  /** `PRIVATELINK_STACK_NAME`: endpoints tagged with another stack's name are never touched or judged. */
  stackName: string;
  /** `PRIVATELINK_PENDING_TIMEOUT_MIN` in ms: a connection PENDING longer than this is Blocked. */
  pendingTimeoutMs: number;
  /** `PRIVATELINK_DELETE_ORPHANS_AFTER_H` in ms; absent: orphans are marked and reported, never deleted. */
  deleteOrphansAfterMs?: number;
}

export const DEFAULT_STACK_NAME = 'tidb-privatelink';
export const DEFAULT_PENDING_TIMEOUT_MIN = 30;

/** Private link services read ACTIVE, by `clusterId/tidbNodeGroupId` (a Map, or a cache that forgets). */
export interface ServiceMemo {
  get(key: string): PrivateLinkService | undefined;
  set(key: string, service: PrivateLinkService): void;
}

export interface ReconcileDeps {
  tidb: TidbCloudPort;
  ec2: ProvisioningEc2Port;
  events: EventsPort;
  clock: Clock;
  settings: ReconcileSettings;
  /**
   * ACTIVE services kept across runs by a warm Lambda; absent: each run reads them again. A cluster whose
   * endpoint became Ready a run after its service was read still gets `Endpoint Ready` with its `known`
   * facts: without them its probe read every page of clusters and connections (21 requests at 1,000).
   */
  services?: ServiceMemo;
  /** Spoke VPCs' EC2 ports (their accounts' assumed roles); absent or undefined for a VPC: `ec2`. */
  accounts?: AccountEc2Port;
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
  /** EC2's private DNS name of the service and its verification state, read with its zones. */
  servicePrivateDns?: { name?: string; verificationState?: string };
  /**
   * This run already registered `endpoint` with TiDB Cloud, or adopted TiDB's registration of it: a connection
   * still missing or `DISCOVERED` is waited for, never registered again.
   */
  registered?: boolean;
}

export type Action =
  | { type: 'create-endpoint'; subnetIds: string[]; skippedSubnets: SkippedSubnet[] }
  | { type: 'register-connection'; vpcEndpointId: string }
  | { type: 'enable-private-dns'; vpcEndpointId: string }
  | {
      type: 'modify-endpoint-subnets';
      vpcEndpointId: string;
      addSubnetIds: string[];
      removeSubnetIds: string[];
      skippedSubnets: SkippedSubnet[];
    };

/** What the orphan pass does to this stack's endpoints whose cluster or node group is gone (orphans.ts). */
export type OrphanAction =
  | { type: 'mark-orphaned'; vpcEndpointId: string; orphanedSince: string }
  | { type: 'clear-orphaned'; vpcEndpointId: string }
  | { type: 'delete-connection'; vpcEndpointId: string; privateEndpointConnectionId: string }
  | { type: 'delete-endpoint'; vpcEndpointId: string };

/** An action as reported after it ran. */
export type AppliedAction = (Action | OrphanAction) & {
  vpcEndpointId?: string;
  privateEndpointConnectionId?: string;
  /** `register-connection`: TiDB Cloud already had the endpoint registered, and its connection was adopted. */
  adopted?: boolean;
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
  | 'PRIVATE_DNS_FAILED'
  | 'PRIVATE_DNS_UNAVAILABLE'
  | 'PENDING_TOO_LONG'
  | 'API_REFUSED'
  /** A spoke's role could not be assumed: its (cluster, VPC) pairs only. */
  | 'SPOKE_ACCESS_DENIED';

/** The pure plan's verdict for one cluster at one instant. */
export type Decision =
  | { kind: 'act'; action: Action }
  | { kind: 'wait'; waitingFor: string }
  | { kind: 'ready' }
  /** The user paused the cluster on purpose: nothing to do, nothing to report. */
  | { kind: 'idle'; why: string }
  | { kind: 'blocked'; reason: BlockedReason; message: string; remediation: string };

/**
 * The one list of phases (docs/contracts.md "Lifecycle and failure semantics"): the CLI's output and exit codes, the
 * events and the logs all read this type.
 */
export const PHASES = ['Ready', 'Progressing', 'Blocked', 'Idle', 'Orphaned', 'Error'] as const;
export type Phase = (typeof PHASES)[number];

/** An action a dry run would take, with what a person would type to take it by hand. */
export type PlannedAction = (Action | OrphanAction) & {
  /** The AWS CLI command or TiDB Cloud API request that does the same. */
  equivalent: string;
  /** When it would run, if not right away (e.g. after TiDB accepts the endpoint). */
  when?: string;
};

/** An API error that retries did not cure, for one cluster only. */
export interface OutcomeError {
  code: string;
  message: string;
}

/** The `provision --json` contract (docs/contracts.md). */
export interface ProvisionOutcome {
  clusterId: string;
  tidbNodeGroupId: string;
  /** The VPC of this outcome, when the stack serves several (one outcome per cluster per VPC). */
  vpcId?: string;
  /** The account of that VPC when it is a spoke's (another account); absent: the stack's own. */
  accountId?: string;
  phase: Phase;
  vpcEndpointId: string | null;
  actions: AppliedAction[];
  reason?: BlockedReason;
  message?: string;
  remediation?: string;
  waitingFor?: string;
  skippedSubnets?: SkippedSubnet[];
  /** Phase `Error` only. */
  error?: OutcomeError;
  /** Things worth knowing that change nothing, e.g. EC2's and TiDB's zone lists disagree. */
  notes?: string[];
  /** Phase `Orphaned`: when the endpoint was first seen orphaned, and when it will be deleted (if ever). */
  orphanedSince?: string;
  deletesAt?: string;
  /** `--dry-run` only: every action the run would take, in order; `actions` stays empty. */
  plannedActions?: PlannedAction[];
}
