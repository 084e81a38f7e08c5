import type { CliDeps } from '../app/cli-deps.ts';
import { type Config, type ConfigNeeds, loadConfig } from '../config.ts';
import { AppError } from '../core/errors.ts';
import { type CommandName, type Flags, parseCommandLine } from './args.ts';
import { doctor, doctorOptions } from './commands/doctor.ts';
import { iamPolicy } from './commands/iam-policy.ts';
import { preflight, preflightOptions } from './commands/preflight.ts';
import { provision, provisionOptions, reconcile } from './commands/provision.ts';
import { status } from './commands/status.ts';
import type { CliContext, CommandResult, ExitCode } from './context.ts';
import { HELP } from './help.ts';
import { printable } from './printable.ts';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** stderr is a terminal: long commands show progress there. */
  stderrIsTerminal?: boolean;
}

export type DepsFactory = (config: Config, env: NodeJS.ProcessEnv) => CliDeps;

interface CommandEntry {
  needs: ConfigNeeds;
  /** Validates the flags before anything else runs, so bad input never reaches the network. */
  validate: (flags: Flags) => void;
  run: (ctx: CliContext) => Promise<CommandResult>;
}

const noFlags = () => undefined;

/** The commands that talk to AWS and TiDB Cloud; `iam-policy` only prints (no configuration, no clients). */
const COMMAND_TABLE: Record<Exclude<CommandName, 'iam-policy'>, CommandEntry> = {
  status: { needs: { apiKeys: 'env' }, validate: noFlags, run: status },
  provision: { needs: { apiKeys: 'env', vpc: true }, validate: provisionOptions, run: provision },
  reconcile: { needs: { apiKeys: 'env', vpc: true }, validate: noFlags, run: reconcile },
  doctor: { needs: { apiKeys: 'env' }, validate: doctorOptions, run: doctor },
  preflight: { needs: { apiKeys: 'either', vpc: true }, validate: preflightOptions, run: preflight },
};

/** One sentence for the user; a stack only when TIDB_PRIVATELINK_DEBUG is set. */
function describeError(error: unknown, env: NodeJS.ProcessEnv): string {
  if (env.TIDB_PRIVATELINK_DEBUG && error instanceof Error && error.stack) return error.stack;
  return printable(sentenceOf(error));
}

function sentenceOf(error: unknown): string {
  if (error instanceof AppError) return error.message;
  if (error instanceof Error && error.name === 'CredentialsProviderError') {
    return 'No AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or AWS_ENDPOINT_URL for a local sandbox).';
  }
  const message = error instanceof Error ? error.message : String(error);
  return `Unexpected error: ${message} (set TIDB_PRIVATELINK_DEBUG=1 for details).`;
}

function print(io: CliIo, result: CommandResult, json: boolean): void {
  if (json) io.stdout(`${JSON.stringify(result.json, null, 2)}\n`);
  else if (result.lines.length > 0) io.stdout(`${result.lines.join('\n')}\n`);
}

async function execute(
  command: CommandName,
  flags: Flags,
  io: CliIo,
  makeDeps: DepsFactory,
): Promise<ExitCode> {
  if (command === 'iam-policy') {
    const result = iamPolicy(flags, io.env, (line) => io.stderr(`${line}\n`));
    print(io, result, flags.json === true);
    return result.exitCode;
  }
  const entry = COMMAND_TABLE[command];
  entry.validate(flags);
  const config = loadConfig(io.env, entry.needs);
  const ctx: CliContext = {
    config,
    deps: makeDeps(config, io.env),
    flags,
    env: io.env,
    signal: io.signal ?? new AbortController().signal,
    progress: (line) => io.stderr(`${line}\n`),
    interactive: io.stderrIsTerminal === true,
  };
  const result = await entry.run(ctx);
  print(io, result, flags.json === true);
  return result.exitCode;
}

/**
 * The `tidb-privatelink` command, as a function: the bin, the demo and the tests call it with their own
 * I/O and dependencies. Returns the exit code (0 ok, 1 failed check / Blocked, 2 usage/config/API error).
 */
export async function runCli(argv: string[], io: CliIo, makeDeps: DepsFactory): Promise<ExitCode> {
  try {
    const { command, flags } = parseCommandLine(argv);
    if (!command || flags.help === true) {
      io.stdout(`${HELP[command ?? 'main']}\n`);
      return 0;
    }
    return await execute(command, flags, io, makeDeps);
  } catch (error) {
    io.stderr(`tidb-privatelink: ${describeError(error, io.env)}\n`);
    return 2;
  }
}
