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

export interface LinkedDeadline {
  /** Aborts when the parent does (with its reason) or when the timeout passes (a `TimeoutError`). */
  readonly signal: AbortSignal;
  /** Unlinks from the parent and stops the timer: for when the work the signal guards is over. */
  dispose(): void;
}

/**
 * A child of `parent` (absent: one only the timeout aborts; no `timeoutMs`: one only the parent aborts).
 * Not `AbortSignal.any` over `AbortSignal.timeout`: on Node 20 a composite holds its sources only weakly, so
 * once the timeout signal is garbage collected it never fires (a call that ignores its signal would then hold
 * the report past its deadline), and each composite leaves an entry on its sources that is never cleared.
 * Here the timer holds the controller until it fires; unref'd, like `AbortSignal.timeout`, it keeps no process
 * alive; and whichever of timer and parent comes first takes the other's hook off, so nothing stays on a
 * parent that may serve a warm Lambda or a whole CLI run.
 */
export function linkDeadline(parent: AbortSignal | undefined, timeoutMs?: number): LinkedDeadline {
  const controller = new AbortController();
  const dispose = () => {
    clearTimeout(timer);
    parent?.removeEventListener('abort', onParentAbort);
  };
  const onParentAbort = () => {
    dispose();
    controller.abort(parent?.reason);
  };
  const onTimeout = () => {
    dispose();
    controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  };
  const timer = timeoutMs === undefined ? undefined : setTimeout(onTimeout, Math.max(0, timeoutMs));
  timer?.unref();
  if (parent?.aborted) onParentAbort();
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  return { signal: controller.signal, dispose };
}

/** A signal that fires at `timeoutMs` or when the caller's signal does (see `linkDeadline`). */
export function deadlineSignal(timeoutMs: number, parent?: AbortSignal): AbortSignal {
  return linkDeadline(parent, timeoutMs).signal;
}
