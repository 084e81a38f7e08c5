import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildAuthorization,
  newCnonce,
  parseChallenge,
} from '../../../functions/adapters/tidbcloud/digest.ts';
import {
  DEFINITIONS,
  type Simulator,
  startSimulator,
  swaggerValidator,
} from '../../../testing/tidbcloud-simulator/index.ts';

const validator = swaggerValidator();

interface RawResponse {
  status: number;
  headers: Headers;
  json: unknown;
}

/** A bare Digest client (one challenge per call), to look at the simulator's raw responses. */
async function call(sim: Simulator, method: string, target: string, body?: string): Promise<RawResponse> {
  const url = `${sim.url.replace(/\/v1beta1$/, '')}${target}`;
  const first = await fetch(url, { method, ...(body === undefined ? {} : { body }) });
  await first.text();
  const challenge = parseChallenge(first.headers.get('www-authenticate'));
  if (!challenge) throw new Error('no challenge');
  const authorization = buildAuthorization({
    challenge,
    username: sim.publicKey,
    password: sim.privateKey,
    method,
    uri: target,
    nc: 1,
    cnonce: newCnonce(),
  });
  const response = await fetch(url, {
    method,
    headers: { authorization },
    ...(body === undefined ? {} : { body }),
  });
  return { status: response.status, headers: response.headers, json: await response.json() };
}

function field(json: unknown, key: string): unknown {
  return typeof json === 'object' && json !== null ? (json as Record<string, unknown>)[key] : undefined;
}

describe('simulator responses match the real swagger', () => {
  let sim: Simulator;
  let clusterId = '';
  let groupId = '';
  let connectionId = '';

  beforeAll(async () => {
    sim = await startSimulator({ serviceReadyMs: 0, connectionAcceptMs: 0 });
    const added = sim.addCluster({ displayName: 'orders-prod', regionId: 'aws-us-west-2' });
    clusterId = added.clusterId;
    groupId = added.tidbNodeGroupId;
    sim.addNodeGroup(clusterId, { displayName: 'analytics' });
    const created = await call(
      sim,
      'POST',
      `/v1beta1/clusters/${clusterId}/tidbNodeGroups/${groupId}/privateEndpointConnections`,
      '{"endpointId":"vpce-03367e96180000000","privateIpAddress":""}',
    );
    expect(validator.errors(DEFINITIONS.connection, created.json)).toEqual([]);
    connectionId = String(field(created.json, 'privateEndpointConnectionId'));
  });

  afterAll(async () => {
    await sim.close();
  });

  const cases: Array<[string, () => string, string]> = [
    ['cluster', () => `/v1beta1/clusters/${clusterId}`, DEFINITIONS.cluster],
    ['list clusters', () => '/v1beta1/clusters?pageSize=5', DEFINITIONS.listClusters],
    ['node groups', () => `/v1beta1/clusters/${clusterId}/tidbNodeGroups`, DEFINITIONS.listNodeGroups],
    ['node group', () => `/v1beta1/clusters/${clusterId}/tidbNodeGroups/${groupId}`, DEFINITIONS.nodeGroup],
    [
      'private link service',
      () => `/v1beta1/clusters/${clusterId}/tidbNodeGroups/${groupId}/privateLinkService`,
      DEFINITIONS.privateLinkService,
    ],
    [
      'connection',
      () =>
        `/v1beta1/clusters/${clusterId}/tidbNodeGroups/${groupId}/privateEndpointConnections/${connectionId}`,
      DEFINITIONS.connection,
    ],
    [
      'list connections',
      () => `/v1beta1/clusters/${clusterId}/tidbNodeGroups/${groupId}/privateEndpointConnections`,
      DEFINITIONS.listConnections,
    ],
    [
      'list connections -/-',
      () => '/v1beta1/clusters/-/tidbNodeGroups/-/privateEndpointConnections',
      DEFINITIONS.listConnections,
    ],
    ['404 body', () => '/v1beta1/clusters/1234567890123456789', DEFINITIONS.error],
    ['400 body', () => '/v1beta1/clusters/abc', DEFINITIONS.error],
  ];

  it.each(cases)('%s', async (_name, target, definition) => {
    const response = await call(sim, 'GET', target());
    expect(validator.errors(definition, response.json)).toEqual([]);
    expect(response.headers.get('x-debug-trace-id')).toMatch(/^[0-9a-f]{32}$/);
    expect(response.headers.get('x-ratelimit-limit-minute')).toBe('100');
  });

  it('the validator itself rejects drift (an invented field, a wrong enum, a number id)', () => {
    expect(validator.errors(DEFINITIONS.privateLinkService, { availabilityZones: [] })).not.toEqual([]);
    expect(
      validator.errors(DEFINITIONS.connection, {
        tidbNodeGroupId: '1',
        endpointId: 'v',
        endpointState: 'READY',
      }),
    ).not.toEqual([]);
    expect(validator.errors(DEFINITIONS.listClusters, { clusters: [], totalSize: '1' })).not.toEqual([]);
  });

  it('connection deletion answers {} and the ACTIVE connection carries host and port', async () => {
    const path = `/v1beta1/clusters/${clusterId}/tidbNodeGroups/${groupId}/privateEndpointConnections/${connectionId}`;
    const active = await call(sim, 'GET', path);
    expect(field(active.json, 'endpointState')).toBe('ACTIVE');
    expect(field(active.json, 'host')).toBe(sim.cluster(clusterId).serviceDnsName);
    expect(field(active.json, 'port')).toBe(4000);
    const deleted = await call(sim, 'DELETE', path);
    expect(deleted).toMatchObject({ status: 200, json: {} });
    expect(field((await call(sim, 'GET', path)).json, 'endpointState')).toBe('DELETING');
  });
});

describe('simulator semantics', () => {
  let sim: Simulator;
  const ids: string[] = [];

  beforeAll(async () => {
    sim = await startSimulator({ serviceReadyMs: 0 });
    for (let i = 0; i < 25; i += 1)
      ids.push(sim.addCluster({ regionId: i % 5 === 0 ? 'aws-eu-central-1' : 'aws-us-east-1' }).clusterId);
    sim.setClusterState(ids[1] ?? '', 'PAUSED');
  });

  afterAll(async () => {
    await sim.close();
  });

  it('pages 10 by default, with totalSize and an empty nextPageToken on the last page', async () => {
    const first = await call(sim, 'GET', '/v1beta1/clusters');
    expect((field(first.json, 'clusters') as unknown[]).length).toBe(10);
    expect(field(first.json, 'totalSize')).toBe(25);
    const token = String(field(first.json, 'nextPageToken'));
    expect(token).not.toBe('');
    const second = await call(sim, 'GET', `/v1beta1/clusters?pageSize=20&pageToken=${token}`);
    expect((field(second.json, 'clusters') as unknown[]).length).toBe(15);
    expect(field(second.json, 'nextPageToken')).toBe('');
  });

  it('lists connections in an order of its own, the same across the pages of one listing', async () => {
    const clusterId = ids[2] ?? '';
    for (let i = 0; i < 25; i += 1) {
      sim.seedConnection({ clusterId, endpointId: `vpce-0${i.toString(16).padStart(16, '0')}` });
    }
    const listAll = async () => {
      const seen: string[] = [];
      let token = '';
      do {
        const page = await call(
          sim,
          'GET',
          `/v1beta1/clusters/${clusterId}/tidbNodeGroups/-/privateEndpointConnections?pageSize=10&pageToken=${token}`,
        );
        const items = field(page.json, 'privateEndpointConnections') as Array<{ endpointId: string }>;
        seen.push(...items.map((item) => item.endpointId));
        token = String(field(page.json, 'nextPageToken'));
      } while (token !== '');
      return seen;
    };
    const [first, second] = [await listAll(), await listAll()];
    // Every connection exactly once per listing (one order across its pages), another order next listing.
    expect(new Set(first).size).toBe(25);
    expect([...second].sort()).toEqual([...first].sort());
    expect(second).not.toEqual(first);
  });

  it("lists a cluster's own connections only, and forgets those of a removed group or cluster", async () => {
    // A simulator of its own: the others' clusters stay as they are.
    const sim = await startSimulator({ serviceReadyMs: 0 });
    const [mine, other] = [sim.addCluster().clusterId, sim.addCluster().clusterId];
    const added = sim.addNodeGroup(mine);
    const endpoint = (n: number) => `vpce-0aa${n.toString(16).padStart(14, '0')}`;
    sim.seedConnection({ clusterId: mine, endpointId: endpoint(1) });
    sim.seedConnection({ clusterId: mine, tidbNodeGroupId: added.tidbNodeGroupId, endpointId: endpoint(2) });
    const pinned = sim.seedConnection({
      clusterId: other,
      endpointId: endpoint(3),
      endpointState: 'PENDING',
    });
    const listed = async (clusterId: string) => {
      const page = await call(
        sim,
        'GET',
        `/v1beta1/clusters/${clusterId}/tidbNodeGroups/-/privateEndpointConnections?pageSize=100`,
      );
      const items = field(page.json, 'privateEndpointConnections') as Array<{ endpointId: string }>;
      return items.map((item) => item.endpointId).sort();
    };
    expect(await listed(mine)).toEqual([endpoint(1), endpoint(2)]);
    sim.removeNodeGroup(mine, added.tidbNodeGroupId);
    expect(await listed(mine)).toEqual([endpoint(1)]);
    // Another cluster's connection, PENDING until TiDB's acceptance is due (minutes away), is left alone.
    expect(await listed(other)).toEqual([endpoint(3)]);
    sim.removeCluster(mine);
    const all = await sim.connections();
    expect(all.filter((c) => c.clusterId === mine)).toEqual([]);
    expect(
      all.find((c) => c.privateEndpointConnectionId === pinned.privateEndpointConnectionId),
    ).toMatchObject({
      endpointState: 'PENDING',
    });
    await sim.close();
  });

  it('caps pageSize at 100, honours skip, and rejects malformed paging', async () => {
    const big = await call(sim, 'GET', '/v1beta1/clusters?pageSize=500');
    expect((field(big.json, 'clusters') as unknown[]).length).toBe(25);
    const skipped = await call(sim, 'GET', '/v1beta1/clusters?skip=24');
    expect((field(skipped.json, 'clusters') as Array<{ clusterId: string }>).map((c) => c.clusterId)).toEqual(
      [ids[24]],
    );
    const beyond = await call(sim, 'GET', '/v1beta1/clusters?skip=99');
    expect(beyond.json).toMatchObject({ clusters: [], totalSize: 25, nextPageToken: '' });
    expect((await call(sim, 'GET', '/v1beta1/clusters?pageSize=-1')).status).toBe(400);
    expect((await call(sim, 'GET', '/v1beta1/clusters?pageToken=garbage')).status).toBe(400);
  });

  it('binds a page token to the other parameters', async () => {
    const first = await call(sim, 'GET', '/v1beta1/clusters?regionIds=aws-us-east-1');
    const token = String(field(first.json, 'nextPageToken'));
    expect((await call(sim, 'GET', `/v1beta1/clusters?pageToken=${token}`)).status).toBe(400);
    expect(
      (await call(sim, 'GET', `/v1beta1/clusters?regionIds=aws-us-east-1&pageToken=${token}`)).status,
    ).toBe(200);
  });

  it('filters by repeated clusterIds, regionIds and clusterStates', async () => {
    const byIds = await call(sim, 'GET', `/v1beta1/clusters?clusterIds=${ids[3]}&clusterIds=${ids[4]}`);
    expect(field(byIds.json, 'totalSize')).toBe(2);
    const byRegion = await call(sim, 'GET', '/v1beta1/clusters?regionIds=aws-eu-central-1');
    expect(field(byRegion.json, 'totalSize')).toBe(5);
    const paused = await call(sim, 'GET', '/v1beta1/clusters?clusterStates=PAUSED');
    expect((field(paused.json, 'clusters') as Array<{ clusterId: string }>).map((c) => c.clusterId)).toEqual([
      ids[1],
    ]);
    expect((await call(sim, 'GET', '/v1beta1/clusters?clusterStates=HAPPY')).status).toBe(400);
  });

  it('rejects a create without endpointId, with a non-vpce id, or with bad JSON', async () => {
    const path = `/v1beta1/clusters/${ids[0]}/tidbNodeGroups/${sim.cluster(ids[0] ?? '').tidbNodeGroupId}/privateEndpointConnections`;
    for (const body of ['{}', '{"endpointId":"i-123"}', 'not json']) {
      const response = await call(sim, 'POST', path, body);
      expect(response.status).toBe(400);
      expect(field(response.json, 'code')).toBe(3);
    }
  });

  it('challenges like the real API and answers 401 with a google.rpc body', async () => {
    const response = await fetch(`${sim.url}/clusters`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(
      /^Digest realm="tidb\.cloud", domain="", nonce="[^"]+", algorithm=MD5, qop="auth", stale=false$/,
    );
    expect(await response.json()).toMatchObject({ code: 16, details: [] });
  });

  it('sends the verbatim 429 body with the rate-limit headers', async () => {
    sim.faults.rateLimitBurst(1, 23);
    const response = await fetch(`${sim.url}/clusters`);
    expect(response.status).toBe(429);
    expect(response.headers.get('x-ratelimit-reset')).toBe('23');
    expect(response.headers.get('x-ratelimit-remaining-minute')).toBe('0');
    expect(await response.text()).toBe(
      '{"details":[],"code":49900007,"message":"The request exceeded the limit of 100 times per apikey per minute. For more quota, please contact us: https://support.pingcap.com/hc/en-us/requests/new?ticket_form_id=7800003722519"}',
    );
  });

  it('counts remaining requests per key on every response', async () => {
    const one = await call(sim, 'GET', '/v1beta1/clusters?pageSize=1');
    const two = await call(sim, 'GET', '/v1beta1/clusters?pageSize=1');
    const before = Number(one.headers.get('x-ratelimit-remaining-minute'));
    expect(Number(two.headers.get('x-ratelimit-remaining-minute'))).toBe(before - 1);
    expect(Number(two.headers.get('x-ratelimit-reset'))).toBeGreaterThan(0);
  });

  it('rejects a digest answer made with the wrong password, and a replayed nc', async () => {
    const target = '/v1beta1/clusters';
    const first = await fetch(`${sim.url}/clusters`);
    const challenge = parseChallenge(first.headers.get('www-authenticate'));
    if (!challenge) throw new Error('no challenge');
    const base = { challenge, username: sim.publicKey, method: 'GET', uri: target, nc: 1, cnonce: 'c1' };
    const wrong = buildAuthorization({ ...base, password: 'nope' });
    expect((await fetch(`${sim.url}/clusters`, { headers: { authorization: wrong } })).status).toBe(401);
    const right = buildAuthorization({ ...base, password: sim.privateKey });
    expect((await fetch(`${sim.url}/clusters`, { headers: { authorization: right } })).status).toBe(200);
    expect((await fetch(`${sim.url}/clusters`, { headers: { authorization: right } })).status).toBe(401);
  });
});
