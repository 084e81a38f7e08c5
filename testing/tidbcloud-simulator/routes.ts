/**
 * The API subset the app uses, routed by path as the swagger defines it under `/v1beta1`. Handlers read
 * and write `SimState` and return JSON; errors are thrown as `SimError` (google.rpc code + HTTP status).
 */
import { paginate } from './pagination.ts';
import { renderCluster, renderConnection, renderNodeGroup, renderService } from './render.ts';
import { SimError, type SimState } from './state.ts';
import { swaggerEnum } from './swagger.ts';

export type SimOperation =
  | 'listClusters'
  | 'getCluster'
  | 'listNodeGroups'
  | 'getNodeGroup'
  | 'getPrivateLinkService'
  | 'listConnections'
  | 'createConnection'
  | 'getConnection'
  | 'deleteConnection'
  | 'unknown';

export interface RouteRequest {
  method: string;
  segments: string[];
  query: URLSearchParams;
  body: string;
}

export interface Route {
  operation: SimOperation;
  handle: (state: SimState, request: RouteRequest) => unknown;
}

/** The states the real API accepts in a `clusterStates` filter: the swagger's enum. */
const CLUSTER_STATES = new Set(swaggerEnum('commonv1beta1ClusterState'));

function id(value: string | undefined, what: string, allowWildcard = false): string {
  if (value !== undefined && (/^\d+$/.test(value) || (allowWildcard && value === '-'))) return value;
  throw new SimError(400, 3, `invalid ${what} "${value ?? ''}": must be a decimal ID`);
}

function listClusters(state: SimState, { query }: RouteRequest): unknown {
  const projectId = query.get('projectId') || state.defaultProjectId;
  const ids = query.getAll('clusterIds');
  const regions = query.getAll('regionIds');
  const states = query.getAll('clusterStates');
  const badState = states.find((value) => !CLUSTER_STATES.has(value));
  if (badState) throw new SimError(400, 3, `invalid clusterStates value "${badState}"`);
  const matching = state
    .listClusters()
    .filter((record) => record.projectId === projectId)
    .filter((record) => ids.length === 0 || ids.includes(record.clusterId))
    .filter((record) => regions.length === 0 || regions.includes(record.regionId))
    .filter((record) => states.length === 0 || states.includes(record.state));
  const page = paginate(matching, query);
  return {
    clusters: page.items.map((record) => renderCluster(state, record.clusterId)),
    totalSize: page.totalSize,
    nextPageToken: page.nextPageToken,
  };
}

function listNodeGroups(state: SimState, { segments, query }: RouteRequest): unknown {
  const page = paginate(state.cluster(id(segments[1], 'clusterId')).groups, query);
  return {
    tidbNodeGroups: page.items.map((group) => renderNodeGroup(state, group)),
    totalSize: page.totalSize,
    nextPageToken: page.nextPageToken,
  };
}

function connectionsInScope(state: SimState, clusterId: string, groupId: string, query: URLSearchParams) {
  if (clusterId !== '-') {
    state.cluster(clusterId);
    if (groupId !== '-') state.group(clusterId, groupId);
  }
  // "set both to `-` and pass the project_id": without it, the key's default project.
  const projectId = query.get('projectId') || state.defaultProjectId;
  const provider = query.get('cloudProvider');
  // One cluster's from the simulator's index: a per-cluster listing must not cost a pass over the fleet.
  const candidates =
    clusterId === '-'
      ? state.allConnections().filter((item) => state.cluster(item.clusterId).projectId === projectId)
      : state.connectionsOf(clusterId);
  return candidates
    .filter((item) => groupId === '-' || item.tidbNodeGroupId === groupId)
    .filter(() => !provider || provider === 'aws');
}

function listConnections(state: SimState, { segments, query }: RouteRequest): unknown {
  const clusterId = id(segments[1], 'clusterId', true);
  const groupId = id(segments[3], 'tidbNodeGroupId', true);
  const page = paginate(connectionsInScope(state, clusterId, groupId, query), query, {
    order: state.listingOrder,
    idOf: (item) => item.privateEndpointConnectionId,
  });
  return {
    privateEndpointConnections: page.items.map((item) => renderConnection(state, item)),
    totalSize: page.totalSize,
    nextPageToken: page.nextPageToken,
  };
}

function endpointIdOf(body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new SimError(400, 3, 'the request body is not valid JSON');
  }
  const endpointId =
    typeof parsed === 'object' && parsed !== null && 'endpointId' in parsed ? parsed.endpointId : undefined;
  if (typeof endpointId !== 'string' || endpointId === '') {
    throw new SimError(400, 3, 'privateEndpointConnection.endpointId is required');
  }
  if (!/^vpce-[0-9a-z]+$/.test(endpointId)) {
    throw new SimError(
      400,
      3,
      `invalid endpointId "${endpointId}": expected an AWS VPC endpoint ID (vpce-…)`,
    );
  }
  return endpointId;
}

function createConnection(state: SimState, { segments, body }: RouteRequest): unknown {
  const clusterId = id(segments[1], 'clusterId');
  const groupId = id(segments[3], 'tidbNodeGroupId');
  state.group(clusterId, groupId);
  return renderConnection(state, state.createConnection(clusterId, groupId, endpointIdOf(body)));
}

function connectionIds(segments: string[]): [string, string, string] {
  return [id(segments[1], 'clusterId'), id(segments[3], 'tidbNodeGroupId'), id(segments[5], 'connection id')];
}

const GROUP_ROUTES: Record<string, Route> = {
  'GET 4': {
    operation: 'getNodeGroup',
    handle: (state, { segments }) =>
      renderNodeGroup(state, state.group(id(segments[1], 'clusterId'), id(segments[3], 'tidbNodeGroupId'))),
  },
  'GET 5 privateLinkService': {
    operation: 'getPrivateLinkService',
    handle: (state, { segments }) =>
      renderService(state, state.group(id(segments[1], 'clusterId'), id(segments[3], 'tidbNodeGroupId'))),
  },
  'GET 5 privateEndpointConnections': { operation: 'listConnections', handle: listConnections },
  'POST 5 privateEndpointConnections': { operation: 'createConnection', handle: createConnection },
  'GET 6 privateEndpointConnections': {
    operation: 'getConnection',
    handle: (state, { segments }) => renderConnection(state, state.connection(...connectionIds(segments))),
  },
  'DELETE 6 privateEndpointConnections': {
    operation: 'deleteConnection',
    handle: (state, { segments }) => {
      state.deleteConnection(...connectionIds(segments));
      return {};
    },
  },
};

/** Finds the route for `METHOD /clusters/...` (segments after `/v1beta1`). */
export function route(method: string, segments: string[]): Route | undefined {
  if (segments[0] !== 'clusters') return undefined;
  if (segments.length === 1 && method === 'GET') return { operation: 'listClusters', handle: listClusters };
  if (segments.length === 2 && method === 'GET') {
    return {
      operation: 'getCluster',
      handle: (state, request) => renderCluster(state, id(request.segments[1], 'clusterId')),
    };
  }
  if (segments[2] !== 'tidbNodeGroups') return undefined;
  if (segments.length === 3 && method === 'GET')
    return { operation: 'listNodeGroups', handle: listNodeGroups };
  const key = segments.length === 4 ? `${method} 4` : `${method} ${segments.length} ${segments[4] ?? ''}`;
  return GROUP_ROUTES[key];
}
