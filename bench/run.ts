/**
 * `npm run bench`: figures, not assertions. Everything runs in this process against local stand-ins
 * (the TiDB Cloud simulator over HTTP, the in-memory EC2 fake, DNS / TCP / MySQL-protocol servers on
 * 127.0.0.0/8); nothing connects outside loopback. Sections run one after another so their timings do not
 * disturb each other on a small machine.
 */
import { availableParallelism, cpus } from 'node:os';
import { benchColdStart } from './cold-start.ts';
import { benchDoctor } from './doctor.ts';
import { benchFaults } from './faults.ts';
import { benchOverhead } from './overhead.ts';
import { benchProbe } from './probe.ts';
import { benchReconcile } from './reconcile.ts';
import { benchStack } from './stack.ts';
import { benchTimeouts } from './timeouts.ts';

const RECONCILE_SIZES = [10, 100, 1000];
const STACK_SIZES = [10, 100];

function header(): void {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log('tidb-privatelink benchmarks');
  console.log(
    'Reproduce: npm ci && npm run bench   (runs bench/run.ts with tsx; about 6 min, 3.5–4.5 of them the fault matrix; loopback only)',
  );
  console.log(
    `Node ${process.version} on ${process.platform}/${process.arch}, ${availableParallelism()} × ${cpu}; ${new Date().toISOString()}`,
  );
}

async function main(): Promise<void> {
  const started = performance.now();
  header();
  await benchReconcile(RECONCILE_SIZES);
  await benchOverhead();
  await benchDoctor();
  await benchTimeouts();
  await benchProbe();
  await benchColdStart();
  await benchFaults();
  await benchStack(STACK_SIZES);
  console.log(`\nTotal bench time: ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

await main();
