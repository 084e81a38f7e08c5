/**
 * TiDB Cloud Dedicated API v1beta1 JSON → core model. Only the fields the app uses are typed; every field is
 * optional because the API omits empty ones (grpc-gateway). IDs stay strings: they exceed 2^53.
 */
import {
  type CloudProvider,
  type Cluster,
  type ClusterState,
  type ConnectionState,
  DEFAULT_TIDB_PORT,
  type NodeGroup,
  type PrivateEndpointConnection,
  type PrivateLinkService,
  type PrivateLinkServiceState,
} from '../../core/model.ts';

export const PROJECT_LABEL = 'tidb.cloud/project';

export interface ApiNodeGroupEndpoint {
  host?: string | null;
  port?: number;
  connectionType?: string;
}

export interface ApiNodeGroup {
  tidbNodeGroupId?: string;
  clusterId?: string;
  displayName?: string;
  isDefaultGroup?: boolean;
  endpoints?: ApiNodeGroupEndpoint[];
}

export interface ApiCluster {
  clusterId?: string;
  displayName?: string;
  regionId?: string;
  cloudProvider?: string;
  state?: string;
  port?: number;
  labels?: Record<string, string>;
  tidbNodeSetting?: { tidbNodeGroups?: ApiNodeGroup[] };
}

export interface ApiPrivateLinkService {
  tidbNodeGroupId?: string;
  serviceName?: string;
  serviceDnsName?: string;
  availableZones?: string[];
  state?: string;
  regionId?: string;
}

export interface ApiConnection {
  privateEndpointConnectionId?: string;
  clusterId?: string;
  tidbNodeGroupId?: string;
  endpointId?: string;
  endpointState?: string;
  message?: string;
  host?: string | null;
  port?: number;
  privateLinkServiceName?: string;
}

/** A page of any v1beta1 list call. */
export interface ApiPage {
  totalSize?: number;
  nextPageToken?: string;
}

function validPort(port: number | undefined): number | undefined {
  return typeof port === 'number' && Number.isInteger(port) && port > 0 ? port : undefined;
}

export function toNodeGroup(raw: ApiNodeGroup): NodeGroup {
  const privateEndpoint = raw.endpoints?.find((endpoint) => endpoint.connectionType === 'PRIVATE_ENDPOINT');
  const host = privateEndpoint?.host ?? '';
  return {
    tidbNodeGroupId: raw.tidbNodeGroupId ?? '',
    displayName: raw.displayName ?? '',
    isDefaultGroup: raw.isDefaultGroup === true,
    ...(host ? { privateEndpointHost: host } : {}),
    ...(privateEndpoint && !host ? { privateEndpointPending: true } : {}),
  };
}

/** The API's `cloudProvider` is lower-case; older payloads and other tools spell it `AWS`. */
function toCloudProvider(raw: ApiCluster): CloudProvider {
  const value = (raw.cloudProvider ?? raw.regionId?.split('-')[0] ?? 'aws').toLowerCase();
  return value === 'gcp' || value === 'azure' || value === 'alicloud' ? value : 'aws';
}

export function toCluster(raw: ApiCluster): Cluster {
  const labels = { ...(raw.labels ?? {}) };
  const projectId = labels[PROJECT_LABEL];
  return {
    clusterId: raw.clusterId ?? '',
    displayName: raw.displayName ?? '',
    regionId: raw.regionId ?? '',
    cloudProvider: toCloudProvider(raw),
    // Passed through unchecked: a state added to the API later must reach the diagnosis, not crash mapping.
    state: (raw.state ?? 'CREATING') as ClusterState,
    port: validPort(raw.port) ?? DEFAULT_TIDB_PORT,
    ...(projectId ? { projectId } : {}),
    labels,
    nodeGroups: (raw.tidbNodeSetting?.tidbNodeGroups ?? []).map(toNodeGroup),
  };
}

export function toPrivateLinkService(
  raw: ApiPrivateLinkService,
  tidbNodeGroupId: string,
): PrivateLinkService {
  return {
    tidbNodeGroupId: raw.tidbNodeGroupId || tidbNodeGroupId,
    serviceName: raw.serviceName ?? '',
    serviceDnsName: raw.serviceDnsName ?? '',
    availableZones: [...(raw.availableZones ?? [])],
    state: (raw.state ?? 'CREATING') as PrivateLinkServiceState,
    regionId: raw.regionId ?? '',
  };
}

export function toConnection(
  raw: ApiConnection,
  scope: { clusterId?: string } = {},
): PrivateEndpointConnection {
  return {
    privateEndpointConnectionId: raw.privateEndpointConnectionId ?? '',
    clusterId: raw.clusterId || scope.clusterId || '',
    tidbNodeGroupId: raw.tidbNodeGroupId ?? '',
    endpointId: raw.endpointId ?? '',
    endpointState: (raw.endpointState ?? 'PENDING') as ConnectionState,
    message: raw.message ?? '',
    // A PENDING connection has no host yet (the API sends "" or omits it).
    host: raw.host ?? '',
    // No default here: a connection without a port must not hide the cluster's custom port (tidbPortOf).
    ...(validPort(raw.port) ? { port: validPort(raw.port) } : {}),
    privateLinkServiceName: raw.privateLinkServiceName ?? '',
  };
}
