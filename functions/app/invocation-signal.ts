/**
 * Each invocation's own abort signal. middy (v6) hands every invocation of a warm environment the same
 * AbortSignal, renewed only once aborted: on it, the listeners of calls running at once add up to Node's
 * MaxListenersExceededWarning, and any a call failed to remove would stay for the life of the environment.
 */
import { withLinkedSignal } from '../adapters/abort.ts';
import { MAX_BATCH_TARGETS } from '../core/diagnose/ports.ts';

/**
 * Many calls of one invocation share its signal, each holding one listener while it runs: a data-plane target
 * one for its resolver, one per ENI address (one per AZ, at most six) and one for its greeting; a probe one
 * per endpoint in flight (PROBE_CONCURRENCY chunks of MAX_BATCH_TARGETS). Above this many, Node's warning
 * would mean a real leak.
 */
export const INVOCATION_MAX_LISTENERS = 10 * MAX_BATCH_TARGETS;

/**
 * Runs one invocation on a signal of its own, linked to middy's: what its calls add goes with the invocation,
 * and middy's holds one listener per invocation, removed when it ends.
 */
export function perInvocation<T>(shared: AbortSignal, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  return withLinkedSignal(shared, { maxListeners: INVOCATION_MAX_LISTENERS }, work);
}
