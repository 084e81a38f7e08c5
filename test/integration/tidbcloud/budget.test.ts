import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../../testing/tidbcloud-simulator/index.ts';
import { clientFor } from './harness.ts';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ serviceReadyMs: 0 });
  for (let i = 0; i < 3; i++) sim.addCluster();
});

afterAll(() => sim.close());

describe('TidbCloudClient with the stack budget', () => {
  it('takes one unit of the shared budget for every HTTP request it sends, digest challenges included', async () => {
    let taken = 0;
    const take = async () => {
      taken += 1;
    };
    const client = clientFor(sim, { budget: { take } });
    sim.clearRequests();
    const clusters = await client.listClusters({});
    await client.getPrivateLinkService(
      clusters[0]?.clusterId ?? '',
      clusters[0]?.nodeGroups[0]?.tidbNodeGroupId ?? '',
    );
    expect(sim.requests.length).toBeGreaterThanOrEqual(3);
    expect(taken).toBe(sim.requests.length);
  });

  it('sends nothing when the budget refuses (the caller gave up waiting)', async () => {
    const client = clientFor(sim, {
      budget: {
        take: async () => {
          throw new Error('deadline passed while waiting for the stack quota');
        },
      },
    });
    sim.clearRequests();
    await expect(client.listClusters({})).rejects.toThrow(/stack quota/);
    expect(sim.requests).toHaveLength(0);
  });
});
