import { reconcileSettingsOf } from '../../app/settings.ts';
import { mapLimited } from '../../core/concurrency.ts';
import { TidbCloudNotFoundError, UsageError } from '../../core/errors.ts';
import {
  CLUSTER_ID_TAG,
  type Cluster,
  HEALTH_TAG,
  NODE_GROUP_ID_TAG,
  type PrivateEndpointConnection,
  type VpcEndpoint,
} from '../../core/model.ts';
import type { ServiceFacts } from '../../core/ports.ts';
import { monthlyCostUsd, PRICES } from '../../core/pricing.ts';
import { findConnection, findOurEndpoint, resolveNodeGroup } from '../../core/reconcile/observe.ts';
import { deletesAt, orphanedSinceOf } from '../../core/reconcile/orphan-plan.ts';
import { judgeOrphans } from '../../core/reconcile/orphans.ts';
import { inScope } from '../../core/reconcile/reconcile.ts';
import { selects } from '../../core/selection.ts';
import type { CliContext, CommandResult } from '../context.ts';
import { table } from '../table.ts';

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

const isoOrNull = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** Read only: the same proof the reconcile uses (a GET per suspect cluster), nothing marked or deleted. */
async function orphansOf(
  ctx: CliContext,
  snapshot: { clusters: Cluster[]; connections: PrivateEndpointConnection[]; endpoints: VpcEndpoint[] },
  vpcIds: string[],
): Promise<OrphanRow[]> {
  const settings = reconcileSettingsOf(ctx.config);
  // Each of the stack's VPCs judged as its own reconcile judges it.
  const perVpc = await Promise.all(
    vpcIds.map((vpcId) =>
      judgeOrphans({ tidb: ctx.deps.tidb, settings: { ...settings, vpcId } }, snapshot, {
        signal: ctx.signal,
      }),
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

/** Service facts the reconcile recorded in the registry: with them, status costs O(N/100) TiDB calls. */
async function recordedServices(ctx: CliContext): Promise<Map<string, ServiceFacts>> {
  const records = ctx.deps.registry ? await ctx.deps.registry.list({ signal: ctx.signal }) : [];
  return new Map(
    records.flatMap((record) => (record.service ? [[record.clusterId, record.service] as const] : [])),
  );
}

async function serviceOf(
  ctx: CliContext,
  cluster: Cluster,
  nodeGroupId: string,
  recorded: ServiceFacts | undefined,
): Promise<ServiceFacts | null> {
  if (cluster.state !== 'ACTIVE') return null;
  // A recorded service is only ever an ACTIVE one (the reconcile records it once TiDB has finished it).
  if (recorded) return recorded;
  try {
    return await ctx.deps.tidb.getPrivateLinkService(cluster.clusterId, nodeGroupId, { signal: ctx.signal });
  } catch (error) {
    if (error instanceof TidbCloudNotFoundError) return null;
    throw error;
  }
}

/** Endpoint columns need a VPC: without PRIVATELINK_VPC_ID the command shows TiDB's side only. */
async function endpointsOf(ctx: CliContext) {
  const { vpcId } = ctx.config.privateLink;
  if (!vpcId) {
    ctx.progress('PRIVATELINK_VPC_ID is not set: showing TiDB Cloud state only (no endpoint columns).');
    return undefined;
  }
  return ctx.deps.ec2.listManagedEndpoints({}, { signal: ctx.signal });
}

export async function status(ctx: CliContext): Promise<CommandResult> {
  const options = { signal: ctx.signal };
  const { projectId } = ctx.config.tidbCloud;
  const [clusters, connections, endpoints, services] = await Promise.all([
    ctx.deps.tidb.listClusters({ projectId }, options),
    ctx.deps.tidb.listConnections({ projectId }, options),
    endpointsOf(ctx),
    recordedServices(ctx),
  ]);
  const { vpcs } = ctx.config.privateLink;
  const vpcIds = vpcs.length > 0 ? vpcs.map((vpc) => vpc.vpcId) : [''];
  const inRegion = clusters.filter((cluster) => inScope(cluster, ctx.config.aws.region));
  const progress = progressOf(ctx, inRegion.length - services.size);
  const perCluster = await mapLimited(inRegion, 4, async (cluster): Promise<StatusRow[]> => {
    // A cluster without a node group yet shows with empty columns; API errors still fail the command.
    const nodeGroupId = await resolveNodeGroup(ctx.deps, cluster, undefined, options).catch(
      (error: unknown) => {
        if (error instanceof UsageError) return null;
        throw error;
      },
    );
    const recorded = services.get(cluster.clusterId);
    const service = nodeGroupId ? await serviceOf(ctx, cluster, nodeGroupId, recorded) : null;
    if (!recorded) progress();
    // Several VPCs: one row per cluster per VPC.
    return vpcIds.map((vpcId) => {
      const endpoint =
        endpoints && nodeGroupId
          ? findOurEndpoint(
              endpoints,
              cluster.clusterId,
              nodeGroupId,
              vpcId,
              ctx.config.privateLink.stackName,
            )
          : undefined;
      const connection = findConnection(connections, endpoint?.vpcEndpointId);
      return {
        clusterId: cluster.clusterId,
        ...(vpcIds.length > 1 ? { vpcId } : {}),
        displayName: cluster.displayName,
        regionId: cluster.regionId,
        state: cluster.state,
        selected: selects(ctx.config.privateLink.clusters, cluster),
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
    });
  });
  const rows = perCluster.flat();
  const orphans = endpoints ? await orphansOf(ctx, { clusters, connections, endpoints }, vpcIds) : [];
  const lines = [...render(rows, ctx.config.aws.region), ...renderOrphans(orphans)];
  return { exitCode: 0, json: { clusters: rows, orphans }, lines };
}

function renderOrphans(orphans: OrphanRow[]): string[] {
  if (orphans.length === 0) return [];
  const total = orphans.reduce((sum, orphan) => sum + orphan.costPerMonthUsd, 0);
  return [
    '',
    `Orphaned endpoints (their cluster or node group is gone): about $${total.toFixed(2)}/month`,
    ...table(
      ['ENDPOINT', 'CLUSTER', 'AZS', 'USD/MONTH', 'ORPHANED SINCE', 'DELETES AT', 'WHY'],
      orphans.map((orphan) => [
        orphan.vpcEndpointId,
        orphan.clusterId,
        String(orphan.availabilityZones),
        orphan.costPerMonthUsd.toFixed(2),
        orphan.orphanedSince,
        orphan.deletesAt ?? 'never (PRIVATELINK_DELETE_ORPHANS_AFTER_H unset)',
        orphan.reason,
      ]),
    ),
    `Prices: AWS ${PRICES.region}, ${PRICES.asOf}: $${PRICES.endpointPerAzHour} per AZ-hour, plus $${PRICES.dataProcessedPerGb}/GB processed (${PRICES.source}).`,
  ];
}

/** Without recorded services, each cluster costs a paced API call: say how far along it is (terminals only). */
function progressOf(ctx: CliContext, total: number): () => void {
  if (!ctx.interactive || total < PROGRESS_FROM) return () => undefined;
  let done = 0;
  const step = Math.max(1, Math.floor(total / 20));
  return () => {
    done += 1;
    if (done % step === 0 || done === total) {
      ctx.progress(
        `status: read ${done}/${total} private link services (set PRIVATELINK_STATE_TABLE to skip this)`,
      );
    }
  };
}

/** Fewer than this many API calls take seconds, not minutes: no progress needed. */
const PROGRESS_FROM = 20;

function render(rows: StatusRow[], region: string): string[] {
  if (rows.length === 0) return [`No TiDB Cloud Dedicated clusters in aws-${region}.`];
  const several = rows.some((row) => row.vpcId);
  return table(
    [
      'CLUSTER',
      ...(several ? ['VPC'] : []),
      'NAME',
      'STATE',
      'SERVICE',
      'SERVICE NAME',
      'AZS',
      'ENDPOINT',
      'AWS',
      'TIDB',
      'PRIVATE DNS',
      'HEALTH',
      'SELECTED',
    ],
    rows.map((row) => [
      row.clusterId,
      ...(several ? [row.vpcId] : []),
      row.displayName,
      row.state,
      row.privateLinkService?.state,
      row.privateLinkService?.serviceName,
      row.privateLinkService?.availableZones.join(','),
      row.vpcEndpointId,
      row.endpointState,
      row.connectionState,
      row.privateDnsEnabled === null ? null : row.privateDnsEnabled ? 'on' : 'off',
      row.health,
      row.selected ? 'yes' : 'no',
    ]),
  );
}
