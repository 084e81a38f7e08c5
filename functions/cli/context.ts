import type { CliDeps } from '../app/cli-deps.ts';
import type { Config } from '../config.ts';
import type { Flags } from './args.ts';

export interface CliContext {
  config: Config;
  deps: CliDeps;
  flags: Flags;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  /** Progress lines for people (stderr): never mixed into --json output. */
  progress: (line: string) => void;
  /** stderr is a terminal (progress of long commands goes there). */
  interactive?: boolean;
}

export type ExitCode = 0 | 1 | 2;

export interface CommandResult {
  exitCode: ExitCode;
  json: unknown;
  lines: string[];
}
