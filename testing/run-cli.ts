import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CliDeps } from '../functions/app/cli-deps.ts';
import { type CliIo, runCli } from '../functions/cli/main.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

const BIN = fileURLToPath(new URL('../bin/tidb-privatelink.mjs', import.meta.url));

/** The real command in a child process, as a user runs it (only the given environment, plus PATH). */
export function spawnCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error && typeof error.code === 'number' ? error.code : error ? 99 : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The command in-process with injected dependencies: the EC2 fake and a virtual clock stay reachable. */
export async function runCliWith(
  args: string[],
  env: Record<string, string>,
  deps: CliDeps,
  io: Pick<CliIo, 'stderrIsTerminal'> = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(
    args,
    {
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
      env,
      ...io,
    },
    () => deps,
  );
  return { code, stdout, stderr };
}
