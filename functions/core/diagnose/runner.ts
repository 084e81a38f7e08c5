/**
 * Runs checks with dependency-aware skipping: every check starts as soon as its prerequisites have results,
 * so independent checks run in parallel; a check whose prerequisite failed or was skipped is `skip`, with the
 * reason in its summary. Results come back in the order of the check list, whatever order they finish in.
 */
import { settleBefore } from './deadline.ts';
import type { CheckId, CheckResult, CheckResultOf } from './report.ts';

/** A result without its id (distributes over the union, so `fail` still requires `remediation`). */
export type CheckOutcome = CheckResult extends infer R
  ? R extends CheckResult
    ? Omit<R, 'id'>
    : never
  : never;

export interface Dependency<Id extends string = CheckId> {
  id: Id;
  /** The skip summary when this prerequisite did not pass; a generic one otherwise. */
  reason?: string;
}

/** A check of the doctor (ids: CheckId) or of another suite with its own ids (preflight). */
export interface Check<C, Id extends string = CheckId> {
  id: Id;
  dependsOn: readonly Dependency<Id>[];
  run(context: C, signal: AbortSignal): CheckOutcome | Promise<CheckOutcome>;
}

/** Thrown inside a check to end it with a ready outcome (e.g. "could not read the subnets"). */
export class CheckOutcomeError extends Error {
  readonly outcome: CheckOutcome;

  constructor(outcome: CheckOutcome) {
    super(outcome.summary);
    this.name = 'CheckOutcomeError';
    this.outcome = outcome;
  }
}

export interface RunOptions<Id extends string = CheckId> {
  /** The deadline: a check still running when it fires gets `onTimeout`'s outcome. */
  signal: AbortSignal;
  onTimeout(id: Id): CheckOutcome;
  /** An unexpected exception inside a check: reported, not thrown, so the other checks still report. */
  onCrash(id: Id, error: unknown): CheckOutcome;
}

function blockedBy<Id extends string>(
  dependsOn: readonly Dependency<Id>[],
  results: ReadonlyMap<Id, CheckResultOf<Id>>,
): string | undefined {
  for (const dependency of dependsOn) {
    const result = results.get(dependency.id);
    if (result && (result.status === 'fail' || result.status === 'skip')) {
      const verb = result.status === 'fail' ? 'failed' : 'was skipped';
      return dependency.reason ?? `Skipped: ${dependency.id} ${verb}.`;
    }
  }
  return undefined;
}

async function runOne<C, Id extends string>(
  check: Check<C, Id>,
  context: C,
  options: RunOptions<Id>,
): Promise<CheckOutcome> {
  try {
    const outcome = check.run(context, options.signal);
    if (!(outcome instanceof Promise)) return outcome;
    const settled = await settleBefore(outcome, options.signal);
    if (settled.ok) return settled.value;
    if (settled.aborted) return options.onTimeout(check.id);
    throw settled.error;
  } catch (error) {
    if (error instanceof CheckOutcomeError) return error.outcome;
    return options.onCrash(check.id, error);
  }
}

/** Runs `checks` (prerequisites must come earlier in the list) and returns one result per check, in order. */
export async function runChecks<C, Id extends string = CheckId>(
  checks: readonly Check<C, Id>[],
  context: C,
  options: RunOptions<Id>,
): Promise<CheckResultOf<Id>[]> {
  const pending = new Map<Id, Promise<CheckResultOf<Id>>>();
  const results = new Map<Id, CheckResultOf<Id>>();
  for (const check of checks) {
    const prerequisites = check.dependsOn.map((dependency) => {
      const result = pending.get(dependency.id);
      if (!result) throw new Error(`${check.id} depends on ${dependency.id}, which is not listed before it`);
      return result;
    });
    const result = Promise.all(prerequisites).then(async (): Promise<CheckResultOf<Id>> => {
      const reason = blockedBy(check.dependsOn, results);
      const outcome = reason
        ? { status: 'skip' as const, summary: reason }
        : await runOne(check, context, options);
      const finished = { id: check.id, ...outcome } as CheckResultOf<Id>;
      results.set(check.id, finished);
      return finished;
    });
    pending.set(check.id, result);
  }
  return Promise.all(pending.values());
}
