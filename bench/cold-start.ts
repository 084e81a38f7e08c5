/**
 * Section 6: cold start of the packaged functions. Packages the stack exactly as CI does (`serverless
 * package`, offline), then per function prints the zip's size, the handler bundle's size, and how long a
 * fresh `node` takes to import the handler module with the environment the template gives it (NODE_OPTIONS
 * included), median of 5, next to a bare `node -e 1`. Lambda's init runs the same import, on a slower CPU.
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  functionEnvironment,
  packagedFunctions,
  packageStack,
  unpackHandler,
} from '../testing/serverless-package.ts';
import { type Cell, note, percentile, printTable, section } from './table.ts';

const RUNS = 5;
/** The goals of issue 9: the data plane (no AWS SDK) within 3× bare Node, the others within 4×. */
const GOAL_RATIO: Record<string, number> = { dataPlane: 3 };
const DEFAULT_GOAL_RATIO = 4;
const GOAL_ZIP_BYTES = 1024 * 1024;

interface Timing {
  /** Wall time from spawn to exit. */
  wallMs: number;
  /** CPU time (user + system, all threads) the process used: steadier than wall time on a busy machine. */
  cpuMs: number;
}

/** Median wall and CPU time of a fresh node process running `script`, over RUNS runs. */
function medianRun(script: string, env: Record<string, string>): Timing {
  const walls: number[] = [];
  const cpus: number[] = [];
  const report = 'const u = process.cpuUsage(); process.stdout.write(String((u.user + u.system) / 1000));';
  for (let run = 0; run < RUNS; run += 1) {
    const started = performance.now();
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', `${script}\n${report}`], {
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    walls.push(performance.now() - started);
    if (result.status !== 0) throw new Error(`node failed running ${script}: ${result.stderr}`);
    cpus.push(Number(result.stdout.toString()));
  }
  return { wallMs: percentile(walls, 50), cpuMs: percentile(cpus, 50) };
}

/** Imports the handler module the way Lambda's runtime does at init: one dynamic import, nothing invoked. */
function importTiming(handlerPath: string, env: Record<string, string>): Timing {
  return medianRun(`await import(${JSON.stringify(pathToFileURL(handlerPath).href)});`, env);
}

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;
const fileSize = (path: string): number => statSync(path).size;

export async function benchColdStart(): Promise<void> {
  section('6. Cold start: packaged zips and the import time of each handler bundle');
  const stack = await packageStack();
  const bare = medianRun('', {});
  const rows: Cell[][] = packagedFunctions(stack).map((name) => {
    const handler = unpackHandler(stack, name);
    const env = functionEnvironment(stack, name);
    const timing = importTiming(handler, env);
    const ratio = timing.wallMs / bare.wallMs;
    const cpuRatio = timing.cpuMs / bare.cpuMs;
    const goal = GOAL_RATIO[name] ?? DEFAULT_GOAL_RATIO;
    const zip = fileSize(join(stack.dir, `${name}.zip`));
    const met = Math.min(ratio, cpuRatio) <= goal && zip <= GOAL_ZIP_BYTES;
    return [
      name,
      kb(zip),
      kb(fileSize(handler)),
      `${timing.wallMs.toFixed(0)} ms`,
      `${ratio.toFixed(1)}×`,
      `${timing.cpuMs.toFixed(0)} ms`,
      `${cpuRatio.toFixed(1)}×`,
      `≤ ${goal}×, ≤ 1 MiB: ${met ? 'met' : 'MISSED'}`,
      env.NODE_OPTIONS || '-',
    ];
  });
  printTable(
    ['function', 'zip', 'bundle', 'import', 'vs bare', 'import CPU', 'vs bare', 'goal', 'NODE_OPTIONS'],
    rows,
    [7, 8],
  );
  note(
    `bare node: ${bare.wallMs.toFixed(0)} ms wall, ${bare.cpuMs.toFixed(0)} ms CPU; every figure is the median of ${RUNS} fresh processes`,
  );
  note('each imports the unzipped handler with the environment the template sets (process start included)');
  note('source maps are not in the zips: <package folder>/sourcemaps/, read with scripts/map-stack.ts');
  note('"met" when the zip is at most 1 MiB and the wall or CPU ratio is within the goal');
}
