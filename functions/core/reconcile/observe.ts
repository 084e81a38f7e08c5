import { allOrAbort } from '../concurrency.ts';
import { TidbCloudNotFoundError, UsageError } from '../errors.ts';
import {
  CLUSTER_ID_TAG,
  type Cluster,
  type ConnectionState,
  defaultNodeGroup,
  isManaged,
  isOurs,
  NODE_GROUP_ID_TAG,
  type PrivateEndpointConnection,
  type VpcEndpoint,
} from '../model.ts';
import type { CallOptions, EndpointServiceDetails } from '../ports.ts';
import { detailsNeeded } from './plan.ts';
import { retryPassRead } from './retry-read.ts';
import {
  DEFAULT_STACK_NAME,
  type Observation,
  type ReconcileDeps,
  type ReconcileKey,
  type ReconcileSettings,
  type ServiceMemo,
  type VpcFacts,
} from './types.ts';

/** What one batch of list calls returns: the level the reconcile works from. */
export interface Snapshot {
  clusters: Cluster[];
  connections: PrivateEndpointConnection[];
  endpoints: VpcEndpoint[];
}

/**
 * The whole world in O(N/100) TiDB calls and O(1) EC2 calls: every cluster, every connection (the `-`/`-`
 * listing), every managed endpoint. Per-cluster calls happen only for clusters that are not converged. The
 * EC2 listing is retried inside the pass (retry-read.ts); TiDB's client retries its own calls.
 */
export async function observeAll(deps: ReconcileDeps, options: CallOptions): Promise<Snapshot> {
  const { projectId } = deps.settings;
  const [clusters, connections, endpoints] = await allOrAbort(options.signal, (signal) => [
    deps.tidb.listClusters({ projectId }, { ...options, signal }),
    deps.tidb.listConnections({ projectId }, { ...options, signal }),
    retryPassRead(() => deps.ec2.listManagedEndpoints({}, { ...options, signal }), deps.clock, {
      ...options,
      signal,
    }),
  ]);
  return { clusters, connections, endpoints };
}

/** One cluster, read fresh: for `provision --cluster` and event-driven provisioning. */
export async function observeOne(
  deps: ReconcileDeps,
  key: ReconcileKey,
  options: CallOptions,
): Promise<Snapshot> {
  const [cluster, endpoints] = await Promise.all([
    deps.tidb.getCluster(key.clusterId, options),
    retryPassRead(
      () => deps.ec2.listManagedEndpoints({ [CLUSTER_ID_TAG]: key.clusterId }, options),
      deps.clock,
      options,
    ),
  ]);
  const tidbNodeGroupId = await resolveNodeGroup(deps, cluster, key.tidbNodeGroupId, options);
  const connections = await deps.tidb.listConnections(
    { clusterId: cluster.clusterId, tidbNodeGroupId },
    options,
  );
  return { clusters: [cluster], connections, endpoints };
}

/** The default node group unless one is named; list responses may omit groups, so fall back to the API. */
export async function resolveNodeGroup(
  deps: Pick<ReconcileDeps, 'tidb'>,
  cluster: Cluster,
  wanted: string | undefined,
  options: CallOptions,
): Promise<string> {
  const groups =
    cluster.nodeGroups.length > 0
      ? cluster.nodeGroups
      : await deps.tidb.listNodeGroups(cluster.clusterId, options);
  const group = wanted
    ? groups.find((g) => g.tidbNodeGroupId === wanted)
    : defaultNodeGroup({ ...cluster, nodeGroups: groups });
  if (!group) {
    throw new UsageError(
      wanted
        ? `Cluster ${cluster.clusterId} has no TiDB node group ${wanted}.`
        : `Cluster ${cluster.clusterId} has no TiDB node group yet.`,
    );
  }
  return group.tidbNodeGroupId;
}

const ENDPOINT_RANK: Record<string, number> = { available: 0, pendingAcceptance: 1, pending: 2 };
const CONNECTION_RANK: Partial<Record<string, number>> & Record<ConnectionState, number> = {
  ACTIVE: 0,
  PENDING: 1,
  DISCOVERED: 2,
  FAILED: 3,
  DELETING: 4,
};

const byRank =
  <T>(rank: (item: T) => number) =>
  (a: T, b: T) =>
    rank(a) - rank(b);

/** States in which an endpoint is gone or going: it counts as no endpoint (docs/contracts.md "Endpoint identity"). */
export const GONE_STATES: ReadonlySet<string> = new Set(['deleted', 'deleting', 'expired']);

/**
 * This stack's endpoint for a cluster + node group in the configured VPC; deleted or expired ones no longer
 * count, and another stack's are not ours to see.
 */
export function findOurEndpoint(
  endpoints: VpcEndpoint[],
  clusterId: string,
  tidbNodeGroupId: string,
  vpcId: string,
  stackName = DEFAULT_STACK_NAME,
): VpcEndpoint | undefined {
  return endpoints
    .filter(
      (endpoint) =>
        endpoint.vpcId === vpcId &&
        isOurs(endpoint, stackName) &&
        endpoint.tags[CLUSTER_ID_TAG] === clusterId &&
        endpoint.tags[NODE_GROUP_ID_TAG] === tidbNodeGroupId &&
        !GONE_STATES.has(endpoint.state),
    )
    .sort(byRank((endpoint) => ENDPOINT_RANK[endpoint.state] ?? 9))[0];
}

export function findConnection(
  connections: PrivateEndpointConnection[],
  vpcEndpointId: string | undefined,
): PrivateEndpointConnection | undefined {
  if (!vpcEndpointId) return undefined;
  return connections
    .filter((connection) => connection.endpointId === vpcEndpointId)
    .sort(byRank((connection) => CONNECTION_RANK[connection.endpointState] ?? 9))[0];
}

/** Pure: the observation of one cluster within a snapshot. */
export function observationOf(
  cluster: Cluster,
  tidbNodeGroupId: string,
  snapshot: Snapshot,
  settings: Pick<ReconcileSettings, 'vpcId' | 'stackName'>,
): Observation {
  const endpoint = findOurEndpoint(
    snapshot.endpoints,
    cluster.clusterId,
    tidbNodeGroupId,
    settings.vpcId,
    settings.stackName,
  );
  return {
    cluster,
    tidbNodeGroupId,
    endpoint,
    connection: findConnection(snapshot.connections, endpoint?.vpcEndpointId),
  };
}

/** What one run (all its passes) remembers: what no later pass needs to read or do again. */
export interface RunMemory {
  /** Private link services read ACTIVE, by `clusterId/tidbNodeGroupId` (the warm Lambda's, if it keeps them). */
  services: ServiceMemo;
  /** Endpoints this run registered with TiDB Cloud (or adopted TiDB's registration of): never again. */
  registered: Set<string>;
}

export const newRunMemory = (services: ServiceMemo = new Map()): RunMemory => ({
  services,
  registered: new Set(),
});

/**
 * `read`'s answer kept under `key` for the callers after it; a failure is not kept, so the next caller reads
 * again instead of inheriting it (one failed read must not fail every cluster after it in the pass).
 */
function shared<T>(cache: Map<string, Promise<T>>, key: string, read: () => Promise<T>): Promise<T> {
  const held = cache.get(key);
  if (held) return held;
  const fresh = read();
  cache.set(key, fresh);
  fresh.catch(() => {
    if (cache.get(key) === fresh) cache.delete(key);
  });
  return fresh;
}

/**
 * Reads the details plan() needs, once per reconcile pass: VPC facts are shared by every cluster, service
 * zones by every cluster of the same service. Each EC2 read is retried inside the pass (retry-read.ts): the
 * cluster cannot take its next step without it, and a failure would cost it a whole tick.
 */
export class DetailReader {
  private readonly vpcFacts = new Map<string, Promise<VpcFacts>>();
  private readonly services = new Map<string, Promise<EndpointServiceDetails>>();

  constructor(
    private readonly deps: ReconcileDeps,
    private readonly options: CallOptions,
    private readonly memory: RunMemory = newRunMemory(),
  ) {}

  /** Keeps what an applied step taught for the rest of the run. */
  remember(observed: Observation): void {
    if (observed.registered && observed.endpoint) this.memory.registered.add(observed.endpoint.vpcEndpointId);
  }

  /** `observed` with the service this run read ACTIVE, if it was not needed (and so not attached) since. */
  withKnownService(observed: Observation): Observation {
    if (observed.service) return observed;
    const service = this.memory.services.get(`${observed.cluster.clusterId}/${observed.tidbNodeGroupId}`);
    return service ? { ...observed, service } : observed;
  }

  async complete(observed: Observation): Promise<Observation> {
    const needs = detailsNeeded(observed, this.deps.settings);
    let result = await this.refreshIfAccepted(observed);
    if (result.endpoint && this.memory.registered.has(result.endpoint.vpcEndpointId)) {
      result = { ...result, registered: true };
    }
    if (needs.service) {
      result = { ...result, service: await this.readService(result) };
    }
    const serviceName = result.endpoint?.serviceName ?? result.service?.serviceName;
    if (detailsNeeded(result, this.deps.settings).createFacts && serviceName) {
      // Other endpoints to the service matter only before ours exists (a hand-made one blocks a create).
      const [vpc, details, foreignEndpoints] = await Promise.all([
        this.readVpcFacts(),
        this.readServiceDetails(serviceName),
        result.endpoint
          ? Promise.resolve([])
          : this.retried(() =>
              this.deps.ec2.findEndpoints({ vpcId: this.deps.settings.vpcId, serviceName }, this.options),
            ),
      ]);
      result = {
        ...result,
        vpc,
        serviceZoneNames: details.zoneNames,
        servicePrivateDns: {
          name: details.privateDnsName,
          verificationState: details.privateDnsVerificationState,
        },
        foreignEndpoints: foreignEndpoints.filter((e) => !isManaged(e)),
      };
    }
    return result;
  }

  /**
   * EC2 and TiDB are read in parallel, so the read in which TiDB turns ACTIVE may carry an endpoint snapshot
   * from just before AWS marked it available: read that one endpoint again rather than lose a poll.
   */
  private async refreshIfAccepted(observed: Observation): Promise<Observation> {
    const { endpoint, connection } = observed;
    if (
      !endpoint ||
      connection?.endpointState !== 'ACTIVE' ||
      !['pendingAcceptance', 'pending'].includes(endpoint.state)
    ) {
      return observed;
    }
    const [fresh] = await this.retried(() =>
      this.deps.ec2.findEndpoints({ vpcEndpointIds: [endpoint.vpcEndpointId] }, this.options),
    );
    return fresh && isOurs(fresh, this.deps.settings.stackName) ? { ...observed, endpoint: fresh } : observed;
  }

  private async readService(observed: Observation) {
    const { tidb } = this.deps;
    // The cluster listing already says the service is not ready: a read would cost quota for the same news.
    const group = observed.cluster.nodeGroups.find((g) => g.tidbNodeGroupId === observed.tidbNodeGroupId);
    if (group?.privateEndpointPending) return undefined;
    const key = `${observed.cluster.clusterId}/${observed.tidbNodeGroupId}`;
    const known = this.memory.services.get(key);
    if (known) return known;
    const service = await tidb
      .getPrivateLinkService(observed.cluster.clusterId, observed.tidbNodeGroupId, this.options)
      .catch(
        // Before the service exists the API's answer is undocumented: a 404 means "not yet", like CREATING.
        (error: unknown) => {
          if (error instanceof TidbCloudNotFoundError) return undefined;
          throw error;
        },
      );
    if (service?.state === 'ACTIVE') this.memory.services.set(key, service);
    return service;
  }

  private readVpcFacts(): Promise<VpcFacts> {
    const { ec2, settings } = this.deps;
    return shared(this.vpcFacts, settings.vpcId, async () => {
      const [subnets, zones, dns] = await Promise.all([
        this.retried(() => ec2.describeSubnets(settings.subnetIds, this.options)),
        this.retried(() => ec2.describeAvailabilityZones(this.options)),
        this.retried(() => ec2.describeVpcDnsAttributes(settings.vpcId, this.options)),
      ]);
      return { subnets, zones, dns };
    });
  }

  private readServiceDetails(serviceName: string): Promise<EndpointServiceDetails> {
    return shared(this.services, serviceName, () =>
      this.retried(() => this.deps.ec2.describeEndpointService(serviceName, this.options)),
    );
  }

  private retried<T>(read: () => Promise<T>): Promise<T> {
    return retryPassRead(read, this.deps.clock, this.options);
  }
}
