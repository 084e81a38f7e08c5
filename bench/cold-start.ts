/**
 * Section 6: cold start of the packaged functions. Packages the stack exactly as CI does (`serverless
 * package`, offline), then per function prints the zip's size, the bytes of code read at init and lazily
 * (esbuild chunks, see esbuild-plugins.cjs), the Node built-in modules the import loads, and how long a fresh
 * `node` takes to import the handler module with the environment the template gives it (NODE_OPTIONS
 * included), median of 5 (or `COLD_START_RUNS`), next to a bare `node`. Lambda's init runs the same import, on a slower CPU.
 *
 * `COLD_START_BEFORE=<folder>` also times the handlers of an earlier package (the folder `serverless package
 * --package` wrote, e.g. one this section left in .tmp/), interleaved with this one's in the same run: a
 * before/after comparison on a busy machine.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  chunkFiles,
  functionEnvironment,
  initFiles,
  type PackagedStack,
  packagedFunctions,
  packageStack,
  unpackHandler,
} from '../testing/serverless-package.ts';
import { buildFloors } from './cold-start-floor.ts';
import { type Cell, note, percentile, printTable, section } from './table.ts';

/** Fresh processes per figure: 5, or `COLD_START_RUNS` (an odd number from 5 to 51) on a noisy machine. */
const RUNS = runsFrom(process.env.COLD_START_RUNS);
/** Issue 16's goal: every function's import within 3× bare Node, in wall and in CPU time. */
const GOAL_RATIO = 3;
const GOAL_ZIP_BYTES = 1024 * 1024;

function runsFrom(value: string | undefined): number {
  if (value === undefined) return 5;
  const runs = Number(value);
  if (!Number.isInteger(runs) || runs < 5 || runs > 51 || runs % 2 === 0) {
    console.error(`bench: COLD_START_RUNS must be an odd number from 5 to 51; got "${value}".`);
    process.exit(2);
  }
  return runs;
}

interface Timing {
  /** Wall time from spawn to exit. */
  wallMs: number;
  /** CPU time (user + system, all threads) the process used: steadier than wall time on a busy machine. */
  cpuMs: number;
}

/** One fresh node process running `script` (an ES module), then printing what `report` prints. */
function runNode(
  script: string,
  env: Record<string, string>,
  report: string,
): { wallMs: number; out: string } {
  const started = performance.now();
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', `${script}\n${report}`], {
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  const wallMs = performance.now() - started;
  if (result.status !== 0) throw new Error(`node failed running ${script}: ${result.stderr}`);
  return { wallMs, out: result.stdout.toString() };
}

const CPU_REPORT = 'const u = process.cpuUsage(); process.stdout.write(String((u.user + u.system) / 1000));';

interface Subject {
  script: string;
  env: Record<string, string>;
}

/**
 * Median wall and CPU time of each subject over RUNS fresh processes, run in rounds (every subject once per
 * round), so a burst of load on a shared machine hits all of them alike.
 */
function medianRuns(subjects: Subject[]): Timing[] {
  const samples = subjects.map(() => ({ walls: [] as number[], cpus: [] as number[] }));
  for (let round = 0; round < RUNS; round += 1) {
    subjects.forEach((subject, index) => {
      const { wallMs, out } = runNode(subject.script, subject.env, CPU_REPORT);
      samples[index]?.walls.push(wallMs);
      samples[index]?.cpus.push(Number(out));
    });
  }
  return samples.map(({ walls, cpus }) => ({ wallMs: percentile(walls, 50), cpuMs: percentile(cpus, 50) }));
}

/** Imports the handler module the way Lambda's runtime does at init: one dynamic import, nothing invoked. */
const importScript = (handlerPath: string): string =>
  `await import(${JSON.stringify(pathToFileURL(handlerPath).href)});`;

/** The Node built-in modules (`process.moduleLoadList`) the handler's import loads beyond a bare start. */
function builtinsAtInit(handlerPath: string, env: Record<string, string>): string[] {
  const script = `const before = new Set(process.moduleLoadList);\n${importScript(handlerPath)}`;
  const report = `process.stdout.write(JSON.stringify(process.moduleLoadList.filter((m) => !before.has(m))));`;
  const loaded: string[] = JSON.parse(runNode(script, env, report).out);
  return loaded
    .filter((entry) => entry.startsWith('NativeModule '))
    .map((entry) => entry.slice('NativeModule '.length))
    .filter((name) => !name.startsWith('internal/'));
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

/** An earlier package's folder, as `packageStack` would have returned it. */
function earlierPackage(dir: string): PackagedStack {
  const template = JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8'));
  return { dir, template };
}

const ratioCell = (ms: number, bare: number): string => `${(ms / bare).toFixed(1)}×`;

export async function benchColdStart(): Promise<void> {
  section('6. Cold start: packaged zips and the import time of each handler bundle');
  const stack = await packageStack();
  const beforeDir = process.env.COLD_START_BEFORE;
  const before = beforeDir ? earlierPackage(beforeDir) : undefined;
  const names = packagedFunctions(stack);
  const subject = (pkg: PackagedStack, name: string): Subject => ({
    script: importScript(unpackHandler(pkg, name)),
    env: functionEnvironment(pkg, name),
  });
  const floors = await buildFloors();
  const subjects = [
    { script: '', env: {} },
    ...names.map((name) => subject(stack, name)),
    ...(before ? names.map((name) => subject(before, name)) : []),
    ...floors.map((floor) => ({ script: importScript(floor.entry), env: {} })),
  ];
  const [bare, ...timings] = medianRuns(subjects);
  if (!bare) return;
  const floorTimings = timings.slice(timings.length - floors.length);
  const builtins = new Map(
    names.map((name) => [name, builtinsAtInit(unpackHandler(stack, name), functionEnvironment(stack, name))]),
  );
  const rows: Cell[][] = names.map((name, index) => {
    const handler = unpackHandler(stack, name);
    const timing = timings[index] ?? bare;
    const zip = fileSize(join(stack.dir, `${name}.zip`));
    const met =
      Math.max(timing.wallMs / bare.wallMs, timing.cpuMs / bare.cpuMs) <= GOAL_RATIO && zip <= GOAL_ZIP_BYTES;
    const sizes = bundleSizes(handler);
    const earlier = before ? timings[names.length + index] : undefined;
    return [
      name,
      kb(zip),
      kb(sizes.init),
      kb(sizes.lazy),
      builtins.get(name)?.length ?? 0,
      `${timing.wallMs.toFixed(0)} ms`,
      ratioCell(timing.wallMs, bare.wallMs),
      `${timing.cpuMs.toFixed(0)} ms`,
      ratioCell(timing.cpuMs, bare.cpuMs),
      ...(earlier ? [ratioCell(earlier.wallMs, bare.wallMs), ratioCell(earlier.cpuMs, bare.cpuMs)] : []),
      `≤ ${GOAL_RATIO}×, ≤ 1 MiB: ${met ? 'met' : 'MISSED'}`,
      functionEnvironment(stack, name).NODE_OPTIONS || '-',
    ];
  });
  const header = [
    'function',
    'zip',
    'at init',
    'lazy',
    'built-ins',
    'import',
    'vs bare',
    'import CPU',
    'vs bare',
  ];
  if (before) header.push('before: wall', 'before: CPU');
  header.push('goal', 'NODE_OPTIONS');
  printTable(header, rows, [header.length - 2, header.length - 1]);
  note(
    `bare node: ${bare.wallMs.toFixed(0)} ms wall, ${bare.cpuMs.toFixed(0)} ms CPU; every figure is the median of ${RUNS} fresh processes, run in rounds`,
  );
  note('each imports the unzipped handler with the environment the template sets (process start included)');
  if (before) note(`before: the handlers packaged in ${before.dir}, timed in the same rounds`);
  note('source maps are not in the zips: <package folder>/sourcemaps/, read with scripts/map-stack.ts');
  note('at init: the handler module and the chunks it imports statically; lazy: chunks read on first use');
  for (const name of names) note(`built-ins ${name} loads at init: ${builtins.get(name)?.join(' ')}`);
  note(`package: ${stack.dir} (COLD_START_BEFORE=${stack.dir} compares a later change with this one)`);
  note('"met" when the zip is at most 1 MiB and both the wall and the CPU ratio are within the goal');
  console.log('');
  printTable(
    ['floor: a module importing only', 'at init', 'import', 'vs bare', 'import CPU', 'vs bare'],
    floors.map((floor, index) => {
      const timing = floorTimings[index] ?? bare;
      return [
        floor.name,
        kb(bundleSizes(floor.entry).init),
        `${timing.wallMs.toFixed(0)} ms`,
        ratioCell(timing.wallMs, bare.wallMs),
        `${timing.cpuMs.toFixed(0)} ms`,
        ratioCell(timing.cpuMs, bare.cpuMs),
      ];
    }),
  );
  note('the SDK clients named, Powertools Logger, Metrics and the Secrets Manager provider, middy; built as');
  note('the functions are (bench/cold-start-floor.ts), constructing nothing, in the same rounds as the rest');
}
