/**
 * Section 6: cold start of the packaged functions. Packages the stack exactly as CI does (`serverless
 * package`, offline), then per function prints the zip's size, the bytes of code read at init and lazily
 * (esbuild chunks, see esbuild-plugins.cjs), and how long a fresh `node` takes to import the handler module
 * with the environment the template gives it (NODE_OPTIONS included), median of 5, next to a bare
 * `node -e 1`. Lambda's init runs the same import, on a slower CPU.
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  chunkFiles,
  functionEnvironment,
  initFiles,
  packagedFunctions,
  packageStack,
  unpackHandler,
} from '../testing/serverless-package.ts';
import { type Cell, note, percentile, printTable, section } from './table.ts';

const RUNS = 5;
/** Issue 16's goal: every function's import within 3× bare Node, in wall and in CPU time. */
const GOAL_RATIO = 3;
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
const filesSize = (folder: string, files: string[]): number =>
  files.reduce((sum, file) => sum + fileSize(join(folder, file)), 0);

/** Bytes of the handler's modules read at init (the handler and its static chunks), and of the lazy rest. */
function bundleSizes(handler: string): { init: number; lazy: number } {
  const init = initFiles(handler);
  const lazy = chunkFiles(handler).filter((file) => !init.includes(file));
  return { init: filesSize(dirname(handler), init), lazy: filesSize(dirname(handler), lazy) };
}

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
    const zip = fileSize(join(stack.dir, `${name}.zip`));
    const met = Math.max(ratio, cpuRatio) <= GOAL_RATIO && zip <= GOAL_ZIP_BYTES;
    const sizes = bundleSizes(handler);
    return [
      name,
      kb(zip),
      kb(sizes.init),
      kb(sizes.lazy),
      `${timing.wallMs.toFixed(0)} ms`,
      `${ratio.toFixed(1)}×`,
      `${timing.cpuMs.toFixed(0)} ms`,
      `${cpuRatio.toFixed(1)}×`,
      `≤ ${GOAL_RATIO}×, ≤ 1 MiB: ${met ? 'met' : 'MISSED'}`,
      env.NODE_OPTIONS || '-',
    ];
  });
  printTable(
    [
      'function',
      'zip',
      'at init',
      'lazy',
      'import',
      'vs bare',
      'import CPU',
      'vs bare',
      'goal',
      'NODE_OPTIONS',
    ],
    rows,
    [8, 9],
  );
  note(
    `bare node: ${bare.wallMs.toFixed(0)} ms wall, ${bare.cpuMs.toFixed(0)} ms CPU; every figure is the median of ${RUNS} fresh processes`,
  );
  note('each imports the unzipped handler with the environment the template sets (process start included)');
  note('source maps are not in the zips: <package folder>/sourcemaps/, read with scripts/map-stack.ts');
  note('at init: the handler module and the chunks it imports statically; lazy: chunks read on first use');
  note('"met" when the zip is at most 1 MiB and both the wall and the CPU ratio are within the goal');
}
