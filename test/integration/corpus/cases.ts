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
