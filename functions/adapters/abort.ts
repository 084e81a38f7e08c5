/**
 * Abort signals that leave nothing behind on a long-lived one. middy hands every invocation of a warm Lambda
 * the same AbortSignal (it renews it only once aborted), and a CLI run has one for its whole life: whatever a
 * call leaves on such a signal stays. `AbortSignal.any` is no way out on Node 20: every composite it makes
 * leaves an entry on its sources that is never cleared, so heap grows with every call.
 */
import { setMaxListeners } from 'node:events';
import { type LinkedDeadline, linkDeadline } from '../core/diagnose/deadline.ts';

/** The link itself is core's (`linkDeadline`); this adds the listener limit, which needs `node:events`. */
export type LinkedSignal = LinkedDeadline;

export interface LinkOptions {
  /** Abort with a `TimeoutError` after this long. */
  timeoutMs?: number;
  /**
   * The listener count above which Node warns of a leak, for a signal many concurrent calls share (each
   * holds one listener while it runs). The parent keeps its own: one listener per link.
   */
  maxListeners?: number;
}

/** A child of `parent` (absent: a signal only the timeout aborts) that holds one listener on it until disposed. */
export function linkSignal(parent: AbortSignal | undefined, options: LinkOptions = {}): LinkedSignal {
  const linked = linkDeadline(parent, options.timeoutMs);
  if (options.maxListeners !== undefined) setMaxListeners(options.maxListeners, linked.signal);
  return linked;
}

/** Runs `work` on a child of `parent`, unlinked when the work ends however it ends. */
export async function withLinkedSignal<T>(
  parent: AbortSignal | undefined,
  options: LinkOptions,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const linked = linkSignal(parent, options);
  try {
    return await work(linked.signal);
  } finally {
    linked.dispose();
  }
}
