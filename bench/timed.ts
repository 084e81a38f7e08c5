/**
 * Timing proxies: wrap a port (TiDB Cloud, EC2, data plane) so every async method call is recorded with its
 * start and end. The cores only see the port interface, so the proxy measures exactly what they wait for,
 * including how many calls overlap, without touching the code under test.
 */

export interface CallSpan {
  port: string;
  operation: string;
  start: number;
  end: number;
}

export function timed<T extends object>(target: T, port: string, log: CallSpan[]): T {
  return new Proxy(target, {
    get(object, property) {
      // No receiver: the fakes keep #private state, which only the real object may read.
      const value: unknown = Reflect.get(object, property);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const start = performance.now();
        const result: unknown = Reflect.apply(value, object, args);
        if (!(result instanceof Promise)) return result;
        const record = () => log.push({ port, operation: String(property), start, end: performance.now() });
        return result.finally(record);
      };
    },
  });
}

export interface SpanSummary {
  calls: number;
  /** First start to last end. */
  wallMs: number;
  /** Σ of each call's own duration: what the same calls would cost one after another. */
  sumMs: number;
}

export function summarize(spans: CallSpan[]): SpanSummary {
  if (spans.length === 0) return { calls: 0, wallMs: 0, sumMs: 0 };
  const first = Math.min(...spans.map((span) => span.start));
  const last = Math.max(...spans.map((span) => span.end));
  const sumMs = spans.reduce((sum, span) => sum + (span.end - span.start), 0);
  return { calls: spans.length, wallMs: last - first, sumMs };
}

/**
 * Adds a fixed real delay before every async call: an in-memory fake answers in microseconds, an AWS API in
 * tens of milliseconds, and only with realistic latency does running calls in parallel show what it saves.
 */
export function delayed<T extends object>(target: T, delayMs: number): T {
  if (delayMs <= 0) return target;
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        return Reflect.apply(value, object, args);
      };
    },
  });
}
