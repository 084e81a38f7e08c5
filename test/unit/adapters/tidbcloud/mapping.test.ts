import { describe, expect, it } from 'vitest';
import {
  toCluster,
  toConnection,
  toPrivateLinkService,
} from '../../../../functions/adapters/tidbcloud/mapping.ts';
import { tidbPortOf } from '../../../../functions/core/model.ts';

// Shapes from API-FACTS §3.7 / §4 / §5.5 (reconstructed from the spec and real Terraform output).
const CLUSTER = {
  name: 'clusters/10757937805044000000',
  clusterId: '10757937805044000000',
  displayName: 'test-tf',
  regionId: 'aws-us-west-2',
  labels: { 'tidb.cloud/organization': '60000', 'tidb.cloud/project': '1372813089454000000' },
  tidbNodeSetting: {
    tidbNodeGroups: [
      {
        tidbNodeGroupId: '1934178998036000000',
        displayName: 'DefaultGroup',
        isDefaultGroup: true,
        endpoints: [
          { host: 'tidb.x.clusters.tidb-cloud.com', port: 4000, connectionType: 'PUBLIC' },
          {
            host: 'privatelink-19341789.x.clusters.tidb-cloud.com',
            port: 4000,
            connectionType: 'PRIVATE_ENDPOINT',
          },
        ],
      },
      {
        tidbNodeGroupId: '1934178998036000001',
        displayName: 'analytics',
        isDefaultGroup: false,
        endpoints: [{ host: null, port: 4000, connectionType: 'PRIVATE_ENDPOINT' }],
      },
    ],
  },
  port: 4100,
  state: 'ACTIVE',
  cloudProvider: 'aws',
};

describe('toCluster', () => {
  it('maps ids as strings, the project label, the port and node groups', () => {
    const cluster = toCluster(CLUSTER);
    expect(cluster).toMatchObject({
      clusterId: '10757937805044000000',
      displayName: 'test-tf',
      regionId: 'aws-us-west-2',
      cloudProvider: 'aws',
      state: 'ACTIVE',
      port: 4100,
      projectId: '1372813089454000000',
    });
    expect(cluster.labels['tidb.cloud/organization']).toBe('60000');
    expect(cluster.nodeGroups).toEqual([
      {
        tidbNodeGroupId: '1934178998036000000',
        displayName: 'DefaultGroup',
        isDefaultGroup: true,
        privateEndpointHost: 'privatelink-19341789.x.clusters.tidb-cloud.com',
      },
      {
        tidbNodeGroupId: '1934178998036000001',
        displayName: 'analytics',
        isDefaultGroup: false,
        privateEndpointPending: true,
      },
    ]);
  });

  it('defaults the port to 4000 and leaves projectId out without the label', () => {
    const cluster = toCluster({ clusterId: '1', regionId: 'aws-us-east-1', state: 'CREATING', labels: {} });
    expect(cluster.port).toBe(4000);
    expect(cluster).not.toHaveProperty('projectId');
    expect(cluster.nodeGroups).toEqual([]);
  });

  it('does not take an empty PRIVATE_ENDPOINT host as a host', () => {
    const raw = {
      ...CLUSTER,
      tidbNodeSetting: {
        tidbNodeGroups: [
          { tidbNodeGroupId: '9', endpoints: [{ host: '', connectionType: 'PRIVATE_ENDPOINT' }] },
        ],
      },
    };
    expect(toCluster(raw).nodeGroups[0]).not.toHaveProperty('privateEndpointHost');
    expect(toCluster(raw).nodeGroups[0]?.privateEndpointPending).toBe(true);
  });

  it('says nothing about the service when the listing has no PRIVATE_ENDPOINT entry at all', () => {
    const raw = {
      ...CLUSTER,
      tidbNodeSetting: {
        tidbNodeGroups: [{ tidbNodeGroupId: '9', endpoints: [{ host: 'x', connectionType: 'PUBLIC' }] }],
      },
    };
    expect(toCluster(raw).nodeGroups[0]).not.toHaveProperty('privateEndpointPending');
  });
});

describe('toPrivateLinkService', () => {
  it('keeps availableZones (AZ IDs) and fills the group id from the request when absent', () => {
    const service = toPrivateLinkService(
      {
        serviceName: 'com.amazonaws.vpce.us-west-2.vpce-svc-07468b31cc9000000',
        serviceDnsName: 'privatelink-19341789.ubkypd000000.clusters.tidb-cloud.com',
        availableZones: ['usw2-az1', 'usw2-az2'],
        state: 'ACTIVE',
        regionId: 'aws-us-west-2',
      },
      '1934178998036000000',
    );
    expect(service).toEqual({
      tidbNodeGroupId: '1934178998036000000',
      serviceName: 'com.amazonaws.vpce.us-west-2.vpce-svc-07468b31cc9000000',
      serviceDnsName: 'privatelink-19341789.ubkypd000000.clusters.tidb-cloud.com',
      availableZones: ['usw2-az1', 'usw2-az2'],
      state: 'ACTIVE',
      regionId: 'aws-us-west-2',
    });
  });

  it('reads a CREATING service with no names as empty strings', () => {
    expect(toPrivateLinkService({ state: 'CREATING' }, '7')).toMatchObject({
      state: 'CREATING',
      serviceName: '',
      availableZones: [],
    });
  });
});

describe('toConnection', () => {
  it('keeps host "" while PENDING and leaves a missing port out, so the cluster\'s port shows through', () => {
    const connection = toConnection(
      {
        privateEndpointConnectionId: '1934214559409000000',
        clusterId: '10757937805044000000',
        tidbNodeGroupId: '1934178998036000000',
        endpointId: 'vpce-03367e96180000000',
        endpointState: 'PENDING',
        host: '',
      },
      {},
    );
    expect(connection).toMatchObject({ endpointState: 'PENDING', host: '', message: '' });
    expect(connection.port).toBeUndefined();
    const cluster = toCluster({ ...CLUSTER, port: 4100 });
    expect(tidbPortOf(connection, cluster)).toBe(4100);
    expect(tidbPortOf({ port: 4200 }, cluster)).toBe(4200);
    expect(tidbPortOf(undefined, undefined)).toBe(4000);
  });

  it('keeps TiDB’s FAILED message and takes the cluster id from the request scope when missing', () => {
    const connection = toConnection(
      { endpointState: 'FAILED', message: "The VPC Endpoint Id '{vpce-1 []}' does not exist", port: 4000 },
      { clusterId: '42' },
    );
    expect(connection.clusterId).toBe('42');
    expect(connection.message).toContain('does not exist');
  });
});
