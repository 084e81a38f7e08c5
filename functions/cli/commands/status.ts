import { mapLimited } from '../../core/concurrency.ts';
import { TidbCloudNotFoundError, UsageError } from '../../core/errors.ts';
import { type Cluster, HEALTH_TAG } from '../../core/model.ts';
import type { ServiceFacts } from '../../core/ports.ts';
import { findConnection, findOurEndpoint, resolveNodeGroup } from '../../core/reconcile/observe.ts';
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
  return { exitCode: 0, json: { clusters: rows }, lines: render(rows, ctx.config.aws.region) };
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
