/**
 * `npm run bench`: figures, not assertions. Everything runs in this process against local stand-ins
 * (the TiDB Cloud simulator over HTTP, the in-memory EC2 fake, DNS / TCP / MySQL-protocol servers on
 * 127.0.0.0/8); nothing connects outside loopback. Sections run one after another so their timings do not
 * disturb each other on a small machine. `npm run bench -- 8` (or `-- 1,8`) runs only those sections.
 * Section 8 is the whole stack at 10 and 100 clusters (about 2.5 min); 9 is the same at 1,000 (3–7 min on
 * the 2-core machine), kept apart so 8 stays quick; 10 is each function's peak memory at 1,000 clusters, each
 * in a process of its own (about 10 min, most of it building the worlds).
 */
import { availableParallelism, cpus } from 'node:os';
import { benchColdStart } from './cold-start.ts';
import { benchDoctor } from './doctor.ts';
import { benchFaults } from './faults.ts';
import { benchMemory } from './memory.ts';
import { benchOverhead } from './overhead.ts';
import { benchProbe } from './probe.ts';
import { benchReconcile } from './reconcile.ts';
import { benchStack } from './stack.ts';
import { benchTimeouts } from './timeouts.ts';
import { benchWeek } from './week.ts';

const RECONCILE_SIZES = [10, 100, 1000];
const STACK_SIZES = [10, 100];
const FLEET_SIZES = [1000];
/** The week at CI size is test/integration/week/week.test.ts; the bench runs the fleet. */
const WEEK_SIZES = [1000];

/** The sections by their printed number, in the order they run. */
const SECTIONS: Record<number, () => Promise<void>> = {
  1: () => benchReconcile(RECONCILE_SIZES),
  2: benchOverhead,
  3: benchDoctor,
  4: benchTimeouts,
  5: benchProbe,
  6: benchColdStart,
  7: benchFaults,
  8: () => benchStack(STACK_SIZES),
  9: () => benchStack(FLEET_SIZES, 9),
  10: benchMemory,
  11: () => benchWeek(WEEK_SIZES),
};

/** `8` or `1,8` (the first argument); none means all. One sentence and exit 2 for anything else. */
function chosenSections(argument: string | undefined): number[] {
  const all = Object.keys(SECTIONS).map(Number);
  if (argument === undefined) return all;
  const chosen = argument.split(',').map((part) => Number(part.trim()));
  if (chosen.some((n) => !all.includes(n))) {
    console.error(`bench: sections are ${all.join(', ')} (e.g. npm run bench -- 1,8); got "${argument}".`);
    process.exit(2);
  }
  return [...new Set(chosen)].sort((x, y) => x - y);
}

function header(): void {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log('tidb-privatelink benchmarks');
  console.log(
    'Reproduce: npm ci && npm run bench   (runs bench/run.ts with tsx; about 25 min: 3.5–4.5 the fault matrix, 3–7 the 1,000-cluster stack (9), about 10 the memory of each function (10), plus section 11, the week at 1,000 clusters (long); loopback only)',
  );
  console.log(
    `Node ${process.version} on ${process.platform}/${process.arch}, ${availableParallelism()} × ${cpu}; ${new Date().toISOString()}`,
  );
}

async function main(): Promise<void> {
  const sections = chosenSections(process.argv[2]);
  const started = performance.now();
  header();
  for (const n of sections) await SECTIONS[n]?.();
  console.log(`\nTotal bench time: ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

await main();
