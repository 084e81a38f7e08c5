/**
 * Deadline helpers. Ports take a signal, but an adapter or fake may ignore it; racing every await against the
 * signal is what guarantees the report comes back on time even when a call hangs.
 */

export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown; aborted: boolean };

/** Settles with the promise's outcome, or as aborted as soon as the signal fires, whichever comes first. */
export function settleBefore<T>(promise: Promise<T>, signal: AbortSignal): Promise<Settled<T>> {
  const outcome = promise.then(
    (value): Settled<T> => ({ ok: true, value }),
    (error: unknown): Settled<T> => ({ ok: false, error, aborted: signal.aborted }),
  );
  if (signal.aborted) return Promise.resolve({ ok: false, error: signal.reason, aborted: true });
  return new Promise((resolve) => {
    const onAbort = () => resolve({ ok: false, error: signal.reason, aborted: true });
    signal.addEventListener('abort', onAbort, { once: true });
    void outcome.then((settled) => {
      signal.removeEventListener('abort', onAbort);
      resolve(settled);
    });
  });
}

/** A signal that fires at `timeoutMs` or when the caller's signal does. */
export function deadlineSignal(timeoutMs: number, parent?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(Math.max(0, timeoutMs));
  return parent ? AbortSignal.any([parent, timeout]) : timeout;
}
