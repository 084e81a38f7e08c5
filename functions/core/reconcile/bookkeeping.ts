/**
 * Bookkeeping: what the reconcile writes to remember, never a step towards convergence. It is no action,
 * emits no event and never decides a phase; it runs only after the plan's verdict, and a failed write is a
 * note on the outcome (the next pass, finding the tag still stale, simply tries again).
 */
import { isOurs } from '../model.ts';
import type { CallOptions } from '../ports.ts';
import { staleSubnetConfig } from './plan.ts';
import type { Observation, ReconcileDeps } from './types.ts';

/** Runs after each verdict; its notes join the outcome. The dry run has none: it writes nothing. */
export type Bookkeeper = (
  deps: ReconcileDeps,
  observed: Observation,
  options: CallOptions,
) => Promise<string[]>;

/** Records the subnet configuration on an endpoint whose subnets already match it (see `staleSubnetConfig`). */
export const keepBooks: Bookkeeper = async (deps, observed, options) => {
  const write = staleSubnetConfig(observed, deps.settings);
  if (!write || !observed.endpoint || !isOurs(observed.endpoint, deps.settings.stackName)) return [];
  try {
    await deps.ec2.tagResource(write.vpcEndpointId, write.tags, options);
    return [];
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const message = error instanceof Error ? error.message : String(error);
    const keys = Object.keys(write.tags).join(', ');
    return [`Could not record ${keys} on ${write.vpcEndpointId} (${message}); the next pass tries again.`];
  }
};
