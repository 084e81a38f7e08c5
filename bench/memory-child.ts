/**
 * One function's peak memory, in a process of its own (bench/memory.ts starts one per function): a world of
 * CLUSTERS clusters on loopback, the function's handler as the Lambda entry point builds it (app/ factories),
 * one invocation of its heaviest everyday kind, RSS sampled every 10 ms. The scheduled probe's data plane is
 * the data-plane handler in a further child process (testing/data-plane-function.ts), invoked through the
 * real `LambdaDataPlane` adapter in the probe's 50-endpoint batches, so its memory is its own as well.
 * Prints one JSON line per measured function. The world's fakes (simulator, EC2, DNS and TCP servers) live in
 * the measuring process: `beforeMb` holds them, the increase is the invocation's.
 */
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { LambdaDataPlane } from '../functions/adapters/aws/lambda-data-plane.ts';
import { PowertoolsProbeMetrics } from '../functions/adapters/powertools-metrics.ts';
import { systemClock } from '../functions/adapters/system-clock.ts';
import { FUNCTION_TIMEOUTS_S } from '../functions/app/budgets.ts';
import { createProbeHandler, createTroubleshootHandler } from '../functions/app/diagnostics.ts';
import { type DiagnosticsDeps, PROBE_CONCURRENCY, PROBE_TIMEOUT_MS } from '../functions/app/lambda-deps.ts';
import { createProvisionHandler, createReconcileHandler } from '../functions/app/provisioning.ts';
import { DETAIL_TYPES } from '../functions/core/ports.ts';
import { startChildLambda } from '../testing/lambda-child.ts';
import { lambdaContext } from '../testing/lambda-context.ts';
import { rulesInFake } from '../testing/vpc-stand-in.ts';
import { startWorld } from '../testing/world.ts';
import { CLUSTERS, MEASURED, type Measured, type MemoryFigure } from './memory.ts';
import { UNLIMITED } from './reconcile.ts';
import { startStandInWorld } from './stand-in.ts';

const MIB = 1024 * 1024;
const logger = new Logger({ serviceName: 'tidb-privatelink', logLevel: 'SILENT' });

function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc: unknown = runInNewContext('gc');
  if (typeof gc === 'function') gc();
}

/** A process's RSS now (VmRSS) or its peak so far (VmHWM), from Linux's /proc; undefined elsewhere. */
async function procMb(field: 'VmRSS' | 'VmHWM', pid: number | string = 'self'): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1];
  return kb === undefined ? undefined : Number(kb) / 1024;
}

async function measure(fn: Measured, note: string, work: () => Promise<unknown>): Promise<MemoryFigure> {
  collectGarbage();
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, process.memoryUsage().rss);
  return { fn, beforeMb: before / MIB, peakMb: peak / MIB, highWaterMb: (await procMb('VmHWM')) ?? 0, note };
}

const scheduled = { 'detail-type': 'Scheduled Event', id: 'memory-bench' };
const delivery = (detailType: string, detail: Record<string, unknown>) => ({
  version: '0',
  id: `memory-${detailType}`,
  'detail-type': detailType,
  source: 'tidb-privatelink',
  account: '123456789012',
  time: new Date().toISOString(),
  region: 'us-east-1',
  resources: [],
  detail,
});

/** The reconcile from scratch: CLUSTERS new clusters, converged in one invocation (virtual time). */
async function reconcile(): Promise<MemoryFigure[]> {
  const world = await startWorld(UNLIMITED);
  for (let i = 0; i < CLUSTERS; i++) world.addCluster();
  const deps = await world.depsFor('reconcile');
  const handler = createReconcileHandler(async () => deps, logger);
  const figure = await measure('reconcile', `${CLUSTERS} new clusters to Ready in one run`, () =>
    handler(scheduled, lambdaContext(3_600_000, 'reconcile')),
  );
  await world.close();
  return [figure];
}

/** One `TiDB Cluster Detected` the reconcile did not handle, among CLUSTERS clusters. */
async function provision(): Promise<MemoryFigure[]> {
  const world = await startWorld(UNLIMITED);
  const clusters = Array.from({ length: CLUSTERS }, () => world.addCluster());
  const deps = await world.depsFor('provision');
  const handler = createProvisionHandler(async () => deps, logger);
  const clusterId = clusters[0]?.clusterId ?? '';
  const figure = await measure('provision', `one detection among ${CLUSTERS} clusters`, () =>
    handler(delivery(DETAIL_TYPES.clusterDetected, { clusterId }), lambdaContext(900_000, 'provision')),
  );
  await world.close();
  return [figure];
}

async function diagnosticsDeps(
  fn: 'probe' | 'troubleshoot',
  stand: Awaited<ReturnType<typeof startStandInWorld>>,
  dataPlane: DiagnosticsDeps['dataPlane'],
): Promise<DiagnosticsDeps> {
  const { world, vpc } = stand;
  const parts = await world.partsFor(fn, dataPlane);
  return {
    ...parts,
    clock: systemClock,
    metrics: new PowertoolsProbeMetrics(new Metrics({ namespace: 'Bench', logger })),
    settings: {
      region: 'us-east-1',
      vpcId: world.settings.vpcId,
      stackName: 'tidb-privatelink',
      dnsServer: vpc.dnsServer,
      timeoutMs: PROBE_TIMEOUT_MS,
      concurrency: PROBE_CONCURRENCY,
    },
  };
}

/** The scheduled probe of CLUSTERS Ready endpoints; its data plane a child of its own, measured there. */
async function probe(): Promise<MemoryFigure[]> {
  const stand = await startStandInWorld(CLUSTERS);
  await stand.addReady(CLUSTERS);
  const rulesAt = rulesInFake(stand.world.ec2);
  const rulesFile = join(tmpdir(), `tidb-privatelink-rules-${process.pid}.json`);
  writeFileSync(
    rulesFile,
    JSON.stringify(Object.fromEntries(stand.vpc.addresses.map((a) => [a, rulesAt(a)]))),
  );
  const child = startChildLambda({
    script: new URL('../testing/data-plane-function.ts', import.meta.url).pathname,
    timeoutMs: FUNCTION_TIMEOUTS_S.dataPlane * 1000,
    env: {
      DATA_PLANE_RULES_FILE: rulesFile,
      SOURCE_CIDR: stand.world.ec2.world.cidrBlock,
      FUNCTION_TIMEOUTS_S: JSON.stringify(FUNCTION_TIMEOUTS_S),
    },
  });
  await child.warm();
  const dataPlaneBefore = (await procMb('VmRSS', child.pid ?? 0)) ?? 0;
  const deps = await diagnosticsDeps('probe', stand, new LambdaDataPlane(child.client, 'dataPlane'));
  const metrics = new Metrics({ namespace: 'Bench', logger });
  const handler = createProbeHandler(async () => deps, logger, metrics);
  let result: { probed?: number; healthy?: number } = {};
  const figure = await measure('probe', '', async () => {
    result = (await handler(scheduled, lambdaContext(300_000, 'probe'))) as typeof result;
  });
  const dataPlanePeak = (await procMb('VmHWM', child.pid ?? 0)) ?? 0;
  child.close();
  await stand.close();
  const probed = `scheduled run: ${result.healthy ?? 0} of ${result.probed ?? 0} endpoints healthy`;
  return [
    { ...figure, note: `${probed}, ${PROBE_CONCURRENCY} batches of ≤ 50 in flight` },
    {
      fn: 'dataPlane',
      beforeMb: dataPlaneBefore,
      peakMb: dataPlanePeak,
      highWaterMb: dataPlanePeak,
      note: 'its own child, fed the probe’s 50-endpoint batches',
    },
  ];
}

/** One troubleshoot request among CLUSTERS Ready clusters (the doctor's full report). */
async function troubleshoot(): Promise<MemoryFigure[]> {
  const stand = await startStandInWorld(CLUSTERS);
  const [first] = await stand.addReady(CLUSTERS);
  const deps = await diagnosticsDeps('troubleshoot', stand, stand.vpc.dataPlane);
  const handler = createTroubleshootHandler(async () => deps, logger);
  const figure = await measure('troubleshoot', `one cluster among ${CLUSTERS}`, () =>
    handler(
      delivery(DETAIL_TYPES.troubleshootRequested, { clusterId: first?.clusterId ?? '' }),
      lambdaContext(60_000, 'troubleshoot'),
    ),
  );
  await stand.close();
  return [figure];
}

const RUNS: Record<(typeof MEASURED)[number], () => Promise<MemoryFigure[]>> = {
  reconcile,
  provision,
  probe,
  troubleshoot,
};

process.env.POWERTOOLS_METRICS_DISABLED = 'true';
const fn = process.argv[2] as (typeof MEASURED)[number];
const run = RUNS[fn];
if (!MEASURED.includes(fn) || !run) {
  console.error(`memory-child: the function is one of ${MEASURED.join(', ')}; got "${fn}".`);
  process.exit(2);
}
for (const figure of await run()) console.log(JSON.stringify(figure));
process.exit(0);
