/**
 * The CLI in-process as a person holding only the operator policy a command needs (docs/operations.md,
 * "Operator policies"): the read-only one for `status`, `doctor`, `preflight` and dry runs, the provision one
 * (with the read-only one) for a `provision` or `reconcile` that acts. A command that needs more than its
 * policy allows fails here as it would in AWS.
 */
import type { CliDeps } from '../functions/app/cli-deps.ts';
import type { ReconcileSettings } from '../functions/core/reconcile/types.ts';
import { OPERATOR_PROVISION, OPERATOR_READ_ONLY } from './iam/roles.ts';
import { type CliRun, runCliWith } from './run-cli.ts';
import type { OperatorPolicies, World } from './world.ts';

/** The operator policy `args` need: provision only for a provision or reconcile that may change something. */
export function operatorPolicyFor(args: readonly string[]): OperatorPolicies {
  const [command] = args;
  const acts = (command === 'provision' || command === 'reconcile') && !args.includes('--dry-run');
  return acts ? OPERATOR_PROVISION : OPERATOR_READ_ONLY;
}

/**
 * `runCliWith` as a person holding only the operator policy `args` need, with `overrides` (a data plane, a
 * resolver…); `stack`: the policies of a stack of other VPCs (default the world's).
 */
export async function runCliAsOperator(
  world: World,
  args: string[],
  env: Record<string, string>,
  overrides: Partial<CliDeps> = {},
  stack?: ReconcileSettings,
): Promise<CliRun> {
  const deps = await world.cliDepsAs(operatorPolicyFor(args), stack);
  return runCliWith(args, env, { ...deps, ...overrides });
}
