/**
 * State → the JSON the real API returns, field for field as the swagger's definitions say (the schema
 * tests hold every shape here against `dedicated.swagger.json`). The real gateway emits unpopulated
 * fields (grpc-gateway `EmitUnpopulated`), hence the empty strings rather than missing keys.
 */
import { ORGANIZATION_ID, type SimConnection, type SimNodeGroup, type SimState } from './state.ts';

type Json = Record<string, unknown>;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function renderNodeGroup(state: SimState, group: SimNodeGroup): Json {
  const record = state.cluster(group.clusterId);
  const ready = state.serviceState(group) === 'ACTIVE';
  return {
    name: `tidbNodeGroups/${group.tidbNodeGroupId}`,
    tidbNodeGroupId: group.tidbNodeGroupId,
    clusterId: group.clusterId,
    displayName: group.displayName,
    nodeCount: 2,
    endpoints: [
      { host: `tidb.${record.hash}.clusters.tidb-cloud.com`, port: record.port, connectionType: 'PUBLIC' },
      {
        host: `private-tidb.${record.hash}.clusters.tidb-cloud.com`,
        port: record.port,
        connectionType: 'VPC_PEERING',
      },
      // "For clusters deployed on AWS, the host field is available after the private link service is ready."
      { host: ready ? group.serviceDnsName : '', port: record.port, connectionType: 'PRIVATE_ENDPOINT' },
    ],
    nodeSpecKey: '8C16G',
    nodeSpecVersion: 'v1',
    nodeSpecDisplayName: '8 vCPU, 16 GiB',
    isDefaultGroup: group.isDefaultGroup,
    state: record.state === 'PAUSED' ? 'PAUSED' : 'ACTIVE',
  };
}

export function renderCluster(state: SimState, clusterId: string): Json {
  const record = state.cluster(clusterId);
  return {
    name: `clusters/${record.clusterId}`,
    clusterId: record.clusterId,
    displayName: record.displayName,
    regionId: record.regionId,
    labels: {
      'tidb.cloud/organization': ORGANIZATION_ID,
      'tidb.cloud/project': record.projectId,
      ...record.labels,
    },
    tidbNodeSetting: {
      nodeSpecKey: '8C16G',
      nodeSpecDisplayName: '8 vCPU, 16 GiB',
      tidbNodeGroups: record.groups.map((group) => renderNodeGroup(state, group)),
    },
    tikvNodeSetting: {
      nodeCount: 3,
      nodeSpecKey: '8C32G',
      storageSizeGi: 500,
      storageType: 'Standard',
      nodeSpecDisplayName: '8 vCPU, 32 GiB',
    },
    port: record.port,
    // Real answers carry `rootPassword: ""`, which breaks the spec's own minLength 8; it is write-only in
    // practice, so the simulator leaves it out rather than serve JSON its schema test must excuse.
    state: record.state,
    version: 'v8.5.2',
    createdBy: state.createdByValue,
    createTime: iso(record.createdAt),
    updateTime: iso(record.activeSince ?? record.createdAt),
    regionDisplayName: state.regionDisplayName(record.regionId),
    cloudProvider: 'aws',
    annotations: {
      'tidb.cloud/available-features': 'DISABLE_PUBLIC_LB,PRIVATELINK,DELEGATE_USER',
      'tidb.cloud/has-set-password': 'false',
    },
  };
}

export function renderService(state: SimState, group: SimNodeGroup): Json {
  const record = state.cluster(group.clusterId);
  const serviceState = state.serviceState(group);
  // Undocumented: before it is ready we answer CREATING with empty names rather than a 404.
  const ready = serviceState === 'ACTIVE';
  return {
    name: `tidbNodeGroups/${group.tidbNodeGroupId}/privateLinkService`,
    tidbNodeGroupId: group.tidbNodeGroupId,
    serviceName: ready ? group.serviceName : '',
    serviceDnsName: ready ? group.serviceDnsName : '',
    availableZones: ready ? [...group.availableZones] : [],
    state: serviceState,
    regionId: record.regionId,
    regionDisplayName: state.regionDisplayName(record.regionId),
    cloudProvider: 'aws',
  };
}

export function renderConnection(state: SimState, connection: SimConnection): Json {
  const record = state.cluster(connection.clusterId);
  const group = state.group(connection.clusterId, connection.tidbNodeGroupId);
  const active = connection.endpointState === 'ACTIVE';
  return {
    name: `tidbNodeGroups/${group.tidbNodeGroupId}/privateEndpointConnections/${connection.privateEndpointConnectionId}`,
    tidbNodeGroupId: group.tidbNodeGroupId,
    privateEndpointConnectionId: connection.privateEndpointConnectionId,
    clusterId: record.clusterId,
    clusterDisplayName: record.displayName,
    labels: { 'tidb.cloud/project': record.projectId },
    endpointId: connection.endpointId,
    endpointState: connection.endpointState,
    message: connection.message,
    regionId: record.regionId,
    regionDisplayName: state.regionDisplayName(record.regionId),
    cloudProvider: 'aws',
    privateLinkServiceName: group.serviceName,
    privateLinkServiceState: state.serviceState(group),
    tidbNodeGroupDisplayName: group.displayName,
    // A PENDING connection has host "" (the Terraform provider's fixture shows the same).
    host: active ? group.serviceDnsName : '',
    port: record.port,
  };
}
