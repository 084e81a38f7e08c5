import { reconcileSettingsOf } from '../../app/settings.ts';
import { UsageError } from '../../core/errors.ts';
import { describeHeld } from '../../core/lease.ts';
import type { LeaseHeld } from '../../core/ports.ts';
import type { ProvisionOutcome, ReconcileDeps } from '../../core/reconcile/types.ts';
import { provisionStack, reconcileStack } from '../../core/reconcile/vpcs.ts';
import { type Flags, idFlag, positiveIntFlag } from '../args.ts';
import type { CliContext, CommandResult, ExitCode } from '../context.ts';
import { printable } from '../printable.ts';
import { table } from '../table.ts';
import { underReconcileLease } from './reconcile-lease.ts';

function reconcileDeps(ctx: CliContext): ReconcileDeps {
  return { ...ctx.deps, settings: reconcileSettingsOf(ctx.config) };
}

export function describeOutcome(outcome: ProvisionOutcome): string[] {
  const account = outcome.accountId ? ` (account ${outcome.accountId})` : '';
  const where = outcome.vpcId ? ` in ${outcome.vpcId}${account}` : '';
  const head = `${outcome.clusterId}${where}: ${outcome.phase}${outcome.vpcEndpointId ? ` (${outcome.vpcEndpointId})` : ''}`;
  const actions = outcome.actions.map(
    (action) =>
      `  done: ${action.type}${action.vpcEndpointId ? ` ${action.vpcEndpointId}` : ''} at ${action.at}`,
  );
  const skipped = (outcome.skippedSubnets ?? []).map(
    (s) => `  skipped subnet ${s.subnetId} (${s.availabilityZoneId}): ${s.reason}`,
  );
  const notes = (outcome.notes ?? []).map((note) => `  note: ${note}`);
  return [
    head,
    ...actions,
    ...planLines(outcome),
    ...skipped,
    ...notes,
    ...detailOf(outcome).map((line) => `  ${line}`),
  ];
}

/** A dry run's plan: each action it would take, in order, and how to take it by hand. */
function planLines(outcome: ProvisionOutcome): string[] {
  return (outcome.plannedActions ?? []).flatMap((action, index) => [
    `  would ${index + 1}: ${action.type}${action.when ? ` (${action.when})` : ''}`,
    `      ${printable(action.equivalent)}`,
  ]);
}

/** A dry run changes nothing, so only an API error is a failure (docs/contracts.md "CLI contract"). */
function dryRunExitCode(outcomes: ProvisionOutcome[]): ExitCode {
  return outcomes.some((o) => o.phase === 'Error') ? 2 : 0;
}

/** What a person reads about a phase, beyond its name. */
function detailOf(outcome: ProvisionOutcome): string[] {
  switch (outcome.phase) {
    case 'Blocked':
    case 'Orphaned':
      return [`${outcome.phase.toLowerCase()}: ${outcome.message}`, `fix: ${outcome.remediation}`];
    case 'Progressing':
      return [`waiting for ${outcome.waitingFor}`];
    case 'Error':
      return [`error (${outcome.error?.code}): ${outcome.error?.message} (retried next run)`];
    case 'Idle':
      return [`idle: ${outcome.message}`];
    default:
      return [];
  }
}

/** docs/contracts.md: 2 if any cluster is Error, else 1 if any is Blocked, else 0 (Idle and Orphaned included). */
export function reconcileExitCode(outcomes: ProvisionOutcome[]): ExitCode {
  if (outcomes.some((o) => o.phase === 'Error')) return 2;
  return outcomes.some((o) => o.phase === 'Blocked') ? 1 : 0;
}

export function provisionOptions(flags: Flags) {
  const dryRun = flags['dry-run'] === true;
  if (dryRun && flags.wait === true) {
    throw new UsageError('--dry-run and --wait cannot be combined: a dry run changes nothing to wait for.');
  }
  return {
    clusterId: idFlag(flags, 'cluster', true),
    tidbNodeGroupId: idFlag(flags, 'node-group'),
    wait: flags.wait === true,
    timeoutS: positiveIntFlag(flags, 'timeout-s', 900, 86_400),
    dryRun,
  };
}

export async function provision(ctx: CliContext): Promise<CommandResult> {
  const { clusterId, tidbNodeGroupId, wait, timeoutS, dryRun } = provisionOptions(ctx.flags);
  const deps = reconcileDeps(ctx);
  const deadline = wait ? deps.clock.now() + timeoutS * 1000 : undefined;
  const outcomes = await provisionStack(
    deps,
    { clusterId, tidbNodeGroupId },
    { signal: ctx.signal, deadline, dryRun },
  );
  const lines = outcomes.flatMap((outcome) => [
    ...describeOutcome(outcome),
    ...(wait && outcome.phase === 'Progressing'
      ? [`Still Progressing after ${timeoutS}s: waiting for ${outcome.waitingFor}.`]
      : []),
  ]);
  if (dryRun) {
    const json = outcomes.length === 1 ? outcomes[0] : { clusters: outcomes };
    return { exitCode: dryRunExitCode(outcomes), json, lines: [DRY_RUN, ...lines] };
  }
  // --wait promises Ready (in every VPC): anything short of it after the wait is a failure (docs/contracts.md).
  const exitCode: ExitCode = outcomes.some((o) => o.phase === 'Error')
    ? 2
    : outcomes.some((o) => o.phase === 'Blocked' || (wait && o.phase !== 'Ready'))
      ? 1
      : 0;
  // One VPC: the `provision --json` object; several: one per VPC, shaped like `reconcile --json`.
  return { exitCode, json: outcomes.length === 1 ? outcomes[0] : { clusters: outcomes }, lines };
}

const DRY_RUN = 'Dry run: nothing was changed. Planned actions, in order, with what each is by hand:';

export async function reconcile(ctx: CliContext): Promise<CommandResult> {
  if (ctx.flags['dry-run'] === true) {
    // A dry run changes nothing, so it needs no lease and never keeps the schedule waiting.
    const outcomes = await reconcileStack(reconcileDeps(ctx), { signal: ctx.signal, dryRun: true });
    const lines = [DRY_RUN, ...outcomes.flatMap(describeOutcome)];
    return { exitCode: dryRunExitCode(outcomes), json: { clusters: outcomes }, lines };
  }
  const run = await underReconcileLease(ctx, (signal) => reconcileStack(reconcileDeps(ctx), { signal }));
  if (!run.ran) return leaseHeld(run.heldBy, ctx.deps.clock.now());
  const outcomes = run.result;
  // The VPC column only when the stack serves several: one VPC reads as before.
  const several = outcomes.some((o) => o.vpcId);
  const lines =
    outcomes.length === 0
      ? [`No TiDB Cloud Dedicated clusters in aws-${ctx.config.aws.region}.`]
      : table(
          ['CLUSTER', ...(several ? ['VPC'] : []), 'PHASE', 'ENDPOINT', 'ACTIONS', 'DETAIL'],
          outcomes.map((o) => [
            o.clusterId,
            ...(several ? [o.vpcId] : []),
            o.phase,
            o.vpcEndpointId,
            o.actions.map((a) => a.type).join(','),
            detailOf(o).join(' '),
          ]),
        );
  const exitCode = reconcileExitCode(outcomes);
  return { exitCode, json: { clusters: outcomes }, lines };
}

/** Another run holds the reconcile lease: nothing was done, which is not a success either (exit 1). */
function leaseHeld(heldBy: LeaseHeld, now: number): CommandResult {
  return {
    exitCode: 1,
    json: { clusters: [], leaseHeldBy: heldBy },
    // The holder is text from the table: printed as text, never as terminal control sequences.
    lines: [
      `Nothing done: another reconcile holds the lease, ${printable(describeHeld(heldBy, now))}. Run again once it has finished.`,
    ],
  };
}
