/**
 * `reconcile` given the state table takes the scheduled reconcile's lease, so a person's run and a tick never
 * work at once; without a table it runs as before. The lease lasts a fixed time, and the run is stopped when
 * it runs out (nothing else would stop a CLI there): a run killed outright holds the lease until then.
 */
import { hostname, userInfo } from 'node:os';
import { LeaseExpiredError, type LeaseRun, RECONCILE_LEASE, withLease } from '../../core/lease.ts';
import type { CliContext } from '../context.ts';

/**
 * Long enough for one pass over a large fleet (100 new clusters take about 2 minutes of the key's quota), short
 * enough that a CLI killed outright (Ctrl-C releases the lease) blocks only two scheduled ticks.
 */
export const CLI_LEASE_MS = 10 * 60_000;

/** The operating system's name for whoever runs the CLI (not an environment variable: the OS knows it). */
function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown user'; // no passwd entry for this uid (some containers)
  }
}

/** Who a refused Lambda or CLI run reports as the holder: the person and machine to ask. */
export function cliHolder(user: string = currentUser()): string {
  return `tidb-privatelink reconcile (CLI) by ${user}@${hostname()}, pid ${process.pid}`;
}

/** Runs `pass` under the reconcile lease when the CLI has the state table; `pass` gets the signal to obey. */
export async function underReconcileLease<T>(
  ctx: CliContext,
  pass: (signal: AbortSignal) => Promise<T>,
): Promise<LeaseRun<T>> {
  const { lease, clock } = ctx.deps;
  if (!lease) return { ran: true, result: await pass(ctx.signal), released: true };
  const until = clock.now() + CLI_LEASE_MS;
  const expiry = new AbortController();
  const timer = setTimeout(() => expiry.abort(new LeaseExpiredError(RECONCILE_LEASE, until)), CLI_LEASE_MS);
  try {
    const run = await withLease(
      lease,
      clock,
      { name: RECONCILE_LEASE, holder: cliHolder(), until },
      () => pass(AbortSignal.any([ctx.signal, expiry.signal])),
      ctx.signal,
    );
    if (run.ran && !run.released) {
      ctx.progress('warning: the reconcile lease had been taken over before this run released it.');
    }
    return run;
  } catch (error) {
    // Whatever call the expiry cut short, the reason to report is the expiry.
    throw expiry.signal.aborted ? expiry.signal.reason : error;
  } finally {
    clearTimeout(timer);
  }
}
