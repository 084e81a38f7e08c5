/**
 * B.12: a warm probe function keeps its digest nonce across invocations. The TiDB client is built by the
 * production factory and the dependencies are memoised as the handler modules do (`keptWhileWarm`); every
 * request to the simulator is seen through the fetch the client was built with, Authorization header and all.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { keptWhileWarm } from '../../../functions/app/cold-start.ts';
import { createProbeHandler } from '../../../functions/app/diagnostics.ts';
import type { DiagnosticsDeps } from '../../../functions/app/lambda-deps.ts';
import { createTidbClient } from '../../../functions/app/tidb-client.ts';
import { loadConfig } from '../../../functions/config.ts';
import { provision } from '../../../functions/core/reconcile/reconcile.ts';
import { lambdaContext } from '../../../testing/lambda-context.ts';
import { startVpcStandIn, type VpcStandIn } from '../../../testing/vpc-stand-in.ts';
import { startWorld, VirtualClock, type World } from '../../../testing/world.ts';

interface Sent {
  path: string;
  withCredentials: boolean;
  status: number;
  stale: boolean;
}

let world: World;
let vpc: VpcStandIn;
let sent: Sent[];

beforeEach(async () => {
  // The client's limiter and the 429 waits read the wall clock: let virtual time start now.
  world = await startWorld({ clock: new VirtualClock(Date.now()) });
  vpc = await startVpcStandIn(world.ec2, { sourceCidr: world.ec2.world.cidrBlock });
  const cluster = world.addCluster({ port: vpc.port });
  vpc.serve(cluster.serviceDnsName, cluster.serviceName);
  vpc.admit(world.ec2.world.securityGroupId);
  const outcome = await provision(
    world.deps,
    { clusterId: cluster.clusterId },
    { deadline: world.clock.now() + 3_600_000 },
  );
  expect(outcome.phase).toBe('Ready');
  sent = [];
  const realFetch = globalThis.fetch;
  // Only the client built below sees this fetch: the world's own client took the real one when it was built.
  vi.stubGlobal('fetch', async (input: string | URL | Request, init?: RequestInit) => {
    const response = await realFetch(input, init);
    sent.push({
      path: new URL(String(input)).pathname,
      withCredentials: new Headers(init?.headers).has('authorization'),
      status: response.status,
      stale: /stale=true/.test(response.headers.get('www-authenticate') ?? ''),
    });
    return response;
  });
});

afterEach(async () => {
  vi.unstubAllGlobals();
  await vpc.close();
  await world.close();
});

/** What `functions/handlers/probe.ts` builds once per cold start, with the world's EC2 and data plane. */
async function coldStartDeps(): Promise<DiagnosticsDeps> {
  const config = loadConfig({ TIDB_CLOUD_API_URL: world.sim.url, AWS_REGION: 'us-east-1' });
  const keys = { publicKey: world.sim.publicKey, privateKey: world.sim.privateKey };
  return {
    ...(await world.partsFor('probe', vpc.dataPlane)),
    tidb: createTidbClient(config, keys),
    metrics: { record: () => {} },
    settings: { region: 'us-east-1', dnsServer: vpc.dnsServer, timeoutMs: 1500, concurrency: 4 },
  };
}

function warmProbeHandler() {
  const build = vi.fn(async (): Promise<DiagnosticsDeps> => coldStartDeps());
  const handler = createProbeHandler(
    keptWhileWarm(build),
    new Logger({ serviceName: 'tidb-privatelink', logLevel: 'SILENT' }),
    new Metrics({ namespace: 'Test', serviceName: 'tidb-privatelink' }),
  );
  return { handler, build };
}

const withoutCredentials = () => sent.filter((request) => !request.withCredentials);

describe('a warm probe function and its TiDB Cloud digest nonce', () => {
  it('sends one unauthenticated challenge request for two invocations, however many calls run in parallel', async () => {
    const { handler, build } = warmProbeHandler();
    const first = (await handler({}, lambdaContext(60_000))) as { probed: number; healthy: number };
    expect(first).toMatchObject({ probed: 1, healthy: 1 });
    // The probe's first TiDB calls (clusters and connections) go out together: they share one challenge.
    expect(withoutCredentials()).toHaveLength(1);
    const afterFirst = sent.length;

    const second = (await handler({}, lambdaContext(60_000))) as { probed: number; healthy: number };
    expect(second).toMatchObject({ probed: 1, healthy: 1 });
    expect(build).toHaveBeenCalledTimes(1);
    expect(sent.length).toBeGreaterThan(afterFirst);
    expect(withoutCredentials()).toHaveLength(1);
    expect(sent.slice(afterFirst).every((request) => request.status === 200)).toBe(true);
  });

  it('answers a nonce that expired between invocations (stale=true) without a new unauthenticated request', async () => {
    const { handler } = warmProbeHandler();
    await handler({}, lambdaContext(60_000));
    world.sim.faults.expireNonces();
    const afterFirst = sent.length;

    const second = (await handler({}, lambdaContext(60_000))) as { probed: number; healthy: number };
    expect(second).toMatchObject({ probed: 1, healthy: 1 });
    const stale = sent.slice(afterFirst).filter((request) => request.status === 401);
    expect(stale.length).toBeGreaterThan(0);
    expect(stale.every((request) => request.withCredentials && request.stale)).toBe(true);
    expect(withoutCredentials()).toHaveLength(1);
  });
});
