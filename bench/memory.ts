/**
 * Peak memory of each function at 1,000 clusters, each in a process of its own (bench/memory-child.ts; the
 * data plane in a further child, fed the probe's 50-endpoint batches). Lambda gives each function 256 MB.
 * The measuring process also holds the world's fakes and tsx (200+ MB before anything runs), so the figure
 * held against the goal is what Lambda would hold: a fresh `node` that imported the packaged handler bundle
 * (Lambda's init, as in section 6) plus what the invocation added at its peak.
 */
import { spawn, spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import {
  functionEnvironment,
  packagedFunctions,
  packageStack,
  unpackHandler,
} from '../testing/serverless-package.ts';
import { type Cell, note, printTable, section } from './table.ts';

export const CLUSTERS = 1000;
export const MEASURED = ['reconcile', 'provision', 'probe', 'troubleshoot'] as const;
export type Measured = (typeof MEASURED)[number] | 'dataPlane';
/** The Lambda memory size every function is given (serverless.yml). */
const GOAL_MB = 256;

export interface MemoryFigure {
  fn: Measured;
  /** RSS when the invocation started (world and handler loaded), and its peak during the invocation. */
  beforeMb: number;
  peakMb: number;
  /** The process's peak RSS since it started (Linux VmHWM); for the data plane, its own child's. */
  highWaterMb: number;
  note: string;
}

/** Runs one function's child; its stdout is one JSON figure a line. */
function runChild(fn: (typeof MEASURED)[number]): Promise<MemoryFigure[]> {
  return new Promise((resolve, reject) => {
    const script = new URL('./memory-child.ts', import.meta.url).pathname;
    const child = spawn(process.execPath, ['--import', 'tsx', script, fn], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`memory-child ${fn} exited with ${code}`));
      const lines = out.split('\n').filter((line) => line.startsWith('{'));
      resolve(lines.map((line) => JSON.parse(line) as MemoryFigure));
    });
  });
}

const mb = (value: number) => `${Math.round(value)} MB`;
const MIB = 1024 * 1024;

/** RSS of a fresh `node` that imported each packaged handler bundle with the template's environment. */
async function initRss(): Promise<Map<string, number>> {
  const stack = await packageStack();
  const report = 'process.stdout.write(String(process.memoryUsage().rss));';
  return new Map(
    packagedFunctions(stack).map((name) => {
      const url = pathToFileURL(unpackHandler(stack, name)).href;
      const result = spawnSync(
        process.execPath,
        ['--input-type=module', '-e', `await import(${JSON.stringify(url)});\n${report}`],
        { env: { PATH: process.env.PATH ?? '', ...functionEnvironment(stack, name) } },
      );
      if (result.status !== 0) throw new Error(`node failed importing ${name}: ${result.stderr}`);
      return [name, Number(result.stdout.toString()) / MIB] as const;
    }),
  );
}

export async function benchMemory(): Promise<void> {
  section(`10. Peak memory per function at ${CLUSTERS} clusters, each in its own process`);
  note(
    `RSS sampled every 10 ms; "bench process peak" is the measuring process's high-water mark, world and tsx included. Goal < ${GOAL_MB} MB.`,
  );
  const init = await initRss();
  const figures: MemoryFigure[] = [];
  for (const fn of MEASURED) figures.push(...(await runChild(fn)));
  const rows: Cell[][] = figures.map((f) => {
    const increase = Math.max(0, f.peakMb - f.beforeMb);
    const base = init.get(f.fn);
    const lambda = base === undefined ? undefined : base + increase;
    return [
      f.fn,
      base === undefined ? '?' : mb(base),
      `+${mb(increase)}`,
      lambda === undefined ? '?' : mb(lambda),
      lambda !== undefined && lambda < GOAL_MB ? 'met' : 'NOT met',
      mb(f.highWaterMb),
      f.note,
    ];
  });
  printTable(
    [
      'function',
      'after init',
      'invocation',
      'as in Lambda',
      `< ${GOAL_MB} MB`,
      'bench process peak',
      'invocation',
    ],
    rows,
    [4, 6],
  );
  note(
    '"after init": RSS of a fresh node that imported the packaged bundle; "invocation": the measuring process\'s peak RSS during the invocation above its RSS before it; "as in Lambda": their sum.',
  );
}
