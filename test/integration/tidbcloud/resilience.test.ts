import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TidbCloudClient } from '../../../functions/adapters/tidbcloud/client.ts';
import {
  TidbCloudAuthError,
  TidbCloudRateLimitError,
  TidbCloudUnavailableError,
} from '../../../functions/core/errors.ts';
import { manualClock, type Simulator, startSimulator } from '../../../testing/tidbcloud-simulator/index.ts';
import { clientFor, instantClock } from './harness.ts';

describe('TidbCloudClient resilience', () => {
  let sim: Simulator;

  beforeEach(async () => {
    sim = await startSimulator({ serviceReadyMs: 0 });
    sim.addCluster();
  });

  afterEach(async () => {
    await sim.close();
  });

  it('reports a wrong key as TidbCloudAuthError naming both variables, and never the private key', async () => {
    const wrongKey = 'definitely-not-the-right-private-key';
    const client = clientFor(sim, { privateKey: wrongKey });
    const error = await client.listClusters({}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TidbCloudAuthError);
    const { message } = error as Error;
    expect(message).toContain('TIDB_CLOUD_PUBLIC_KEY');
    expect(message).toContain('TIDB_CLOUD_PRIVATE_KEY');
    expect(JSON.stringify(error)).not.toContain(wrongKey);
    expect(message).not.toContain(wrongKey);
    expect(sim.stats().byStatus['401']).toBe(2); // the challenge, and the one refused answer: no loop
  });

  it('waits as X-Ratelimit-Reset says after 429s, then succeeds', async () => {
    const clock = instantClock();
    const client = clientFor(sim, { now: clock.now, sleep: clock.sleep });
    sim.faults.rateLimitBurst(2, 3);
    const clusters = await client.listClusters({});
    expect(clusters).toHaveLength(1);
    expect(clock.sleeps).toEqual([3_000, 3_000]);
    expect(sim.stats().byStatus['429']).toBe(2);
    expect(client.stats.rateLimited).toBe(2);
  });

  it('waits in real time too (reset of 1 s)', async () => {
    const client = new TidbCloudClient({
      baseUrl: sim.url,
      publicKey: sim.publicKey,
      privateKey: sim.privateKey,
    });
    sim.faults.rateLimitBurst(1, 1);
    const started = Date.now();
    await client.listClusters({});
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('gives up on endless 429s with TidbCloudRateLimitError', async () => {
    const client = clientFor(sim, { maxRetries: 2 });
    sim.faults.rateLimitBurst(10, 1);
    const error = await client.listClusters({}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TidbCloudRateLimitError);
    expect((error as Error).message).toContain('100 per minute');
    expect(sim.requests).toHaveLength(3);
    // The answer given up on counts too: three 429s received.
    expect(client.stats).toMatchObject({ requests: 3, rateLimited: 3 });
  });

  it('retries 500s with bounded, jittered backoff', async () => {
    const clock = instantClock();
    const client = clientFor(sim, {
      now: clock.now,
      sleep: clock.sleep,
      backoff: { baseMs: 100, capMs: 250 },
    });
    sim.faults.serverErrors(3);
    expect(await client.listClusters({})).toHaveLength(1);
    expect(clock.sleeps).toHaveLength(3);
    clock.sleeps.forEach((ms, attempt) => {
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThan(Math.min(250, 100 * 2 ** attempt));
    });
  });

  it('turns persistent 500s into TidbCloudUnavailableError with the trace id', async () => {
    const client = clientFor(sim, { maxRetries: 1 });
    sim.faults.serverErrors(5);
    const error = await client.listClusters({}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TidbCloudUnavailableError);
    expect((error as Error).message).toContain('HTTP 500');
    expect((error as TidbCloudUnavailableError).traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(sim.requests).toHaveLength(2);
  });

  it('retries a dropped response', async () => {
    const client = clientFor(sim);
    sim.faults.drop(2);
    expect(await client.listClusters({})).toHaveLength(1);
    expect(sim.requests.filter((request) => request.fault === 'drop')).toHaveLength(2);
    expect(client.stats.retries).toBe(2);
  });

  it('answers a stale-nonce challenge once and carries on', async () => {
    const client = clientFor(sim);
    await client.listClusters({});
    sim.clearRequests();
    sim.faults.expireNonces();
    expect(await client.listClusters({})).toHaveLength(1);
    expect(sim.requests.map((request) => request.status)).toEqual([401, 200]);
    expect(client.stats.challenges).toBe(2);
  });

  it('answers stale nonces several times in a row, then carries on (a wrong key is not suspected)', async () => {
    let expiring = 2;
    // Expires every nonce just before each of the next two answered requests reaches the simulator.
    const fetchFn: typeof fetch = async (url, init) => {
      const headers = new Headers(init?.headers);
      if (headers.has('authorization') && expiring > 0) {
        expiring -= 1;
        sim.faults.expireNonces();
      }
      return fetch(url, init);
    };
    const client = clientFor(sim, { fetch: fetchFn });
    await client.listClusters({});
    sim.clearRequests();
    expiring = 2;
    expect(await client.listClusters({})).toHaveLength(1);
    expect(sim.requests.map((request) => request.status)).toEqual([401, 401, 200]);
  });

  it('a server that declares every nonce stale is unavailable, never a wrong key', async () => {
    const client = clientFor(sim, { maxRetries: 1 });
    await client.listClusters({});
    sim.faults.random({ seed: 1, rates: { staleNonce: 1 } });
    const error = await client.listClusters({}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TidbCloudUnavailableError);
    expect((error as Error).message).toMatch(/stale/);
    expect((error as Error).message).not.toMatch(/TIDB_CLOUD_PUBLIC_KEY/);
  });

  it('reuses one nonce with an increasing nc: one challenge for many calls', async () => {
    const client = clientFor(sim);
    for (let i = 0; i < 5; i += 1) await client.listClusters({});
    expect(sim.stats().byStatus['401']).toBe(1);
    expect(sim.stats().byStatus['200']).toBe(5);
  });

  it('says the API is unreachable when nothing listens', async () => {
    const url = sim.url;
    await sim.close();
    const client = new TidbCloudClient({
      baseUrl: url,
      publicKey: 'pub',
      privateKey: 'priv-secret',
      maxRetries: 2,
      sleep: async () => {},
    });
    const error = await client.listClusters({}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TidbCloudUnavailableError);
    expect((error as Error).message).toContain(`The TiDB Cloud API at ${url} is unreachable`);
    expect((error as Error).message).toContain('connection refused');
    expect(client.stats.requests).toBe(3);
    sim = await startSimulator(); // for afterEach
  });

  it('times out a request that does not answer, retries, then reports unreachable', async () => {
    const client = clientFor(sim, { timeoutMs: 100, maxRetries: 1 });
    sim.faults.slow(1_000, 2);
    const started = Date.now();
    const error = await client.listClusters({}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TidbCloudUnavailableError);
    expect((error as Error).message).toContain('no answer before the timeout');
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('speaks SHA-256 with an opaque value when the server asks for it', async () => {
    const shaSim = await startSimulator({ digest: { algorithm: 'SHA-256', opaque: true } });
    try {
      shaSim.addCluster();
      const client = clientFor(shaSim);
      expect(await client.listClusters({})).toHaveLength(1);
      expect(shaSim.stats().byStatus['200']).toBe(1);
    } finally {
      await shaSim.close();
    }
  });

  it('stays under its own requests-per-minute limit', async () => {
    const clock = instantClock();
    const client = clientFor(sim, { now: clock.now, sleep: clock.sleep, requestsPerMinute: 3 });
    for (let i = 0; i < 4; i += 1) await client.listClusters({});
    // 5 requests (1 challenge + 4 calls) at limit 3: the limiter waited for the window to slide.
    expect(clock.sleeps.length).toBeGreaterThan(0);
    expect(clock.sleeps.every((ms) => ms <= 60_000)).toBe(true);
    expect(sim.stats().byStatus['429']).toBeUndefined();
  });
});

describe('simulator rate limit reaching a real client', () => {
  it('counts per key per minute and the client recovers after the reset', async () => {
    let now = Date.parse('2026-01-01T00:00:30.000Z');
    const sim = await startSimulator({ rateLimitPerMinute: 3, rateLimitNow: () => now });
    try {
      sim.addCluster();
      const sleeps: number[] = [];
      // A client whose own limiter is looser than the server: only the server's 429 slows it down.
      const client = clientFor(sim, {
        requestsPerMinute: 50,
        now: () => now,
        sleep: async (ms) => {
          sleeps.push(ms);
          now += ms;
        },
      });
      for (let i = 0; i < 4; i += 1) await client.listClusters({});
      expect(sim.stats().byStatus['429']).toBe(1);
      expect(sleeps).toEqual([30_000]);
    } finally {
      await sim.close();
    }
  });
});

describe('simulator counting sliding windows', () => {
  it('refuses a burst straddling two clock minutes that per-minute counting lets through', async () => {
    let now = Date.parse('2026-01-01T00:00:50.000Z');
    const run = async (rateLimitWindow: 'clock-minute' | 'sliding') => {
      const sim = await startSimulator({ rateLimitPerMinute: 3, rateLimitNow: () => now, rateLimitWindow });
      try {
        sim.addCluster();
        const client = clientFor(sim, {
          requestsPerMinute: 50,
          now: () => now,
          sleep: async (ms) => {
            now += ms;
          },
        });
        // Three requests at :50, three more 15 s later, in the next clock minute.
        now = Date.parse('2026-01-01T00:00:50.000Z');
        for (let i = 0; i < 3; i += 1) await client.listClusters({});
        now += 15_000;
        for (let i = 0; i < 3; i += 1) await client.listClusters({});
        return { throttled: sim.stats().byStatus['429'] ?? 0, at: now };
      } finally {
        await sim.close();
      }
    };
    expect(await run('clock-minute')).toEqual({ throttled: 0, at: Date.parse('2026-01-01T00:01:05.000Z') });
    // The fourth request waits for the first to leave the window: the reset says 45 s, at :50 + 60 s.
    expect(await run('sliding')).toEqual({ throttled: 1, at: Date.parse('2026-01-01T00:01:50.000Z') });
  });
});

describe('createConnection when the answer is lost', () => {
  it('retries, and on the duplicate refusal returns the registration its first attempt made', async () => {
    const sim = await startSimulator({ serviceReadyMs: 0 });
    try {
      const added = sim.addCluster();
      const client = clientFor(sim);
      await client.listClusters({}); // take the digest challenge first
      sim.faults.dropResponses(1);
      const created = await client.createConnection(added.clusterId, added.tidbNodeGroupId, 'vpce-0eee');
      const connections = await sim.connections();
      expect(connections.map((item) => item.privateEndpointConnectionId)).toEqual([
        created.privateEndpointConnectionId,
      ]);
      const posts = sim.requests.filter((request) => request.method === 'POST');
      expect(posts.map((request) => request.fault ?? request.status)).toEqual(['responseLost', 400]);
    } finally {
      await sim.close();
    }
  });

  it('still reports a duplicate made by someone else (no lost answer of ours)', async () => {
    const sim = await startSimulator({ serviceReadyMs: 0 });
    try {
      const added = sim.addCluster();
      sim.seedConnection({ clusterId: added.clusterId, endpointId: 'vpce-0fff' });
      const error = await clientFor(sim)
        .createConnection(added.clusterId, added.tidbNodeGroupId, 'vpce-0fff')
        .catch((caught: unknown) => caught);
      expect((error as Error).name).toBe('TidbCloudBadRequestError');
      expect(sim.stats().byOperation.listConnections).toBeUndefined();
    } finally {
      await sim.close();
    }
  });
});

describe('nonce lifetime', () => {
  it('re-answers when the simulator clock outlives the nonce (stale=true), without failing the call', async () => {
    const clock = manualClock();
    const sim = await startSimulator({ now: clock.now, digest: { nonceTtlMs: 60_000 } });
    try {
      sim.addCluster();
      const client = clientFor(sim);
      await client.listClusters({});
      clock.advance(61_000);
      sim.clearRequests();
      expect(await client.listClusters({})).toHaveLength(1);
      expect(sim.requests.map((request) => request.status)).toEqual([401, 200]);
    } finally {
      await sim.close();
    }
  });
});
