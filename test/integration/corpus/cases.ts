/**
 * The bad-input corpus (test/corpus/<kind>/*.json): every file is one input and the outcome it must get.
 * `{"$repeat": "…", "times": n}` anywhere in a file stands for the string repeated n times, so a huge
 * payload is a line in the corpus rather than a megabyte of it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { ConfigNeeds } from '../../../functions/config.ts';
import type { RawReply } from '../../../testing/raw-http-server.ts';

export const CORPUS_DIR = new URL('../../corpus/', import.meta.url);

/** An event (or invoke payload) to a handler factory: rejected, logged once, nothing built or called. */
export interface EventCase {
  kind: 'event';
  handler: 'provision' | 'troubleshoot' | 'dataPlane';
  event: unknown;
  /** Matches the rejection's reason (and the one log line). */
  reason: string;
}

/** Flags and values to the real bin: exit 2, one sentence, no request to the (recording) API. */
export interface CliCase {
  kind: 'cli';
  args: string[];
  /** Added to a complete, valid environment. */
  env?: Record<string, string>;
  stderr: string;
}

/** An environment for loadConfig (and, with `args`, the real bin): one ConfigError naming the problem. */
export interface EnvCase {
  kind: 'env';
  /** Overrides of a complete, valid environment; `null` removes a variable. */
  env: Record<string, string | null>;
  needs: ConfigNeeds;
  args?: string[];
  message: string;
}

/** What TiDB Cloud (or EC2) answers, from a raw server: exit 2 with one sentence, no mutating call. */
export interface ResponseCase {
  kind: 'response';
  /** Which API the raw server plays; the other one is the TiDB Cloud simulator (or the EC2 fake). */
  api: 'tidb' | 'ec2';
  args: string[];
  replies: RawReply[];
  /** Default 2. */
  exit?: number;
  /** Matches stderr (exit 2) or, with `exit: 0`, what stdout must not contain. */
  stderr?: string;
  stdoutExcludes?: string;
}

export type CorpusCase = (EventCase | CliCase | EnvCase | ResponseCase) & {
  name: string;
  description: string;
};

/** A complete, valid environment for the CLI; each case changes it. */
export const BASE_ENV: Readonly<Record<string, string>> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDCORPUS',
  AWS_SECRET_ACCESS_KEY: 'corpus-secret',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  TIDB_CLOUD_PUBLIC_KEY: 'CORPUSPUBLIC',
  TIDB_CLOUD_PRIVATE_KEY: 'corpus-private-key',
  TIDB_CLOUD_REQUESTS_PER_MINUTE: '100000',
  PRIVATELINK_VPC_ID: 'vpc-0123456789abcdef0',
  PRIVATELINK_SUBNET_IDS: 'subnet-0aaa1111,subnet-0bbb2222',
  PRIVATELINK_SECURITY_GROUP_IDS: 'sg-0ccc3333',
};

/** The case's overrides on `base`; `null` removes a variable. */
export function withOverrides(
  base: Readonly<Record<string, string>>,
  overrides: Record<string, string | null>,
): Record<string, string> {
  const env: Record<string, string> = { ...base };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === null) delete env[name];
    else env[name] = value;
  }
  return env;
}

export const KINDS = ['event', 'cli', 'env', 'response'] as const;

function expand(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(expand);
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  if (typeof record.$repeat === 'string' && typeof record.times === 'number')
    return record.$repeat.repeat(record.times);
  return Object.fromEntries(Object.entries(record).map(([key, inner]) => [key, expand(inner)]));
}

export function loadCorpus(): CorpusCase[] {
  return KINDS.flatMap((kind) =>
    readdirSync(new URL(`${kind}/`, CORPUS_DIR))
      .filter((file) => file.endsWith('.json'))
      .sort()
      .map((file) => {
        const raw = JSON.parse(readFileSync(new URL(`${kind}/${file}`, CORPUS_DIR), 'utf8')) as CorpusCase;
        if (raw.kind !== kind) throw new Error(`${kind}/${file} says kind "${raw.kind}"`);
        return { ...(expand(raw) as CorpusCase), name: `${kind}/${file.replace(/\.json$/, '')}` };
      }),
  );
}
