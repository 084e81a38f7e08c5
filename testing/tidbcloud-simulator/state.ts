/**
 * The simulator's world: clusters, TiDB node groups (each with its private link service) and private
 * endpoint connections. Lifecycle states are computed lazily from `now()` when something reads them, so a
 * test compresses minutes of TiDB Cloud time by passing small timings or by advancing a manual clock.
 */

import { randomBytes, randomInt } from 'node:crypto';
import type { ClusterState, ConnectionState, PrivateLinkServiceState } from '../../functions/core/model.ts';
import { ListingOrder } from '../listing-order.ts';

export interface LifecycleTimings {
  clusterCreateMs: number;
  serviceReadyMs: number;
  connectionAcceptMs: number;
  connectionDeleteMs: number;
}

export interface SimHooks {
  /** Asked when a PENDING connection is due: false → FAILED "The VPC Endpoint Id … does not exist". */
  endpointExists?: (endpointId: string) => boolean | Promise<boolean>;
  /** Told when a connection turns ACTIVE, e.g. to flip an AWS fake's endpoint to `available`. */
  onConnectionActive?: (endpointId: string, connection: SimConnection) => void | Promise<void>;
}

export interface AddClusterInput {
  clusterId?: string;
  displayName?: string;
  /** Default `aws-us-east-1`. */
  regionId?: string;
  /** Fixes the state; without it the cluster is CREATING for `clusterCreateMs`, then ACTIVE. */
  state?: ClusterState;
  port?: number;
  /** Default: the simulator's default project. */
  projectId?: string;
  labels?: Record<string, string>;
  /** AZ IDs of the default group's service; default the region's az1..az3 (`use1-az1`, …). */
  availableZones?: string[];
  serviceName?: string;
  serviceDnsName?: string;
  defaultNodeGroupId?: string;
  /** Per-cluster overrides of the simulator's timings. */
  clusterCreateMs?: number;
  serviceReadyMs?: number;
}

/** What a test needs to know about a cluster it added. */
export interface SimCluster {
  clusterId: string;
  displayName: string;
  regionId: string;
  projectId: string;
  port: number;
  tidbNodeGroupId: string;
  serviceName: string;
  serviceDnsName: string;
  availableZones: string[];
}

export interface SimNodeGroup {
  tidbNodeGroupId: string;
  clusterId: string;
  displayName: string;
  isDefaultGroup: boolean;
  serviceName: string;
  serviceDnsName: string;
  availableZones: string[];
  serviceStateOverride?: PrivateLinkServiceState;
}

export interface SimConnection {
  privateEndpointConnectionId: string;
  clusterId: string;
  tidbNodeGroupId: string;
  endpointId: string;
  endpointState: ConnectionState;
  message: string;
  createdAt: number;
  acceptAt: number;
  deletingSince?: number;
}

interface ClusterRecord {
  clusterId: string;
  displayName: string;
  regionId: string;
  projectId: string;
  port: number;
  labels: Record<string, string>;
  state: ClusterState;
  createdAt: number;
  autoActiveAt?: number;
  activeSince?: number;
  serviceReadyMs: number;
  hash: string;
  groups: SimNodeGroup[];
}

export class SimError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export const ORGANIZATION_ID = '1372813089454000000';

const REGION_NAMES: Record<string, string> = {
  'us-east-1': 'N. Virginia (us-east-1)',
  'us-east-2': 'Ohio (us-east-2)',
  'us-west-2': 'Oregon (us-west-2)',
  'eu-central-1': 'Frankfurt (eu-central-1)',
  'eu-west-1': 'Ireland (eu-west-1)',
  'ap-southeast-1': 'Singapore (ap-southeast-1)',
  'ap-northeast-1': 'Tokyo (ap-northeast-1)',
};

const DIRECTIONS: Record<string, string> = {
  east: 'e',
  west: 'w',
  north: 'n',
  south: 's',
  central: 'c',
  northeast: 'ne',
  northwest: 'nw',
  southeast: 'se',
  southwest: 'sw',
};

/** A 19-digit decimal id, always beyond 2^53 like the real ones. */
export function newId(): string {
  return `${randomInt(1, 10)}${Array.from({ length: 18 }, () => randomInt(0, 10)).join('')}`;
}

function regionCode(regionId: string): string {
  return regionId.replace(/^[a-z]+-/, '');
}

/** `us-east-1` → `use1`, the prefix of AWS AZ IDs (`use1-az1`). */
export function azIdPrefix(region: string): string {
  const [area = '', direction = '', number = ''] = region.split('-');
  return `${area}${DIRECTIONS[direction] ?? direction.charAt(0)}${number}`;
}

function hex(length: number): string {
  return randomBytes(length).toString('hex').slice(0, length);
}

function alnum(length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from({ length }, () => alphabet.charAt(randomInt(0, alphabet.length))).join('');
}

export class SimState {
  private readonly clusters = new Map<string, ClusterRecord>();
  private readonly connections = new Map<string, SimConnection>();
  /** The same connections by cluster, for a cluster's listing without a pass over the whole fleet. */
  private readonly connectionsByCluster = new Map<string, Map<string, SimConnection>>();
  /**
   * What `advance` must look at, so a read costs what is in transition rather than the fleet: clusters
   * CREATING on the lifecycle clock, and connections that were PENDING or DELETING when last seen (each
   * dropped once it is neither, and added again by whatever sets such a state).
   */
  private readonly creating = new Set<ClusterRecord>();
  private readonly unsettled = new Set<SimConnection>();
  private readonly decisions = new Map<string, Promise<void>>();
  /**
   * The decisions still running: what a read waits for. Kept apart from `decisions` (which also marks the
   * connections decided for good) so a read does not wait on every connection ever decided.
   */
  private readonly deciding = new Set<Promise<void>>();
  /** The answer to a duplicate registration (see `SimulatorOptions.duplicateConnectionStatus`). */
  duplicateStatus: 400 | 409 = 400;
  /** The order of connection listings, which the API does not document (see `SimulatorOptions.listingSeed`). */
  listingOrder = new ListingOrder();

  constructor(
    readonly timings: LifecycleTimings,
    readonly hooks: SimHooks,
    readonly defaultProjectId: string,
    private readonly now: () => number,
    private readonly createdBy: string,
  ) {}

  addCluster(input: AddClusterInput = {}): SimCluster {
    const clusterId = input.clusterId ?? newId();
    const now = this.now();
    const createMs = input.clusterCreateMs ?? this.timings.clusterCreateMs;
    const fixed = input.state !== undefined;
    const state = input.state ?? (createMs > 0 ? 'CREATING' : 'ACTIVE');
    const record: ClusterRecord = {
      clusterId,
      displayName: input.displayName ?? `cluster-${clusterId.slice(-6)}`,
      regionId: input.regionId ?? 'aws-us-east-1',
      projectId: input.projectId ?? this.defaultProjectId,
      port: input.port ?? 4000,
      labels: { ...(input.labels ?? {}) },
      state,
      createdAt: now,
      ...(fixed || createMs <= 0 ? {} : { autoActiveAt: now + createMs }),
      ...(state === 'ACTIVE' ? { activeSince: now } : {}),
      serviceReadyMs: input.serviceReadyMs ?? this.timings.serviceReadyMs,
      hash: alnum(12),
      groups: [],
    };
    this.clusters.set(clusterId, record);
    if (record.autoActiveAt !== undefined) this.creating.add(record);
    const group = this.newGroup(record, {
      displayName: 'DefaultGroup',
      isDefaultGroup: true,
      ...(input.defaultNodeGroupId ? { tidbNodeGroupId: input.defaultNodeGroupId } : {}),
      ...(input.availableZones ? { availableZones: input.availableZones } : {}),
      ...(input.serviceName ? { serviceName: input.serviceName } : {}),
      ...(input.serviceDnsName ? { serviceDnsName: input.serviceDnsName } : {}),
    });
    return this.describe(record, group);
  }

  addNodeGroup(clusterId: string, input: Partial<SimNodeGroup> = {}): SimNodeGroup {
    return { ...this.newGroup(this.cluster(clusterId), { ...input, isDefaultGroup: false }) };
  }

  removeCluster(clusterId: string): void {
    const record = this.clusters.get(clusterId);
    if (record) this.creating.delete(record);
    this.clusters.delete(clusterId);
    for (const connection of this.connectionsOf(clusterId)) this.dropConnection(connection);
    this.connectionsByCluster.delete(clusterId);
  }

  removeNodeGroup(clusterId: string, groupId: string): void {
    const record = this.cluster(clusterId);
    record.groups = record.groups.filter((group) => group.tidbNodeGroupId !== groupId);
    for (const connection of this.connectionsOf(clusterId)) {
      if (connection.tidbNodeGroupId === groupId) this.dropConnection(connection);
    }
  }

  setClusterState(clusterId: string, state: ClusterState): void {
    const record = this.cluster(clusterId);
    record.state = state;
    delete record.autoActiveAt;
    if (state === 'ACTIVE' && record.activeSince === undefined) record.activeSince = this.now();
  }

  /** Pins a node group's service state (`undefined` returns it to the lifecycle clock). */
  setServiceState(clusterId: string, state: PrivateLinkServiceState | undefined, groupId?: string): void {
    const group = this.group(clusterId, groupId ?? this.defaultGroup(clusterId).tidbNodeGroupId);
    if (state === undefined) delete group.serviceStateOverride;
    else group.serviceStateOverride = state;
  }

  /** Seeds a connection in any state (e.g. DISCOVERED, or an ACTIVE one from an earlier run). */
  seedConnection(input: {
    clusterId: string;
    tidbNodeGroupId?: string;
    endpointId: string;
    endpointState?: ConnectionState;
    message?: string;
  }): SimConnection {
    const group = this.group(
      input.clusterId,
      input.tidbNodeGroupId ?? this.defaultGroup(input.clusterId).tidbNodeGroupId,
    );
    const connection = this.newConnection(group, input.endpointId);
    connection.endpointState = input.endpointState ?? 'ACTIVE';
    connection.message = input.message ?? '';
    return { ...connection };
  }

  setConnectionState(connectionId: string, state: ConnectionState, message = ''): void {
    const connection = this.connections.get(connectionId);
    if (!connection) throw new Error(`no connection ${connectionId}`);
    connection.endpointState = state;
    connection.message = message;
    this.unsettled.add(connection);
    this.decisions.set(connectionId, Promise.resolve());
  }

  /** Applies every transition that is due. Async because the hooks may be. */
  async advance(): Promise<void> {
    const now = this.now();
    for (const record of [...this.creating]) {
      if (record.autoActiveAt === undefined) this.creating.delete(record);
      else if (record.state === 'CREATING' && now >= record.autoActiveAt) {
        record.state = 'ACTIVE';
        record.activeSince = record.autoActiveAt;
        delete record.autoActiveAt;
        this.creating.delete(record);
      }
    }
    for (const connection of [...this.unsettled]) {
      if (connection.endpointState === 'PENDING' && now >= connection.acceptAt) this.decide(connection);
      const deleteAt =
        (connection.deletingSince ?? Number.POSITIVE_INFINITY) + this.timings.connectionDeleteMs;
      if (connection.endpointState === 'DELETING' && now >= deleteAt) this.dropConnection(connection);
      const inTransition = connection.endpointState === 'PENDING' || connection.endpointState === 'DELETING';
      if (!inTransition || !this.connections.has(connection.privateEndpointConnectionId)) {
        this.unsettled.delete(connection);
      }
    }
    await Promise.all(this.deciding);
  }

  // ---- reads and writes used by the HTTP routes ----

  listClusters(): ClusterRecord[] {
    return [...this.clusters.values()];
  }

  cluster(clusterId: string): ClusterRecord {
    const record = this.clusters.get(clusterId);
    if (!record) throw new SimError(404, 5, `cluster ${clusterId} not found`);
    return record;
  }

  group(clusterId: string, groupId: string): SimNodeGroup {
    const group = this.cluster(clusterId).groups.find((item) => item.tidbNodeGroupId === groupId);
    if (!group) throw new SimError(404, 5, `TiDB node group ${groupId} of cluster ${clusterId} not found`);
    return group;
  }

  defaultGroup(clusterId: string): SimNodeGroup {
    const group = this.cluster(clusterId).groups.find((item) => item.isDefaultGroup);
    if (!group) throw new Error(`cluster ${clusterId} has no default group`);
    return group;
  }

  serviceState(group: SimNodeGroup): PrivateLinkServiceState {
    if (group.serviceStateOverride) return group.serviceStateOverride;
    const record = this.cluster(group.clusterId);
    if (record.state === 'DELETING') return 'DELETING';
    const readyAt = (record.activeSince ?? Number.POSITIVE_INFINITY) + record.serviceReadyMs;
    return this.now() >= readyAt ? 'ACTIVE' : 'CREATING';
  }

  allConnections(): SimConnection[] {
    return [...this.connections.values()];
  }

  /** One cluster's connections, in the order `allConnections` lists them. */
  connectionsOf(clusterId: string): SimConnection[] {
    return [...(this.connectionsByCluster.get(clusterId)?.values() ?? [])];
  }

  connection(clusterId: string, groupId: string, connectionId: string): SimConnection {
    this.group(clusterId, groupId);
    const connection = this.connections.get(connectionId);
    if (!connection || connection.clusterId !== clusterId || connection.tidbNodeGroupId !== groupId) {
      throw new SimError(404, 5, `private endpoint connection ${connectionId} not found`);
    }
    return connection;
  }

  createConnection(clusterId: string, groupId: string, endpointId: string): SimConnection {
    const group = this.group(clusterId, groupId);
    if (this.cluster(clusterId).state !== 'ACTIVE' || this.serviceState(group) !== 'ACTIVE') {
      // Undocumented: the console refuses endpoints before "TiDB Private Link Service is ready".
      throw new SimError(400, 9, `the private link service of TiDB node group ${groupId} is not ready yet`);
    }
    const duplicate = this.allConnections().find(
      (item) => item.endpointId === endpointId && item.endpointState !== 'DELETING',
    );
    if (duplicate) {
      // Undocumented in the real API: 400 INVALID_ARGUMENT, or 409 ALREADY_EXISTS as grpc-gateway maps it.
      const [status, code] = this.duplicateStatus === 409 ? [409, 6] : [400, 3];
      throw new SimError(status, code, `endpoint ${endpointId} is already registered`);
    }
    return this.newConnection(group, endpointId);
  }

  deleteConnection(clusterId: string, groupId: string, connectionId: string): void {
    const connection = this.connection(clusterId, groupId, connectionId);
    if (connection.endpointState !== 'DELETING') {
      connection.endpointState = 'DELETING';
      connection.deletingSince = this.now();
      this.unsettled.add(connection);
    }
  }

  describe(record: ClusterRecord, group: SimNodeGroup = this.defaultGroup(record.clusterId)): SimCluster {
    return {
      clusterId: record.clusterId,
      displayName: record.displayName,
      regionId: record.regionId,
      projectId: record.projectId,
      port: record.port,
      tidbNodeGroupId: group.tidbNodeGroupId,
      serviceName: group.serviceName,
      serviceDnsName: group.serviceDnsName,
      availableZones: [...group.availableZones],
    };
  }

  regionDisplayName(regionId: string): string {
    const code = regionCode(regionId);
    return REGION_NAMES[code] ?? code;
  }

  get createdByValue(): string {
    return this.createdBy;
  }

  private newGroup(record: ClusterRecord, input: Partial<SimNodeGroup>): SimNodeGroup {
    const tidbNodeGroupId = input.tidbNodeGroupId ?? newId();
    const region = regionCode(record.regionId);
    const group: SimNodeGroup = {
      tidbNodeGroupId,
      clusterId: record.clusterId,
      displayName: input.displayName ?? `group-${tidbNodeGroupId.slice(-4)}`,
      isDefaultGroup: input.isDefaultGroup ?? false,
      serviceName: input.serviceName ?? `com.amazonaws.vpce.${region}.vpce-svc-${hex(17)}`,
      serviceDnsName:
        input.serviceDnsName ??
        `privatelink-${tidbNodeGroupId.slice(0, 8)}.${record.hash}.clusters.tidb-cloud.com`,
      availableZones: input.availableZones ?? [1, 2, 3].map((n) => `${azIdPrefix(region)}-az${n}`),
    };
    record.groups.push(group);
    return group;
  }

  private newConnection(group: SimNodeGroup, endpointId: string): SimConnection {
    const now = this.now();
    const connection: SimConnection = {
      privateEndpointConnectionId: newId(),
      clusterId: group.clusterId,
      tidbNodeGroupId: group.tidbNodeGroupId,
      endpointId,
      endpointState: 'PENDING',
      message: '',
      createdAt: now,
      acceptAt: now + this.timings.connectionAcceptMs,
    };
    this.connections.set(connection.privateEndpointConnectionId, connection);
    const ofCluster = this.connectionsByCluster.get(group.clusterId) ?? new Map<string, SimConnection>();
    ofCluster.set(connection.privateEndpointConnectionId, connection);
    this.connectionsByCluster.set(group.clusterId, ofCluster);
    this.unsettled.add(connection);
    return connection;
  }

  private dropConnection(connection: SimConnection): void {
    const id = connection.privateEndpointConnectionId;
    this.connections.delete(id);
    this.connectionsByCluster.get(connection.clusterId)?.delete(id);
    this.unsettled.delete(connection);
  }

  /** Runs the acceptance check once per connection, however many requests race to read it. */
  private decide(connection: SimConnection): void {
    const id = connection.privateEndpointConnectionId;
    if (this.decisions.has(id)) return;
    const decision = this.runDecision(connection).catch(() => {
      // A throwing hook leaves the connection PENDING; the next read asks again.
      this.decisions.delete(id);
    });
    this.decisions.set(id, decision);
    this.deciding.add(decision);
    void decision.finally(() => this.deciding.delete(decision));
  }

  private async runDecision(connection: SimConnection): Promise<void> {
    const exists = (await this.hooks.endpointExists?.(connection.endpointId)) ?? true;
    if (connection.endpointState !== 'PENDING') return;
    if (!exists) {
      connection.endpointState = 'FAILED';
      connection.message = `The VPC Endpoint Id '{${connection.endpointId} []}' does not exist`;
      return;
    }
    connection.endpointState = 'ACTIVE';
    await this.hooks.onConnectionActive?.(connection.endpointId, { ...connection });
  }
}
