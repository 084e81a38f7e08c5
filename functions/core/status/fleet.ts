/**
 * The fleet as `status` shows it: every cluster of the region with its private link service, this stack's
 * endpoint and TiDB's connection per VPC, the last probe health, whether the selection takes it, and this
 * stack's orphaned endpoints with what they cost. Read only: the same reads and proofs the reconcile makes,
 * nothing tagged, created or deleted. The CLI parses flags and formats; everything it shows is decided here.
 */
import { mapLimited } from '../concurrency.ts';
import { TidbCloudNotFoundError, UsageError } from '../errors.ts';
import {
  CLUSTER_ID_TAG,
  type Cluster,
  HEALTH_TAG,
  NODE_GROUP_ID_TAG,
  type PrivateEndpointConnection,
  type VpcEndpoint,
} from '../model.ts';
import type { CallOptions, ClusterRegistry, Ec2Port, ServiceFacts, TidbCloudPort } from '../ports.ts';
import { monthlyCostUsd } from '../pricing.ts';
import { findConnection, findOurEndpoint, resolveNodeGroup } from '../reconcile/observe.ts';
import { deletesAt, orphanedSinceOf } from '../reconcile/orphan-plan.ts';
import { judgeOrphans } from '../reconcile/orphans.ts';
import { inScope } from '../reconcile/reconcile.ts';
import type { ReconcileSettings } from '../reconcile/types.ts';
import { selects } from '../selection.ts';

export interface StatusRow {
  clusterId: string;
  /** Only when the stack serves several VPCs: then one row per cluster per VPC. */
  vpcId?: string;
  displayName: string;
  regionId: string;
  state: string;
  /** Whether `PRIVATELINK_CLUSTERS` selects it (every cluster in scope is, without a selection). */
  selected: boolean;
  tidbNodeGroupId: string | null;
  privateLinkService: { state: string; serviceName: string | null; availableZones: string[] } | null;
  vpcEndpointId: string | null;
  endpointState: string | null;
  connectionState: string | null;
  privateDnsEnabled: boolean | null;
  health: string | null;
}

/** An endpoint of this stack whose cluster or node group is gone, with what it costs to keep. */
export interface OrphanRow {
  clusterId: string;
  tidbNodeGroupId: string;
  vpcEndpointId: string;
  reason: string;
  orphanedSince: string | null;
  /** Null when PRIVATELINK_DELETE_ORPHANS_AFTER_H is not set, or it is not marked yet. */
  deletesAt: string | null;
  availabilityZones: number;
  /** AWS's us-east-1 hourly price per AZ (see core/pricing.ts for the date); data processed comes on top. */
  costPerMonthUsd: number;
}

export interface Fleet {
  clusters: StatusRow[];
  orphans: OrphanRow[];
}

export interface FleetPorts {
  tidb: TidbCloudPort;
  ec2: Pick<Ec2Port, 'listManagedEndpoints'>;
  /** The stack's registry: the service facts the reconcile recorded save a TiDB call per cluster. */
  registry?: Pick<ClusterRegistry, 'list'> | undefined;
}

/** The reconcile's own settings, so that status and the reconcile judge a cluster and an orphan alike. */
export type FleetSettings = ReconcileSettings;

export interface FleetOptions extends CallOptions {
  /** After each cluster whose service had to be asked of TiDB Cloud (no recorded one): how far along. */
  onServiceRead?: (done: number, total: number) => void;
}

/** Node groups are listed at most this many clusters at a time (each may cost a paced TiDB call). */
const CONCURRENCY = 4;

/**
 * Reads the fleet. Endpoint columns need a VPC: without one (`settings.vpcId` empty) only TiDB Cloud's side
 * is read and the endpoint columns and orphans stay empty.
 */
export async function readFleet(
  ports: FleetPorts,
  settings: FleetSettings,
  options: FleetOptions,
): Promise<Fleet> {
  const calls: CallOptions = options.signal ? { signal: options.signal } : {};
  const [clusters, connections, endpoints, services] = await Promise.all([
    ports.tidb.listClusters({ projectId: settings.projectId }, calls),
    ports.tidb.listConnections({ projectId: settings.projectId }, calls),
    settings.vpcId ? ports.ec2.listManagedEndpoints({}, calls) : undefined,
    recordedServices(ports, calls),
  ]);
  const vpcIds = settings.vpcs?.length ? settings.vpcs.map((vpc) => vpc.vpcId) : [''];
  const inRegion = clusters.filter((cluster) => inScope(cluster, settings.region));
  const read = counter(inRegion.length - services.size, options.onServiceRead);
  const perCluster = await mapLimited(inRegion, CONCURRENCY, async (cluster) => {
    const nodeGroupId = await nodeGroupOf(ports, cluster, calls);
    const recorded = services.get(cluster.clusterId);
    const service = nodeGroupId ? await serviceOf(ports, cluster, nodeGroupId, recorded, calls) : null;
    if (!recorded) read();
    const rowOf = (vpcId: string) =>
      statusRow({ cluster, nodeGroupId, service, vpcId, several: vpcIds.length > 1 }, settings, {
        endpoints,
        connections,
      });
    return vpcIds.map(rowOf);
  });
  const orphans = endpoints
    ? await orphansOf(ports, settings, { clusters, connections, endpoints }, vpcIds, calls)
    : [];
  return { clusters: perCluster.flat(), orphans };
}

/** Counts the services read from TiDB Cloud and reports each step. */
function counter(total: number, report: FleetOptions['onServiceRead']): () => void {
  let done = 0;
  return () => {
    done += 1;
    report?.(done, total);
  };
}

/** A cluster without a node group yet shows with empty columns; API errors still fail the command. */
function nodeGroupOf(ports: FleetPorts, cluster: Cluster, calls: CallOptions): Promise<string | null> {
  return resolveNodeGroup(ports, cluster, undefined, calls).catch((error: unknown) => {
    if (error instanceof UsageError) return null;
    throw error;
  });
}

/** Service facts the reconcile recorded in the registry: with them, status costs O(N/100) TiDB calls. */
async function recordedServices(ports: FleetPorts, calls: CallOptions): Promise<Map<string, ServiceFacts>> {
  const records = ports.registry ? await ports.registry.list(calls) : [];
  return new Map(
    records.flatMap((record) => (record.service ? [[record.clusterId, record.service] as const] : [])),
  );
}

async function serviceOf(
  ports: FleetPorts,
  cluster: Cluster,
  nodeGroupId: string,
  recorded: ServiceFacts | undefined,
  calls: CallOptions,
): Promise<ServiceFacts | null> {
  if (cluster.state !== 'ACTIVE') return null;
  // A recorded service is only ever an ACTIVE one (the reconcile records it once TiDB has finished it).
  if (recorded) return recorded;
  try {
    return await ports.tidb.getPrivateLinkService(cluster.clusterId, nodeGroupId, calls);
  } catch (error) {
    if (error instanceof TidbCloudNotFoundError) return null;
    throw error;
  }
}

interface RowInput {
  cluster: Cluster;
  nodeGroupId: string | null;
  service: ServiceFacts | null;
  vpcId: string;
  /** The stack serves several VPCs: the row names its VPC. */
  several: boolean;
}

/** Pure: one cluster in one VPC, from what was read. */
function statusRow(
  { cluster, nodeGroupId, service, vpcId, several }: RowInput,
  settings: FleetSettings,
  read: { endpoints: VpcEndpoint[] | undefined; connections: PrivateEndpointConnection[] },
): StatusRow {
  const endpoint =
    read.endpoints && nodeGroupId
      ? findOurEndpoint(read.endpoints, cluster.clusterId, nodeGroupId, vpcId, settings.stackName)
      : undefined;
  const connection = findConnection(read.connections, endpoint?.vpcEndpointId);
  return {
    clusterId: cluster.clusterId,
    ...(several ? { vpcId } : {}),
    displayName: cluster.displayName,
    regionId: cluster.regionId,
    state: cluster.state,
    selected: selects(settings.selection, cluster),
    tidbNodeGroupId: nodeGroupId,
    privateLinkService: service && {
      state: service.state,
      serviceName: service.serviceName || null,
      availableZones: service.availableZones,
    },
    vpcEndpointId: endpoint?.vpcEndpointId ?? null,
    endpointState: endpoint?.state ?? null,
    connectionState: connection?.endpointState ?? null,
    privateDnsEnabled: endpoint ? endpoint.privateDnsEnabled : null,
    health: endpoint?.tags[HEALTH_TAG] ?? null,
  };
}

const isoOrNull = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** Read only: the same proof the reconcile uses (a GET per suspect cluster), nothing marked or deleted. */
async function orphansOf(
  ports: FleetPorts,
  settings: FleetSettings,
  snapshot: { clusters: Cluster[]; connections: PrivateEndpointConnection[]; endpoints: VpcEndpoint[] },
  vpcIds: string[],
  calls: CallOptions,
): Promise<OrphanRow[]> {
  // Each of the stack's VPCs judged as its own reconcile judges it.
  const perVpc = await Promise.all(
    vpcIds.map((vpcId) =>
      judgeOrphans({ tidb: ports.tidb, settings: { ...settings, vpcId } }, snapshot, calls),
    ),
  );
  return perVpc.flat().flatMap((verdict) => {
    if (verdict.kind !== 'orphaned') return [];
    const { endpoint } = verdict;
    return [
      {
        clusterId: endpoint.tags[CLUSTER_ID_TAG] ?? '',
        tidbNodeGroupId: endpoint.tags[NODE_GROUP_ID_TAG] ?? '',
        vpcEndpointId: endpoint.vpcEndpointId,
        reason: verdict.why,
        orphanedSince: isoOrNull(orphanedSinceOf(endpoint)),
        deletesAt: isoOrNull(deletesAt(endpoint, settings.deleteOrphansAfterMs)),
        availabilityZones: endpoint.subnetIds.length,
        costPerMonthUsd: monthlyCostUsd(endpoint.subnetIds.length),
      },
    ];
  });
}
