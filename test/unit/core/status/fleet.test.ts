/**
 * The fleet view on in-memory parts: a TiDB Cloud port over a list of clusters, endpoints as EC2 would list
 * them, and the memory registry. The CLI's table and flags are tested in test/integration/cli/.
 */
import { describe, expect, it } from 'vitest';
import { TidbCloudNotFoundError } from '../../../../functions/core/errors.ts';
import {
  CLUSTER_ID_TAG,
  type Cluster,
  HEALTH_TAG,
  MANAGED_BY_TAG,
  MANAGED_BY_VALUE,
  NODE_GROUP_ID_TAG,
  ORPHANED_SINCE_TAG,
  type PrivateEndpointConnection,
  type PrivateLinkService,
  STACK_TAG,
  type VpcEndpoint,
} from '../../../../functions/core/model.ts';
import type { TidbCloudPort } from '../../../../functions/core/ports.ts';
import { type FleetSettings, readFleet } from '../../../../functions/core/status/fleet.ts';
import { MemoryClusterRegistry } from '../../../../testing/registry-fake.ts';

const HOUR = 3_600_000;
const VPC = 'vpc-0a1b2c3d4e5f60718';
const OTHER_VPC = 'vpc-0f1e2d3c4b5a69788';

const SETTINGS: FleetSettings = {
  region: 'us-east-1',
  vpcId: VPC,
  subnetIds: ['subnet-0a'],
  securityGroupIds: [],
  vpcs: [{ vpcId: VPC, subnetIds: ['subnet-0a'], securityGroupIds: [] }],
  pollIntervalMs: 5000,
  stackName: 'tidb-privatelink',
  pendingTimeoutMs: 30 * 60_000,
};

function cluster(id: string, extra: Partial<Cluster> = {}): Cluster {
  return {
    clusterId: id,
    displayName: `app-${id.slice(-3)}`,
    regionId: 'aws-us-east-1',
    cloudProvider: 'aws',
    state: 'ACTIVE',
    port: 4000,
    labels: {},
    nodeGroups: [{ tidbNodeGroupId: `${id}0`, displayName: 'default', isDefaultGroup: true }],
    ...extra,
  };
}

function endpoint(clusterId: string, id: string, extra: Partial<VpcEndpoint> = {}): VpcEndpoint {
  return {
    vpcEndpointId: id,
    vpcId: VPC,
    serviceName: `com.amazonaws.vpce.us-east-1.vpce-svc-${clusterId}`,
    state: 'available',
    subnetIds: ['subnet-0a', 'subnet-0b'],
    securityGroupIds: [],
    networkInterfaceIds: [],
    privateDnsEnabled: true,
    tags: {
      [MANAGED_BY_TAG]: MANAGED_BY_VALUE,
      [STACK_TAG]: 'tidb-privatelink',
      [CLUSTER_ID_TAG]: clusterId,
      [NODE_GROUP_ID_TAG]: `${clusterId}0`,
    },
    ...extra,
  };
}

function connection(
  of: VpcEndpoint,
  state: PrivateEndpointConnection['endpointState'],
): PrivateEndpointConnection {
  return {
    privateEndpointConnectionId: `pec-${of.vpcEndpointId}`,
    clusterId: of.tags[CLUSTER_ID_TAG] ?? '',
    tidbNodeGroupId: of.tags[NODE_GROUP_ID_TAG] ?? '',
    endpointId: of.vpcEndpointId,
    endpointState: state,
    message: '',
    host: '',
    privateLinkServiceName: of.serviceName,
  };
}

/** TiDB Cloud over fixed lists, counting the service reads; a cluster not listed answers 404. */
function tidbOver(clusters: Cluster[], connections: PrivateEndpointConnection[] = []) {
  const calls = { getPrivateLinkService: 0 };
  const find = (id: string) => {
    const found = clusters.find((c) => c.clusterId === id);
    if (!found) throw new TidbCloudNotFoundError(`no cluster ${id}`);
    return found;
  };
  const service = (clusterId: string, group: string): PrivateLinkService => ({
    tidbNodeGroupId: group,
    serviceName: `com.amazonaws.vpce.us-east-1.vpce-svc-${clusterId}`,
    serviceDnsName: 'privatelink.example',
    availableZones: ['use1-az1', 'use1-az2'],
    state: 'ACTIVE',
    regionId: 'aws-us-east-1',
  });
  const unexpected = () => Promise.reject(new Error('status changes nothing'));
  const tidb: TidbCloudPort = {
    listClusters: async () => clusters,
    getCluster: async (id) => find(id),
    listNodeGroups: async (id) => find(id).nodeGroups,
    getPrivateLinkService: async (id, group) => {
      calls.getPrivateLinkService += 1;
      return service(id, group);
    },
    listConnections: async () => connections,
    createConnection: unexpected,
    getConnection: unexpected,
    deleteConnection: unexpected,
  };
  return { tidb, calls };
}

function ec2Over(endpoints: VpcEndpoint[]) {
  const calls = { listManagedEndpoints: 0 };
  return {
    calls,
    listManagedEndpoints: async () => {
      calls.listManagedEndpoints += 1;
      return endpoints;
    },
  };
}

describe('readFleet', () => {
  it('shows each cluster with its service, our endpoint, TiDB connection, private DNS and health', async () => {
    const a = cluster('1379661944646413143');
    const reached = endpoint(a.clusterId, 'vpce-0123456789abcdef0', {
      tags: { ...endpoint(a.clusterId, '').tags, [HEALTH_TAG]: 'healthy' },
    });
    const { tidb } = tidbOver([a], [connection(reached, 'ACTIVE')]);
    const fleet = await readFleet({ tidb, ec2: ec2Over([reached]) }, SETTINGS, {});
    expect(fleet).toEqual({
      clusters: [
        {
          clusterId: a.clusterId,
          displayName: 'app-143',
          regionId: 'aws-us-east-1',
          state: 'ACTIVE',
          selected: true,
          tidbNodeGroupId: `${a.clusterId}0`,
          privateLinkService: {
            state: 'ACTIVE',
            serviceName: `com.amazonaws.vpce.us-east-1.vpce-svc-${a.clusterId}`,
            availableZones: ['use1-az1', 'use1-az2'],
          },
          vpcEndpointId: 'vpce-0123456789abcdef0',
          endpointState: 'available',
          connectionState: 'ACTIVE',
          privateDnsEnabled: true,
          health: 'healthy',
        },
      ],
      orphans: [],
    });
  });

  it('leaves out clusters of other regions and deleting ones; marks those the selection does not take', async () => {
    const here = cluster('1000000000000000001', { displayName: 'orders' });
    const other = cluster('1000000000000000002', { displayName: 'other' });
    const elsewhere = cluster('1000000000000000003', { regionId: 'aws-eu-west-1' });
    const deleting = cluster('1000000000000000004', { state: 'DELETING' });
    const { tidb } = tidbOver([here, other, elsewhere, deleting]);
    const settings = { ...SETTINGS, selection: { ids: [], globs: ['ord*'] } };
    const fleet = await readFleet({ tidb, ec2: ec2Over([]) }, settings, {});
    expect(fleet.clusters.map((row) => [row.clusterId, row.selected])).toEqual([
      [here.clusterId, true],
      [other.clusterId, false],
    ]);
  });

  it('without a VPC reads no endpoints and leaves their columns empty', async () => {
    const a = cluster('1379661944646413143');
    const { tidb } = tidbOver([a]);
    const ec2 = ec2Over([endpoint(a.clusterId, 'vpce-0123456789abcdef0')]);
    const fleet = await readFleet({ tidb, ec2 }, { ...SETTINGS, vpcId: '', vpcs: [] }, {});
    expect(ec2.calls.listManagedEndpoints).toBe(0);
    expect(fleet.orphans).toEqual([]);
    expect(fleet.clusters[0]).toMatchObject({ vpcEndpointId: null, endpointState: null, health: null });
    expect(fleet.clusters[0]?.privateLinkService?.state).toBe('ACTIVE');
  });

  it("takes the registry's recorded services and counts only the ones it must ask TiDB for", async () => {
    const recorded = cluster('1000000000000000001');
    const unrecorded = cluster('1000000000000000002');
    const registry = new MemoryClusterRegistry();
    const facts = {
      state: 'ACTIVE',
      serviceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-recorded',
      availableZones: [],
    };
    await registry.recordService(recorded.clusterId, facts);
    const { tidb, calls } = tidbOver([recorded, unrecorded]);
    const steps: Array<[number, number]> = [];
    const fleet = await readFleet({ tidb, ec2: ec2Over([]), registry }, SETTINGS, {
      onServiceRead: (done, total) => steps.push([done, total]),
    });
    expect(calls.getPrivateLinkService).toBe(1);
    expect(steps).toEqual([[1, 1]]);
    expect(fleet.clusters[0]?.privateLinkService?.serviceName).toBe(facts.serviceName);
  });

  it('asks for no service of a cluster that is not ACTIVE or has no node group yet', async () => {
    const paused = cluster('1000000000000000001', { state: 'PAUSED' });
    const creating = cluster('1000000000000000002', { state: 'CREATING', nodeGroups: [] });
    const { tidb, calls } = tidbOver([paused, creating]);
    const fleet = await readFleet({ tidb, ec2: ec2Over([]) }, SETTINGS, {});
    expect(calls.getPrivateLinkService).toBe(0);
    expect(fleet.clusters.map((row) => [row.tidbNodeGroupId, row.privateLinkService])).toEqual([
      [`${paused.clusterId}0`, null],
      [null, null],
    ]);
  });

  it('prices an orphan and dates its deletion from when it was marked', async () => {
    const since = '2026-11-26T12:00:00.000Z';
    const orphan = endpoint('1000000000000000009', 'vpce-0fedcba9876543210', {
      tags: { ...endpoint('1000000000000000009', '').tags, [ORPHANED_SINCE_TAG]: since },
    });
    const { tidb } = tidbOver([]);
    const settings = { ...SETTINGS, deleteOrphansAfterMs: 48 * HOUR };
    const fleet = await readFleet({ tidb, ec2: ec2Over([orphan]) }, settings, {});
    expect(fleet.orphans).toEqual([
      {
        clusterId: '1000000000000000009',
        tidbNodeGroupId: '10000000000000000090',
        vpcEndpointId: 'vpce-0fedcba9876543210',
        reason: 'TiDB Cloud has no cluster 1000000000000000009 (404)',
        orphanedSince: since,
        deletesAt: new Date(Date.parse(since) + 48 * HOUR).toISOString(),
        availabilityZones: 2,
        costPerMonthUsd: 14.6,
      },
    ]);
  });

  it('with several VPCs shows one row per cluster per VPC, each with its own endpoint', async () => {
    const a = cluster('1379661944646413143');
    const first = endpoint(a.clusterId, 'vpce-0aaaaaaaaaaaaaaaa');
    const second = endpoint(a.clusterId, 'vpce-0bbbbbbbbbbbbbbbb', {
      vpcId: OTHER_VPC,
      state: 'pendingAcceptance',
    });
    const { tidb } = tidbOver([a], [connection(first, 'ACTIVE'), connection(second, 'PENDING')]);
    const settings = {
      ...SETTINGS,
      vpcs: [...(SETTINGS.vpcs ?? []), { vpcId: OTHER_VPC, subnetIds: ['subnet-0c'], securityGroupIds: [] }],
    };
    const fleet = await readFleet({ tidb, ec2: ec2Over([first, second]) }, settings, {});
    expect(
      fleet.clusters.map((row) => [row.vpcId, row.vpcEndpointId, row.endpointState, row.connectionState]),
    ).toEqual([
      [VPC, 'vpce-0aaaaaaaaaaaaaaaa', 'available', 'ACTIVE'],
      [OTHER_VPC, 'vpce-0bbbbbbbbbbbbbbbb', 'pendingAcceptance', 'PENDING'],
    ]);
  });
});
