import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  TidbCloudBadRequestError,
  TidbCloudConflictError,
  TidbCloudNotFoundError,
} from '../../../functions/core/errors.ts';
import { manualClock, type Simulator, startSimulator } from '../../../testing/tidbcloud-simulator/index.ts';
import { clientFor } from './harness.ts';

describe('TidbCloudClient against the simulator', () => {
  let sim: Simulator;

  beforeEach(async () => {
    sim = await startSimulator({ serviceReadyMs: 0 });
  });

  afterEach(async () => {
    await sim.close();
  });

  it('lists 250 clusters in 3 pages of 100, following nextPageToken', async () => {
    const ids = Array.from({ length: 250 }, () => sim.addCluster().clusterId);
    const client = clientFor(sim);
    const clusters = await client.listClusters({});
    expect(clusters.map((cluster) => cluster.clusterId)).toEqual(ids);
    const lists = sim.requests.filter(
      (request) => request.operation === 'listClusters' && request.status === 200,
    );
    expect(lists).toHaveLength(3);
    expect(lists.map((request) => request.query.get('pageSize'))).toEqual(['100', '100', '100']);
    expect(lists[0]?.query.has('pageToken')).toBe(false);
    expect(lists[1]?.query.get('pageToken')).toBeTruthy();
    expect(client.stats.byOperation.listClusters).toBe(4); // 3 pages + the first digest challenge
    expect(client.stats.challenges).toBe(1);
  });

  it('filters by projectId, and without it lists the default project only', async () => {
    const inDefault = sim.addCluster();
    const other = sim.addCluster({ projectId: '1372813089454000999' });
    const client = clientFor(sim);
    expect((await client.listClusters({ projectId: '1372813089454000999' })).map((c) => c.clusterId)).toEqual(
      [other.clusterId],
    );
    expect((await client.listClusters({})).map((c) => c.clusterId)).toEqual([inDefault.clusterId]);
    expect(sim.requests.at(-2)?.query.get('projectId')).toBe('1372813089454000999');
    expect(sim.requests.at(-1)?.query.has('projectId')).toBe(false);
  });

  it('maps a cluster: project label, port, default group and its private endpoint host', async () => {
    const added = sim.addCluster({ displayName: 'orders-prod', port: 4100, regionId: 'aws-us-west-2' });
    const cluster = await clientFor(sim).getCluster(added.clusterId);
    expect(cluster).toMatchObject({
      clusterId: added.clusterId,
      displayName: 'orders-prod',
      regionId: 'aws-us-west-2',
      state: 'ACTIVE',
      port: 4100,
      projectId: sim.defaultProjectId,
      cloudProvider: 'aws',
    });
    expect(cluster.nodeGroups).toEqual([
      {
        tidbNodeGroupId: added.tidbNodeGroupId,
        displayName: 'DefaultGroup',
        isDefaultGroup: true,
        privateEndpointHost: added.serviceDnsName,
      },
    ]);
  });

  it('keeps ids beyond 2^53 intact, digit for digit', async () => {
    const clusterId = '18446744073709551615';
    expect(Number(clusterId).toString()).not.toBe(clusterId);
    const added = sim.addCluster({ clusterId, defaultNodeGroupId: '9223372036854775807' });
    const client = clientFor(sim);
    const [listed] = await client.listClusters({});
    expect(listed?.clusterId).toBe(clusterId);
    const groups = await client.listNodeGroups(clusterId);
    expect(groups.map((group) => group.tidbNodeGroupId)).toEqual(['9223372036854775807']);
    const connection = await client.createConnection(
      clusterId,
      added.tidbNodeGroupId,
      'vpce-0a1b2c3d4e5f60789',
    );
    expect(connection.clusterId).toBe(clusterId);
    expect(connection.privateEndpointConnectionId).toMatch(/^\d{19}$/);
    const again = await client.getConnection(
      clusterId,
      added.tidbNodeGroupId,
      connection.privateEndpointConnectionId,
    );
    expect(again.privateEndpointConnectionId).toBe(connection.privateEndpointConnectionId);
  });

  it('lists node groups across pages and reads the private link service', async () => {
    const added = sim.addCluster({ regionId: 'aws-us-east-1', availableZones: ['use1-az1', 'use1-az4'] });
    sim.addNodeGroup(added.clusterId, { displayName: 'analytics' });
    const client = clientFor(sim);
    const groups = await client.listNodeGroups(added.clusterId);
    expect(groups.map((group) => group.isDefaultGroup)).toEqual([true, false]);
    const service = await client.getPrivateLinkService(added.clusterId, added.tidbNodeGroupId);
    expect(service).toEqual({
      tidbNodeGroupId: added.tidbNodeGroupId,
      serviceName: added.serviceName,
      serviceDnsName: added.serviceDnsName,
      availableZones: ['use1-az1', 'use1-az4'],
      state: 'ACTIVE',
      regionId: 'aws-us-east-1',
    });
    expect(service.serviceName).toMatch(/^com\.amazonaws\.vpce\.us-east-1\.vpce-svc-[0-9a-f]{17}$/);
    expect(service.serviceDnsName).toMatch(
      new RegExp(
        `^privatelink-${added.tidbNodeGroupId.slice(0, 8)}\\.[a-z0-9]+\\.clusters\\.tidb-cloud\\.com$`,
      ),
    );
  });

  it('names the missing id in a 404', async () => {
    const client = clientFor(sim);
    const error = await client.getCluster('1234567890123456789').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TidbCloudNotFoundError);
    expect((error as Error).message).toMatch(/^TiDB Cloud has no cluster 1234567890123456789/);
    expect((error as TidbCloudNotFoundError).status).toBe(404);
    expect((error as TidbCloudNotFoundError).traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('passes TiDB’s message on a 400 (malformed id)', async () => {
    const error = await clientFor(sim)
      .getCluster('not-a-number')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TidbCloudBadRequestError);
    expect((error as Error).message).toContain('invalid clusterId "not-a-number"');
  });

  it('creates a connection with exactly {"endpointId": …} and lists it in both scopes', async () => {
    const added = sim.addCluster();
    const client = clientFor(sim);
    const created = await client.createConnection(
      added.clusterId,
      added.tidbNodeGroupId,
      'vpce-03367e96180000000',
    );
    const posts = sim.requests.filter((request) => request.method === 'POST');
    expect(posts).toHaveLength(2); // the unauthenticated first try (challenge) and the real one
    expect(posts.filter((request) => request.status === 200)).toHaveLength(1);
    expect(JSON.parse(posts.at(-1)?.body ?? '')).toStrictEqual({ endpointId: 'vpce-03367e96180000000' });
    expect(created).toMatchObject({
      endpointState: 'PENDING',
      host: '',
      port: 4000,
      tidbNodeGroupId: added.tidbNodeGroupId,
    });
    const inGroup = await client.listConnections({
      clusterId: added.clusterId,
      tidbNodeGroupId: added.tidbNodeGroupId,
    });
    const inProject = await client.listConnections({ projectId: sim.defaultProjectId });
    const inDefault = await client.listConnections({});
    for (const list of [inGroup, inProject, inDefault]) {
      expect(list.map((item) => item.privateEndpointConnectionId)).toEqual([
        created.privateEndpointConnectionId,
      ]);
    }
    expect(await client.listConnections({ projectId: '1000000000000000001' })).toEqual([]);
    const dashPath = sim.requests.filter((request) => request.path.includes('/clusters/-/tidbNodeGroups/-/'));
    expect(dashPath.length).toBeGreaterThanOrEqual(3);
  });

  it('turns a duplicate registration into a 400 with TiDB’s message', async () => {
    const added = sim.addCluster();
    const client = clientFor(sim);
    await client.createConnection(added.clusterId, added.tidbNodeGroupId, 'vpce-0aaa');
    const error = await client
      .createConnection(added.clusterId, added.tidbNodeGroupId, 'vpce-0aaa')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TidbCloudBadRequestError);
    expect((error as Error).message).toContain('already registered');
  });

  it('turns a 409 duplicate into TidbCloudConflictError; a lost answer then a 409 resolves to the connection', async () => {
    await sim.close();
    sim = await startSimulator({ serviceReadyMs: 0, duplicateConnectionStatus: 409 });
    const added = sim.addCluster();
    const client = clientFor(sim);
    await client.createConnection(added.clusterId, added.tidbNodeGroupId, 'vpce-0aaa');
    const error = await client
      .createConnection(added.clusterId, added.tidbNodeGroupId, 'vpce-0aaa')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TidbCloudConflictError);
    expect((error as Error).message).toContain('already registered');

    sim.faults.dropResponses(1);
    const mine = await client.createConnection(added.clusterId, added.tidbNodeGroupId, 'vpce-0bbb');
    expect(mine.endpointId).toBe('vpce-0bbb');
    expect(sim.requests.filter((r) => r.operation === 'createConnection').map((r) => r.status)).toContain(
      409,
    );
    expect(await sim.connections()).toHaveLength(2);
  });

  it('deletes a connection: DELETING, then gone (404)', async () => {
    const added = sim.addCluster();
    const client = clientFor(sim);
    const { privateEndpointConnectionId: id } = await client.createConnection(
      added.clusterId,
      added.tidbNodeGroupId,
      'vpce-0bbb',
    );
    await client.deleteConnection(added.clusterId, added.tidbNodeGroupId, id);
    expect((await client.getConnection(added.clusterId, added.tidbNodeGroupId, id)).endpointState).toBe(
      'DELETING',
    );
    const error = await client
      .getConnection(added.clusterId, added.tidbNodeGroupId, '1111111111111111111')
      .catch((caught: unknown) => caught);
    expect((error as Error).message).toContain('private endpoint connection 1111111111111111111');
  });

  it('cancels a call when its AbortSignal aborts', async () => {
    sim.addCluster();
    const client = clientFor(sim, { sleep: undefined, now: undefined });
    sim.faults.slow(2_000, 5);
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 100);
    const error = await client
      .listClusters({}, { signal: controller.signal })
      .catch((caught: unknown) => caught);
    expect((error as Error).name).toBe('AbortError');
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});

describe('connection lifecycle', () => {
  it('goes PENDING → ACTIVE after connectionAcceptMs with host and port, and tells the AWS fake', async () => {
    const clock = manualClock();
    const activated: string[] = [];
    const sim = await startSimulator({
      now: clock.now,
      serviceReadyMs: 0,
      connectionAcceptMs: 300_000,
      onConnectionActive: (endpointId) => {
        activated.push(endpointId);
      },
    });
    try {
      const added = sim.addCluster({ port: 4000 });
      const client = clientFor(sim);
      const created = await client.createConnection(added.clusterId, added.tidbNodeGroupId, 'vpce-0ccc');
      clock.advance(299_000);
      const pending = await client.getConnection(
        added.clusterId,
        added.tidbNodeGroupId,
        created.privateEndpointConnectionId,
      );
      expect(pending).toMatchObject({ endpointState: 'PENDING', host: '' });
      expect(activated).toEqual([]);
      clock.advance(1_000);
      const active = await client.getConnection(
        added.clusterId,
        added.tidbNodeGroupId,
        created.privateEndpointConnectionId,
      );
      expect(active).toMatchObject({ endpointState: 'ACTIVE', host: added.serviceDnsName, port: 4000 });
      await client.getConnection(added.clusterId, added.tidbNodeGroupId, created.privateEndpointConnectionId);
      expect(activated).toEqual(['vpce-0ccc']);
    } finally {
      await sim.close();
    }
  });

  it('removes a deleted connection after connectionDeleteMs', async () => {
    const clock = manualClock();
    const sim = await startSimulator({ now: clock.now, serviceReadyMs: 0, connectionDeleteMs: 10_000 });
    try {
      const added = sim.addCluster();
      const client = clientFor(sim);
      const { privateEndpointConnectionId: id } = await client.createConnection(
        added.clusterId,
        added.tidbNodeGroupId,
        'vpce-0abc',
      );
      await client.deleteConnection(added.clusterId, added.tidbNodeGroupId, id);
      clock.advance(9_000);
      expect((await client.getConnection(added.clusterId, added.tidbNodeGroupId, id)).endpointState).toBe(
        'DELETING',
      );
      clock.advance(1_000);
      await expect(client.getConnection(added.clusterId, added.tidbNodeGroupId, id)).rejects.toThrow(
        TidbCloudNotFoundError,
      );
      expect(await client.listConnections({})).toEqual([]);
    } finally {
      await sim.close();
    }
  });

  it('goes FAILED with TiDB’s message when the endpoint does not exist in AWS', async () => {
    const sim = await startSimulator({
      serviceReadyMs: 0,
      connectionAcceptMs: 0,
      endpointExists: async (endpointId) => endpointId !== 'vpce-0404',
    });
    try {
      const added = sim.addCluster();
      const client = clientFor(sim);
      const created = await client.createConnection(added.clusterId, added.tidbNodeGroupId, 'vpce-0404');
      const failed = await client.getConnection(
        added.clusterId,
        added.tidbNodeGroupId,
        created.privateEndpointConnectionId,
      );
      expect(failed.endpointState).toBe('FAILED');
      expect(failed.message).toBe("The VPC Endpoint Id '{vpce-0404 []}' does not exist");
    } finally {
      await sim.close();
    }
  });

  it('cluster CREATING → ACTIVE, then the service CREATING (no name) → ACTIVE serviceReadyMs later', async () => {
    const clock = manualClock();
    const sim = await startSimulator({ now: clock.now, clusterCreateMs: 600_000, serviceReadyMs: 240_000 });
    try {
      const added = sim.addCluster();
      const client = clientFor(sim);
      expect((await client.getCluster(added.clusterId)).state).toBe('CREATING');
      clock.advance(600_000);
      const cluster = await client.getCluster(added.clusterId);
      expect(cluster.state).toBe('ACTIVE');
      expect(cluster.nodeGroups[0]?.privateEndpointHost).toBeUndefined();
      const creating = await client.getPrivateLinkService(added.clusterId, added.tidbNodeGroupId);
      expect(creating).toMatchObject({ state: 'CREATING', serviceName: '' });
      const refused = await client
        .createConnection(added.clusterId, added.tidbNodeGroupId, 'vpce-0ddd')
        .catch((caught: unknown) => caught);
      expect(refused).toBeInstanceOf(TidbCloudBadRequestError);
      clock.advance(240_000);
      const ready = await client.getPrivateLinkService(added.clusterId, added.tidbNodeGroupId);
      expect(ready).toMatchObject({ state: 'ACTIVE', serviceName: added.serviceName });
      expect((await client.getCluster(added.clusterId)).nodeGroups[0]?.privateEndpointHost).toBe(
        added.serviceDnsName,
      );
    } finally {
      await sim.close();
    }
  });
});
