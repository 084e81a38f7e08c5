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

/**
 * A signal that fires at `timeoutMs` or when the caller's signal does. Not `AbortSignal.any` over
 * `AbortSignal.timeout`: on Node 20 a composite holds its sources only weakly, so once the timeout signal is
 * garbage collected it never fires, and a call that ignores its signal would hold the report past its deadline.
 * Here the timer holds the controller until it fires; unref'd, like `AbortSignal.timeout`, it keeps no process
 * alive, and when it fires it takes its listener off the caller's signal (which may serve a warm Lambda).
 */
export function deadlineSignal(timeoutMs: number, parent?: AbortSignal): AbortSignal {
  const controller = new AbortController();
  const onParentAbort = () => {
    clearTimeout(timer);
    controller.abort(parent?.reason);
  };
  const timer = setTimeout(
    () => {
      parent?.removeEventListener('abort', onParentAbort);
      controller.abort(new DOMException(`The deadline of ${timeoutMs} ms has passed.`, 'TimeoutError'));
    },
    Math.max(0, timeoutMs),
  );
  timer.unref();
  if (parent?.aborted) onParentAbort();
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  return controller.signal;
}
