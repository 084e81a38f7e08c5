/**
 * The doctor's deadline signal: it fires at its time or with its parent, leaves no listener on the parent once
 * it has fired, and still fires after a garbage collection (on Node 20 `AbortSignal.any` over
 * `AbortSignal.timeout` does not: a composite holds its sources weakly).
 */
import { execFile } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { deadlineSignal } from '../../../../functions/core/diagnose/deadline.ts';

const aborted = (signal: AbortSignal) =>
  new Promise<unknown>((resolve) => signal.addEventListener('abort', () => resolve(signal.reason)));

describe('deadlineSignal', () => {
  it('fires with a TimeoutError at its time, then leaves no listener on the parent', async () => {
    const parent = new AbortController().signal;
    const begin = performance.now();
    const signal = deadlineSignal(50, parent);
    expect(getEventListeners(parent, 'abort')).toHaveLength(1);
    const reason = await aborted(signal);
    expect(performance.now() - begin).toBeGreaterThanOrEqual(45);
    expect(reason).toMatchObject({ name: 'TimeoutError' });
    expect(getEventListeners(parent, 'abort')).toHaveLength(0);
  });

  it("fires with the parent's reason when the parent aborts first, or already has", async () => {
    const parent = new AbortController();
    const signal = deadlineSignal(60_000, parent.signal);
    parent.abort(new Error('Ctrl-C'));
    expect(signal.reason).toMatchObject({ message: 'Ctrl-C' });
    expect(deadlineSignal(60_000, parent.signal).reason).toMatchObject({ message: 'Ctrl-C' });
  });

  it('still fires after a garbage collection, with a parent', async () => {
    const module = fileURLToPath(new URL('../../../../functions/core/diagnose/deadline.ts', import.meta.url));
    // A fresh process with the collector exposed: collect while the deadline is pending, then wait past it.
    const script = `
      import { deadlineSignal } from ${JSON.stringify(module)};
      const signal = deadlineSignal(100, new AbortController().signal);
      setTimeout(() => globalThis.gc(), 20);
      setTimeout(() => console.log(signal.aborted ? 'fired' : 'lost'), 400);
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script],
      { timeout: 20_000 },
    );
    expect(stdout.trim()).toBe('fired');
  }, 30_000);
});
