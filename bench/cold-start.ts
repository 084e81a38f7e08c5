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
} from '../test/kit/serverless-package.ts';
import { type Cell, note, percentile, printTable, section } from './table.ts';

const RUNS = 5;
/** The goals of issue 9: the data plane (no AWS SDK) within 3× bare Node, the others within 4×. */
const GOAL_RATIO: Record<string, number> = { dataPlane: 3 };
const DEFAULT_GOAL_RATIO = 4;
const GOAL_ZIP_BYTES = 1024 * 1024;

/** Wall time of a fresh node process running `args`, median of RUNS; throws if the process fails. */
function medianSpawnMs(args: string[], env: Record<string, string>): number {
  const times: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const started = performance.now();
    const result = spawnSync(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env } });
    times.push(performance.now() - started);
    if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${result.stderr}`);
  }
  return percentile(times, 50);
}

/** Imports the handler module the way Lambda's runtime does at init: one dynamic import, nothing invoked. */
function importMs(handlerPath: string, env: Record<string, string>): number {
  const url = JSON.stringify(pathToFileURL(handlerPath).href);
  return medianSpawnMs(['--input-type=module', '-e', `await import(${url});`], env);
}

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;
const fileSize = (path: string): number => {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
};

export async function benchColdStart(): Promise<void> {
  section('6. Cold start: packaged zips and the import time of each handler bundle');
  const stack = await packageStack();
  const bareMs = medianSpawnMs(['-e', '1'], {});
  const rows: Cell[][] = packagedFunctions(stack).map((name) => {
    const handler = unpackHandler(stack, name);
    const env = functionEnvironment(stack, name);
    const ms = importMs(handler, env);
    const ratio = ms / bareMs;
    const goal = GOAL_RATIO[name] ?? DEFAULT_GOAL_RATIO;
    const zip = fileSize(join(stack.dir, `${name}.zip`));
    return [
      name,
      kb(zip),
      kb(fileSize(handler)),
      kb(fileSize(`${handler}.map`)),
      `${ms.toFixed(0)} ms`,
      `${ratio.toFixed(1)}×`,
      `≤ ${goal}×, ≤ 1 MiB: ${ratio <= goal && zip <= GOAL_ZIP_BYTES ? 'met' : 'MISSED'}`,
      env.NODE_OPTIONS || '-',
    ];
  });
  printTable(
    ['function', 'zip', 'bundle', 'map in zip', 'import', 'vs bare', 'goal', 'NODE_OPTIONS'],
    rows,
    [6, 7],
  );
  note(
    `bare node -e 1: ${bareMs.toFixed(0)} ms (median of ${RUNS}); imports are medians of ${RUNS} fresh processes`,
  );
  note('with the environment the template sets; "import" includes process start, like the bare figure');
}
