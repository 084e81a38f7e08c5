/** Runs `work` over `items` with at most `limit` in flight, keeping the input order in the results. */
export async function mapLimited<T, R>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * `Promise.all` over calls that share one abort signal, aborting the rest as soon as one fails: a pass that
 * cannot run must not leave its other calls retrying in the background (in Lambda they would run, and be
 * billed and counted, in the next invocation).
 */
export async function allOrAbort<T extends readonly unknown[]>(
  parent: AbortSignal | undefined,
  start: (signal: AbortSignal) => [...{ [K in keyof T]: Promise<T[K]> }],
): Promise<T> {
  const controller = new AbortController();
  const forward = () => controller.abort(parent?.reason);
  if (parent?.aborted) forward();
  parent?.addEventListener('abort', forward, { once: true });
  try {
    const calls = start(controller.signal).map((call) =>
      call.catch((error: unknown) => {
        controller.abort(error);
        throw error;
      }),
    );
    return (await Promise.all(calls)) as unknown as T;
  } finally {
    parent?.removeEventListener('abort', forward);
  }
}
