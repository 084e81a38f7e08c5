/** The fault matrix's parts: the simulator's seeded random faults and the faulty EC2 decorator. */
import { afterEach, describe, expect, it } from 'vitest';
import { TidbCloudClient } from '../../../functions/adapters/tidbcloud/client.ts';
import { AwsError } from '../../../functions/core/errors.ts';
import { Ec2Fake } from '../../../testing/ec2-fake.ts';
import { faultyEc2, noEc2Faults } from '../../../testing/faulty-ec2.ts';
import { type Simulator, startSimulator } from '../../../testing/tidbcloud-simulator/index.ts';

const simulators: Simulator[] = [];

afterEach(async () => {
  await Promise.all(simulators.splice(0).map((sim) => sim.close()));
});

async function simulator(): Promise<Simulator> {
  const sim = await startSimulator({ serviceReadyMs: 0 });
  simulators.push(sim);
  return sim;
}

/** Unauthenticated GETs: faults are decided before authentication, so each request draws once. */
async function faultsOf(sim: Simulator, requests: number): Promise<Array<string | undefined>> {
  for (let i = 0; i < requests; i++) {
    await fetch(`${sim.url}/clusters`).catch(() => undefined);
  }
  return sim.requests.map((request) => request.fault);
}

describe('simulator: seeded random faults', () => {
  it('repeat with the same seed and cover about the share asked for', async () => {
    const rates = { serverError: 0.1, drop: 0.1, rateLimit: 0.1 };
    const [a, b] = [await simulator(), await simulator()];
    a.faults.random({ seed: 42, rates });
    b.faults.random({ seed: 42, rates });
    const first = await faultsOf(a, 200);
    expect(await faultsOf(b, 200)).toEqual(first);
    const share = first.filter((fault) => fault !== undefined).length / first.length;
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.4);
    expect(new Set(first)).toEqual(new Set([undefined, 'serverError', 'drop', 'rateLimit']));
  });

  it('refuse shares that add up to more than all requests', async () => {
    const sim = await simulator();
    expect(() => sim.faults.random({ seed: 1, rates: { serverError: 0.6, drop: 0.6 } })).toThrow(RangeError);
  });

  it('stale nonces: a client answering them still gets its answer, and clear() ends the mode', async () => {
    const sim = await simulator();
    sim.addCluster();
    const client = new TidbCloudClient({
      baseUrl: sim.url,
      publicKey: sim.publicKey,
      privateKey: sim.privateKey,
    });
    await client.listClusters({});
    sim.faults.random({ seed: 3, rates: { staleNonce: 0.3 } });
    for (let i = 0; i < 5; i++) await client.listClusters({}).catch(() => undefined);
    const stale = sim.requests.filter((request) => request.fault === 'staleNonce');
    expect(stale.length).toBeGreaterThan(0);
    expect(stale.every((request) => request.status === 401)).toBe(true);
    sim.faults.clear();
    expect(await client.listClusters({})).toHaveLength(1);
  });
});

describe('faultyEc2', () => {
  const world = () => {
    const fake = Ec2Fake.withDefaultWorld({ region: 'us-east-1' });
    fake.registerService('com.amazonaws.vpce.us-east-1.vpce-svc-0fault', ['use1-az1']);
    return fake;
  };
  const input = (fake: ReturnType<typeof world>, token: string) => ({
    vpcId: fake.world.vpcId,
    serviceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0fault',
    subnetIds: [fake.world.subnetIdByZoneId['use1-az1'] ?? ''],
    securityGroupIds: [],
    clientToken: token,
    tags: {},
  });

  it('without SDK retries, every fault reaches the caller with AWS code', async () => {
    const counts = noEc2Faults();
    const ec2 = faultyEc2(world(), { seed: 1, throttle: 1 }, counts);
    await expect(ec2.describeAvailabilityZones()).rejects.toMatchObject({ awsCode: 'RequestLimitExceeded' });
    expect(counts).toMatchObject({ attempts: 1, throttled: 1, surfaced: 1 });
  });

  it("with the SDK's retries, few of 30 % faults reach the caller, and a write failing after it was made is not made twice", async () => {
    const fake = world();
    const counts = noEc2Faults();
    const ec2 = faultyEc2(fake, { seed: 5, fail: 0.3, sdkRetries: { sleep: async () => {} } }, counts);
    const tokens = Array.from({ length: 40 }, (_, i) => `token-${i}`);
    const settled = await Promise.allSettled(
      tokens.map((token) => ec2.createInterfaceEndpoint(input(fake, token))),
    );
    expect(counts.failed).toBeGreaterThan(5);
    expect(counts.failedAfterSideEffect).toBeGreaterThan(0);
    expect(counts.surfaced).toBeLessThanOrEqual(1);
    for (const result of settled) {
      if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(AwsError);
    }
    // One endpoint per ClientToken, however many attempts it took.
    expect(fake.peekEndpoints()).toHaveLength(
      settled.filter((r) => r.status === 'fulfilled').length + counts.surfaced,
    );
  });
});
