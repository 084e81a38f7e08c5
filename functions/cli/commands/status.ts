import { mapLimited } from '../../core/concurrency.ts';
import { TidbCloudNotFoundError, UsageError } from '../../core/errors.ts';
import { type Cluster, HEALTH_TAG, type PrivateLinkService } from '../../core/model.ts';
import { findConnection, findOurEndpoint, resolveNodeGroup } from '../../core/reconcile/observe.ts';
import { inScope } from '../../core/reconcile/reconcile.ts';
import type { CliContext, CommandResult } from '../context.ts';
import { table } from '../table.ts';

export interface StatusRow {
  clusterId: string;
  /** Only when the stack serves several VPCs: then one row per cluster per VPC. */
  vpcId?: string;
  displayName: string;
  regionId: string;
  state: string;
  tidbNodeGroupId: string | null;
  privateLinkService: { state: string; serviceName: string | null; availableZones: string[] } | null;
  vpcEndpointId: string | null;
  endpointState: string | null;
  connectionState: string | null;
  privateDnsEnabled: boolean | null;
  health: string | null;
}

async function serviceOf(
  ctx: CliContext,
  cluster: Cluster,
  nodeGroupId: string,
): Promise<PrivateLinkService | null> {
  if (cluster.state !== 'ACTIVE') return null;
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
  const [clusters, connections, endpoints] = await Promise.all([
    ctx.deps.tidb.listClusters({ projectId }, options),
    ctx.deps.tidb.listConnections({ projectId }, options),
    endpointsOf(ctx),
  ]);
  const { vpcs } = ctx.config.privateLink;
  const vpcIds = vpcs.length > 0 ? vpcs.map((vpc) => vpc.vpcId) : [''];
  const perCluster = await mapLimited(
    clusters.filter((cluster) => inScope(cluster, ctx.config.aws.region)),
    4,
    async (cluster): Promise<StatusRow[]> => {
      // A cluster without a node group yet shows with empty columns; API errors still fail the command.
      const nodeGroupId = await resolveNodeGroup(ctx.deps, cluster, undefined, options).catch(
        (error: unknown) => {
          if (error instanceof UsageError) return null;
          throw error;
        },
      );
      const service = nodeGroupId ? await serviceOf(ctx, cluster, nodeGroupId) : null;
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
    },
  );
  const rows = perCluster.flat();
  return { exitCode: 0, json: { clusters: rows }, lines: render(rows, ctx.config.aws.region) };
}

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
    ]),
  );
}
