/**
 * TiDB Cloud Dedicated API v1beta1 client (the `TidbCloudPort` adapter): the API's resources and paging, and
 * the shape check of every answer. HTTP, digest auth, the rate limiter and retries are `transport.ts`; the
 * errors are built in `error-mapping.ts`. One instance per API key, built once per cold start.
 */
import { TidbCloudBadRequestError, TidbCloudConflictError } from '../../core/errors.ts';
import type { Cluster, NodeGroup, PrivateEndpointConnection, PrivateLinkService } from '../../core/model.ts';
import type { CallOptions, ConnectionScope, TidbCloudPort } from '../../core/ports.ts';
import {
  type ApiCluster,
  type ApiConnection,
  type ApiNodeGroup,
  type ApiPage,
  type ApiPrivateLinkService,
  toCluster,
  toConnection,
  toNodeGroup,
  toPrivateLinkService,
} from './mapping.ts';
import { ApiShapeError, checkAnswer, type ShapeKind } from './shape.ts';
import {
  type Attempts,
  type RequestSpec,
  type TidbCloudClientOptions,
  type TidbCloudClientStats,
  TidbTransport,
} from './transport.ts';

export type { TidbCloudClientOptions, TidbCloudClientStats, TidbOperation } from './transport.ts';

const PAGE_SIZE = '100';
/** 100 000 items: far beyond any project, yet a run that never ends is cut at ~10 minutes of quota. */
const MAX_PAGES = 1_000;
/** Empty pages in a row that still hand out a next-page token: the server is not getting anywhere. */
const MAX_EMPTY_PAGES = 3;

export class TidbCloudClient implements TidbCloudPort {
  private readonly transport: TidbTransport;

  constructor(options: TidbCloudClientOptions) {
    this.transport = new TidbTransport(options);
  }

  /** A snapshot of the request counters since construction (or the last `resetStats`). */
  get stats(): TidbCloudClientStats {
    return this.transport.stats;
  }

  resetStats(): void {
    this.transport.resetStats();
  }

  async listClusters(filter: { projectId?: string }, options?: CallOptions): Promise<Cluster[]> {
    const query: Array<[string, string]> = filter.projectId ? [['projectId', filter.projectId]] : [];
    const raw = await this.listAll<ApiCluster>(
      {
        operation: 'listClusters',
        method: 'GET',
        path: ['clusters'],
        query,
        action: 'list clusters',
        resource: `project ${filter.projectId ?? '(default)'}`,
      },
      'clusters',
      'cluster',
      options,
    );
    return raw.map(toCluster);
  }

  async getCluster(clusterId: string, options?: CallOptions): Promise<Cluster> {
    const raw = await this.sendChecked<ApiCluster>(
      'cluster',
      {
        operation: 'getCluster',
        method: 'GET',
        path: ['clusters', clusterId],
        action: `get cluster ${clusterId}`,
        resource: `cluster ${clusterId}`,
      },
      options,
    );
    return toCluster(raw);
  }

  async listNodeGroups(clusterId: string, options?: CallOptions): Promise<NodeGroup[]> {
    const raw = await this.listAll<ApiNodeGroup>(
      {
        operation: 'listNodeGroups',
        method: 'GET',
        path: ['clusters', clusterId, 'tidbNodeGroups'],
        action: `list the TiDB node groups of cluster ${clusterId}`,
        resource: `cluster ${clusterId}`,
      },
      'tidbNodeGroups',
      'nodeGroup',
      options,
    );
    return raw.map(toNodeGroup);
  }

  async getPrivateLinkService(
    clusterId: string,
    tidbNodeGroupId: string,
    options?: CallOptions,
  ): Promise<PrivateLinkService> {
    const raw = await this.sendChecked<ApiPrivateLinkService>(
      'privateLinkService',
      {
        operation: 'getPrivateLinkService',
        method: 'GET',
        path: ['clusters', clusterId, 'tidbNodeGroups', tidbNodeGroupId, 'privateLinkService'],
        action: `get the private link service of cluster ${clusterId} node group ${tidbNodeGroupId}`,
        resource: `private link service for cluster ${clusterId} node group ${tidbNodeGroupId}`,
      },
      options,
    );
    return toPrivateLinkService(raw, tidbNodeGroupId);
  }

  async listConnections(scope: ConnectionScope, options?: CallOptions): Promise<PrivateEndpointConnection[]> {
    const inGroup = 'clusterId' in scope;
    const path = inGroup
      ? ['clusters', scope.clusterId, 'tidbNodeGroups', scope.tidbNodeGroupId, 'privateEndpointConnections']
      : // `-`/`-` lists across clusters and groups: of `projectId`, or of the key's default project.
        ['clusters', '-', 'tidbNodeGroups', '-', 'privateEndpointConnections'];
    const query: Array<[string, string]> =
      !inGroup && scope.projectId ? [['projectId', scope.projectId]] : [];
    const where = inGroup
      ? `cluster ${scope.clusterId} node group ${scope.tidbNodeGroupId}`
      : `project ${('projectId' in scope && scope.projectId) || '(default)'}`;
    const raw = await this.listAll<ApiConnection>(
      {
        operation: 'listConnections',
        method: 'GET',
        path,
        query,
        action: `list the private endpoint connections of ${where}`,
        resource: where,
      },
      'privateEndpointConnections',
      'connection',
      options,
    );
    return raw.map((item) => toConnection(item, inGroup ? { clusterId: scope.clusterId } : {}));
  }

  async createConnection(
    clusterId: string,
    tidbNodeGroupId: string,
    endpointId: string,
    options?: CallOptions,
  ): Promise<PrivateEndpointConnection> {
    const attempts: Attempts = { possiblyApplied: false };
    try {
      const raw = await this.sendChecked<ApiConnection>(
        'connection',
        {
          operation: 'createConnection',
          method: 'POST',
          path: ['clusters', clusterId, 'tidbNodeGroups', tidbNodeGroupId, 'privateEndpointConnections'],
          // Exactly the documented body: the ids travel in the path.
          body: { endpointId },
          action: `register endpoint ${endpointId} with cluster ${clusterId} node group ${tidbNodeGroupId}`,
          resource: `TiDB node group ${tidbNodeGroupId} of cluster ${clusterId}`,
        },
        options,
        { attempts },
      );
      return toConnection(raw, { clusterId });
    } catch (error) {
      // Our own earlier attempt may have registered the endpoint before its answer was lost; the retry is
      // then refused as a duplicate. Only in that case is the existing registration our result.
      const duplicate = error instanceof TidbCloudBadRequestError || error instanceof TidbCloudConflictError;
      if (!duplicate || !attempts.possiblyApplied) throw error;
      const existing = await this.listConnections({ clusterId, tidbNodeGroupId }, options);
      const mine = existing.find((connection) => connection.endpointId === endpointId);
      if (!mine) throw error;
      return mine;
    }
  }

  async getConnection(
    clusterId: string,
    tidbNodeGroupId: string,
    privateEndpointConnectionId: string,
    options?: CallOptions,
  ): Promise<PrivateEndpointConnection> {
    const raw = await this.sendChecked<ApiConnection>(
      'connection',
      {
        operation: 'getConnection',
        method: 'GET',
        path: connectionPath(clusterId, tidbNodeGroupId, privateEndpointConnectionId),
        action: `get private endpoint connection ${privateEndpointConnectionId}`,
        resource: `private endpoint connection ${privateEndpointConnectionId} (cluster ${clusterId}, node group ${tidbNodeGroupId})`,
      },
      options,
    );
    return toConnection(raw, { clusterId });
  }

  async deleteConnection(
    clusterId: string,
    tidbNodeGroupId: string,
    privateEndpointConnectionId: string,
    options?: CallOptions,
  ): Promise<void> {
    await this.transport.send<unknown>(
      {
        operation: 'deleteConnection',
        method: 'DELETE',
        path: connectionPath(clusterId, tidbNodeGroupId, privateEndpointConnectionId),
        action: `delete private endpoint connection ${privateEndpointConnectionId}`,
        resource: `private endpoint connection ${privateEndpointConnectionId} (cluster ${clusterId}, node group ${tidbNodeGroupId})`,
      },
      options,
    );
  }

  /**
   * Follows `nextPageToken` until it is empty, 100 items a page (the API's maximum). A token seen twice,
   * empty pages that keep handing out tokens, or more pages than any project has end the run with an error.
   */
  private async listAll<T>(
    spec: RequestSpec,
    key: string,
    kind: ShapeKind,
    options?: CallOptions,
  ): Promise<T[]> {
    const items: T[] = [];
    const seen = new Set<string>();
    let token = '';
    let emptyPages = 0;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const query: Array<[string, string]> = [...(spec.query ?? []), ['pageSize', PAGE_SIZE]];
      if (token) query.push(['pageToken', token]);
      const body = await this.sendChecked<ApiPage & Record<string, unknown>>(
        kind,
        { ...spec, query },
        options,
        {
          key,
        },
      );
      const pageItems = (body[key] ?? []) as T[];
      items.push(...pageItems);
      token = body.nextPageToken ?? '';
      if (!token) return items;
      emptyPages = pageItems.length === 0 ? emptyPages + 1 : 0;
      if (seen.has(token) || emptyPages >= MAX_EMPTY_PAGES) break;
      seen.add(token);
    }
    throw this.transport.errors.endlessPages(spec);
  }

  /** `send`, then the shape check of what came back (a list page, items under `key`, when given). */
  private async sendChecked<T>(
    kind: ShapeKind,
    spec: RequestSpec,
    options?: CallOptions,
    extra: { key?: string; attempts?: Attempts } = {},
  ): Promise<T> {
    const body = await this.transport.send<T>(spec, options, extra.attempts);
    try {
      checkAnswer(body, kind, extra.key);
    } catch (error) {
      if (!(error instanceof ApiShapeError)) throw error;
      throw this.transport.errors.unexpectedBody(spec, error.message);
    }
    return body;
  }
}

function connectionPath(clusterId: string, tidbNodeGroupId: string, connectionId: string): string[] {
  return [
    'clusters',
    clusterId,
    'tidbNodeGroups',
    tidbNodeGroupId,
    'privateEndpointConnections',
    connectionId,
  ];
}
