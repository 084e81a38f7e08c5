/**
 * The orphan pass on in-memory parts (the EC2 fake and a scripted TiDB Cloud port): what it must not do when
 * a read fails or a step is refused. The happy paths run against the simulator in
 * test/integration/reconcile/orphans.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  AwsError,
  TidbCloudNotFoundError,
  TidbCloudUnavailableError,
} from '../../../../functions/core/errors.ts';
import {
  CLUSTER_ID_TAG,
  type Cluster,
  MANAGED_BY_TAG,
  MANAGED_BY_VALUE,
  NODE_GROUP_ID_TAG,
  ORPHANED_SINCE_TAG,
  type PrivateEndpointConnection,
  STACK_TAG,
} from '../../../../functions/core/model.ts';
import type { AppEvent, TidbCloudPort } from '../../../../functions/core/ports.ts';
import { handleOrphans, mergeOrphanResults } from '../../../../functions/core/reconcile/orphans.ts';
import type { ReconcileDeps } from '../../../../functions/core/reconcile/types.ts';
import { Ec2Fake } from '../../../../testing/ec2-fake.ts';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-11-26T12:00:00.000Z');
const CLUSTER = '1379661944646413143';
const GROUP = '1934178998036000000';
const SERVICE = 'com.amazonaws.vpce.us-east-1.vpce-svc-0a1b2c3d4e5f60718';

interface Script {
  getCluster?: () => Promise<Cluster>;
  listConnections?: () => Promise<PrivateEndpointConnection[]>;
  deleteConnection?: () => Promise<void>;
}

function tidbOf(script: Script): TidbCloudPort & { deleted: string[] } {
  const deleted: string[] = [];
  const unexpected = () => Promise.reject(new Error('not expected in this test'));
  return {
    deleted,
    listClusters: unexpected,
    getCluster: script.getCluster ?? (() => Promise.reject(new TidbCloudNotFoundError('no cluster'))),
    listNodeGroups: unexpected,
    getPrivateLinkService: unexpected,
    listConnections: script.listConnections ?? (() => Promise.resolve([])),
    createConnection: unexpected,
    getConnection: unexpected,
    deleteConnection: async (_c, _g, id) => {
      await script.deleteConnection?.();
      deleted.push(id);
    },
  };
}

async function setUp(script: Script, tags: Record<string, string> = {}) {
  const ec2 = Ec2Fake.withDefaultWorld({ region: 'us-east-1' });
  ec2.registerService(SERVICE, ['use1-az1']);
  const endpoint = await ec2.createInterfaceEndpoint({
    vpcId: ec2.world.vpcId,
    serviceName: SERVICE,
    subnetIds: [ec2.world.subnetIdByZoneId['use1-az1'] ?? ''],
    securityGroupIds: [ec2.world.securityGroupId],
    clientToken: 'token',
    tags: {
      [MANAGED_BY_TAG]: MANAGED_BY_VALUE,
      [STACK_TAG]: 'tidb-privatelink',
      [CLUSTER_ID_TAG]: CLUSTER,
      [NODE_GROUP_ID_TAG]: GROUP,
      ...tags,
    },
  });
  ec2.accept(endpoint.vpcEndpointId);
  created.endpointId = endpoint.vpcEndpointId;
  const published: AppEvent[] = [];
  const tidb = tidbOf(script);
  const deps: ReconcileDeps = {
    tidb,
    ec2,
    events: { publish: async (events) => void published.push(...events) },
    clock: { now: () => NOW, sleep: async () => undefined },
    settings: {
      region: 'us-east-1',
      vpcId: ec2.world.vpcId,
      subnetIds: ec2.world.subnetIds,
      securityGroupIds: [ec2.world.securityGroupId],
      pollIntervalMs: 5000,
      stackName: 'tidb-privatelink',
      pendingTimeoutMs: 30 * 60_000,
      deleteOrphansAfterMs: HOUR,
    },
  };
  const snapshot = { clusters: [], connections: [], endpoints: await ec2.listManagedEndpoints() };
  const current = async () => (await ec2.findEndpoints({ vpcEndpointIds: [endpoint.vpcEndpointId] }))[0];
  return { ec2, tidb, deps, snapshot, published, current };
}

/** The endpoint setUp made, for scripted connections (read when the script runs, after setUp). */
const created = { endpointId: '' };
const markedLongAgo = { [ORPHANED_SINCE_TAG]: new Date(NOW - 2 * HOUR).toISOString() };
const connection = { privateEndpointConnectionId: '42', endpointId: '' } as PrivateEndpointConnection;

describe('handleOrphans when something fails', () => {
  it('a cluster GET that fails (not 404) proves nothing: no mark, no event, no outcome', async () => {
    const { deps, snapshot, ec2, published, current } = await setUp({
      getCluster: () => Promise.reject(new TidbCloudUnavailableError('503')),
    });
    expect(await handleOrphans(deps, snapshot, {})).toEqual([]);
    expect(ec2.mutatingCalls).toBe(1); // the create in setUp
    expect(published).toEqual([]);
    expect((await current())?.tags[ORPHANED_SINCE_TAG]).toBeUndefined();
  });

  it('a failed GET never takes a mark off either', async () => {
    const { deps, snapshot, current } = await setUp(
      { getCluster: () => Promise.reject(new TidbCloudUnavailableError('503')) },
      markedLongAgo,
    );
    await handleOrphans(deps, snapshot, {});
    expect((await current())?.tags[ORPHANED_SINCE_TAG]).toBe(markedLongAgo[ORPHANED_SINCE_TAG]);
    expect((await current())?.state).toBe('available');
  });

  it('keeps the endpoint when its connection cannot be deleted (connection first), as an Error outcome', async () => {
    const { deps, snapshot, tidb, current, published } = await setUp(
      {
        listConnections: async () => [{ ...connection, endpointId: created.endpointId }],
        deleteConnection: () => Promise.reject(new TidbCloudUnavailableError('503 after retries')),
      },
      markedLongAgo,
    );
    const results = await handleOrphans(deps, snapshot, {});
    const [outcome] = mergeOrphanResults([], results);
    expect(outcome).toMatchObject({ phase: 'Error', error: { code: 'TIDB_UNAVAILABLE' } });
    expect((await current())?.state).toBe('available');
    expect(tidb.deleted).toEqual([]);
    expect(published).toEqual([]);
  });

  it('a connection already gone (404 on DELETE) still lets the endpoint go', async () => {
    const { deps, snapshot, current, published } = await setUp(
      {
        listConnections: async () => [{ ...connection, endpointId: created.endpointId }],
        deleteConnection: () => Promise.reject(new TidbCloudNotFoundError('gone')),
      },
      markedLongAgo,
    );
    const [outcome] = mergeOrphanResults([], await handleOrphans(deps, snapshot, {}));
    expect(outcome?.actions.map((action) => action.type)).toEqual(['delete-connection', 'delete-endpoint']);
    expect((await current())?.state).toBe('deleted');
    expect(published.map((event) => event.detailType)).toEqual(['PrivateLink Endpoint Deleted']);
  });

  it('a refused delete (a permission) is Blocked API_REFUSED with the fix, and the endpoint stays', async () => {
    const { deps, snapshot, ec2, current } = await setUp({}, markedLongAgo);
    ec2.failNext(
      'DeleteVpcEndpoints',
      new AwsError('UnauthorizedOperation', 'You are not authorized to perform this operation.'),
    );
    const [outcome] = mergeOrphanResults([], await handleOrphans(deps, snapshot, {}));
    expect(outcome).toMatchObject({ phase: 'Blocked', reason: 'API_REFUSED' });
    expect(outcome?.remediation).toContain('npx tidb-privatelink reconcile');
    expect((await current())?.state).toBe('available');
  });
});
