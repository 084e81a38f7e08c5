/**
 * A warm Lambda environment, run in its own process (`node --expose-gc --import tsx`): one handler invoked
 * `--invocations` times in a row. `--function dataPlane`: one batch of `--targets` loopback targets each, as
 * the probe sends it; `--function probe`: the scheduled probe of `--targets` Ready clusters on the local world
 * (TiDB Cloud simulator, EC2 fake, the VPC on loopback; every AWS call under the function's packaged role,
 * testing/iam). middy hands every invocation of an environment the
 * same AbortSignal (it renews it only once aborted), so whatever a call leaves on that signal piles up across
 * invocations. Prints one line, `RESULT <json>`: the abort listeners left on every signal that outlived an
 * invocation (the largest count after any invocation), the warnings seen, and the heap after a forced GC
 * once warm and at the end.
 */
import { getEventListeners } from 'node:events';
import { parseArgs } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { PowertoolsProbeMetrics } from '../functions/adapters/powertools-metrics.ts';
import { createDataPlaneHandler, createProbeHandler } from '../functions/app/diagnostics.ts';
import { provision } from '../functions/core/reconcile/reconcile.ts';
import { lambdaContext } from './lambda-context.ts';
import { closeAll, loopbackDataPlane, mysqlServer, onSamePort, startDns } from './local-servers.ts';
import { startVpcStandIn } from './vpc-stand-in.ts';
import { startWorld } from './world.ts';

const { values } = parseArgs({
  options: {
    function: { type: 'string', default: 'dataPlane' },
    invocations: { type: 'string', default: '1000' },
    targets: { type: 'string', default: '6' },
  },
});
const logger = new Logger({ serviceName: 'tidb-privatelink', logLevel: 'SILENT' });

const invocations = Number(values.invocations);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

/**
 * The invocation in which each signal first got an abort listener, held weakly (holding every signal would be
 * the very leak this looks for); one that gets another in a later invocation outlived its first.
 */
const firstSeen = new WeakMap<AbortSignal, number>();
const longLived = new Set<AbortSignal>();
let invocation = 0;
const addEventListener = EventTarget.prototype.addEventListener;
EventTarget.prototype.addEventListener = function (this: EventTarget, type, listener, options) {
  if (type === 'abort' && this instanceof AbortSignal) {
    const first = firstSeen.get(this);
    if (first === undefined) firstSeen.set(this, invocation);
    else if (first !== invocation) longLived.add(this);
  }
  addEventListener.call(this, type, listener, options);
};
const warnings: string[] = [];
process.on('warning', (warning) => warnings.push(`${warning.name}: ${warning.message}`));

type Invoke = () => Promise<void>;

/** The data plane, with a batch of targets that all answer. */
async function dataPlaneEnvironment(targets: number): Promise<{ invoke: Invoke; close(): Promise<void> }> {
  const addresses = ['127.0.0.31', '127.0.0.32'];
  const port = await onSamePort(addresses, () => mysqlServer('8.0.11-TiDB-v7.5.2'));
  const hosts = Array.from({ length: targets }, (_, i) => `target-${i}.warm.test`);
  const dnsServer = await startDns(Object.fromEntries(hosts.map((host) => [host, { a: addresses }])));
  const event = {
    targets: hosts.map((host) => ({ host, port, expectedAddresses: addresses, timeoutMs: 2000, dnsServer })),
  };
  const handler = createDataPlaneHandler(loopbackDataPlane(), logger);
  return {
    invoke: async () => {
      const result = (await handler(event, lambdaContext(60_000))) as { results: Array<{ ok: boolean }> };
      if (!result.results.every((item) => item.ok)) throw new Error('a target failed');
    },
    close: closeAll,
  };
}

/** The control-plane probe of `clusters` healthy clusters; what the world records is cleared every time. */
async function probeEnvironment(clusters: number): Promise<{ invoke: Invoke; close(): Promise<void> }> {
  const world = await startWorld();
  const addresses = Array.from({ length: clusters * 2 }, (_, i) => `127.0.0.${41 + i}`);
  const vpc = await startVpcStandIn(world.ec2, { sourceCidr: world.ec2.world.cidrBlock, addresses });
  for (let i = 0; i < clusters; i += 1) {
    const cluster = world.addCluster({ displayName: `warm-${i}`, port: vpc.port });
    vpc.serve(cluster.serviceDnsName, cluster.serviceName);
    await provision(
      await world.depsFor('provision'),
      { clusterId: cluster.clusterId },
      { deadline: world.clock.now() + 3_600_000 },
    );
  }
  vpc.admit(world.ec2.world.securityGroupId);
  const metrics = new Metrics({ namespace: 'TidbPrivateLink', serviceName: 'warm' });
  const probe = await world.depsFor('probe');
  const deps = {
    ...world.cliDeps,
    ec2: probe.ec2,
    events: probe.events,
    dataPlane: (await world.portsFor('probe')).dataPlane(vpc.dataPlane),
    metrics: new PowertoolsProbeMetrics(metrics),
    settings: { region: 'us-east-1', dnsServer: vpc.dnsServer, timeoutMs: 2000, concurrency: 4 },
  };
  const handler = createProbeHandler(async () => deps, logger, metrics);
  return {
    invoke: async () => {
      const result = (await handler({}, lambdaContext(300_000))) as { healthy: number };
      if (result.healthy !== clusters) throw new Error(`${clusters - result.healthy} clusters not healthy`);
      world.events.published.length = 0;
      world.sim.clearRequests();
      world.ec2.resetCalls();
    },
    close: async () => {
      await vpc.close();
      await world.close();
    },
  };
}

const targets = Number(values.targets);
const environment =
  values.function === 'probe' ? await probeEnvironment(targets) : await dataPlaneEnvironment(targets);
// The EMF lines Powertools writes go nowhere: stdout carries the result line only.
process.stdout.write = (() => true) as typeof process.stdout.write;

let maxLeft = 0;
let heapStart = 0;
for (invocation = 1; invocation <= invocations; invocation += 1) {
  await environment.invoke();
  for (const signal of longLived) maxLeft = Math.max(maxLeft, getEventListeners(signal, 'abort').length);
  // The heap is measured from a warm start: the first invocations load modules and fill caches.
  if (invocation === Math.min(100, invocations)) {
    gc();
    heapStart = process.memoryUsage().heapUsed;
  }
}
gc();
const heapEnd = process.memoryUsage().heapUsed;
await environment.close();
const result = { invocations, longLivedSignals: longLived.size, maxLeft, warnings, heapStart, heapEnd };
process.stderr.write(`RESULT ${JSON.stringify(result)}\n`);
