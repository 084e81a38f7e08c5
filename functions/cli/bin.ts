import { liveCliDeps } from '../app/live-deps.ts';
import type { ExitCode } from './context.ts';
import { runCli } from './main.ts';

/** The process entry: real stdio, real environment, Ctrl-C cancels in-flight calls. */
export function main(argv: string[]): Promise<ExitCode> {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort(new Error('interrupted')));
  return runCli(
    argv,
    {
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
      env: process.env,
      signal: controller.signal,
      stderrIsTerminal: process.stderr.isTTY === true,
    },
    liveCliDeps,
  );
}
