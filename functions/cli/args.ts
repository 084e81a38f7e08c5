import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from '../core/errors.ts';

/**
 * Flag parsing with node's own `util.parseArgs` (strict: unknown flags are errors). A library such as
 * commander would add help generation we do not need and its own exit behaviour we would have to undo to
 * keep the exit-code contract (2 for usage errors, one sentence, no stack).
 */
export const COMMANDS = ['status', 'provision', 'reconcile', 'doctor', 'preflight', 'iam-policy'] as const;
export type CommandName = (typeof COMMANDS)[number];

const COMMON = { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;

const OPTIONS = {
  status: { ...COMMON, wide: { type: 'boolean' } },
  reconcile: { ...COMMON, 'dry-run': { type: 'boolean' } },
  provision: {
    ...COMMON,
    'dry-run': { type: 'boolean' },
    cluster: { type: 'string' },
    'node-group': { type: 'string' },
    wait: { type: 'boolean' },
    'timeout-s': { type: 'string' },
  },
  doctor: {
    ...COMMON,
    cluster: { type: 'string' },
    'node-group': { type: 'string' },
    'vpc-endpoint': { type: 'string' },
    vpc: { type: 'string' },
    'dns-server': { type: 'string' },
    'source-cidr': { type: 'string' },
    'source-sg': { type: 'string' },
    'timeout-ms': { type: 'string' },
  },
  preflight: { ...COMMON, 'timeout-ms': { type: 'string' } },
  'iam-policy': {
    ...COMMON,
    provision: { type: 'boolean' },
    region: { type: 'string' },
    account: { type: 'string' },
    table: { type: 'string' },
    // One per VPC of the stack (PRIVATELINK_VPCS may name several).
    vpc: { type: 'string', multiple: true },
  },
} as const;

export type Flags = Record<string, string | boolean | Array<string | boolean> | undefined>;

export interface ParsedArgs {
  command: CommandName | undefined;
  flags: Flags;
}

function isCommand(word: string | undefined): word is CommandName {
  return (COMMANDS as readonly string[]).includes(word ?? '');
}

/** Turns parseArgs' own errors into one sentence that names the command. */
function parseFlags(command: CommandName, args: string[]): Flags {
  try {
    const options: NonNullable<ParseArgsConfig['options']> = OPTIONS[command];
    const { values, positionals, tokens } = parseArgs({
      args,
      options,
      strict: true,
      allowPositionals: true,
      tokens: true,
    });
    // parseArgs keeps the last of a repeated flag: `--cluster 1 --cluster 2` would act on a guess. A flag
    // declared `multiple` collects every value instead.
    const names = tokens.flatMap((token) =>
      token.kind === 'option' && options[token.name]?.multiple !== true ? [token.name] : [],
    );
    const repeated = names.find((name, index) => names.indexOf(name) !== index);
    if (repeated) throw new UsageError(`--${repeated} is given more than once; pass it once.`);
    if (positionals.length > 0) {
      throw new UsageError(`"${command}" takes no arguments besides flags; got "${positionals.join(' ')}".`);
    }
    return values;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const reason = error instanceof Error ? error.message.replace(/\. To specify.*$/s, '') : String(error);
    throw new UsageError(`${reason} (see: tidb-privatelink ${command} --help).`);
  }
}

export function parseCommandLine(argv: string[]): ParsedArgs {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    return { command: undefined, flags: { help: true } };
  }
  if (!isCommand(first)) {
    throw new UsageError(`Unknown command "${first}"; use one of: ${COMMANDS.join(', ')}.`);
  }
  return { command: first, flags: parseFlags(first, rest) };
}

/** TiDB Cloud ids are decimal strings (19–20 digits, beyond 2^53): validate as text, never as numbers. */
export function idFlag(flags: Flags, name: string, required: true): string;
export function idFlag(flags: Flags, name: string, required?: false): string | undefined;
export function idFlag(flags: Flags, name: string, required = false): string | undefined {
  const value = flags[name];
  if (typeof value !== 'string') {
    if (required) throw new UsageError(`--${name} <id> is required.`);
    return undefined;
  }
  if (!/^\d{1,24}$/.test(value))
    throw new UsageError(`--${name} must be a numeric TiDB Cloud id; got "${value}".`);
  return value;
}

/** A whole number from 1 to `max` (timers beyond ~24 days overflow; no wait this tool makes is that long). */
export function positiveIntFlag(flags: Flags, name: string, fallback: number, max: number): number {
  const value = flags[name];
  if (typeof value !== 'string') return fallback;
  if (!/^\d+$/.test(value) || Number(value) <= 0 || Number(value) > max) {
    throw new UsageError(`--${name} must be a positive whole number up to ${max}; got "${value}".`);
  }
  return Number(value);
}

export function stringFlag(flags: Flags, name: string, pattern: RegExp, example: string): string | undefined {
  const value = flags[name];
  if (typeof value !== 'string') return undefined;
  if (!pattern.test(value)) throw new UsageError(`--${name} must look like ${example}; got "${value}".`);
  return value;
}
