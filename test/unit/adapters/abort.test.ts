import { getEventListeners, getMaxListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { linkSignal, withLinkedSignal } from '../../../functions/adapters/abort.ts';

describe('linkSignal', () => {
  it('aborts with its parent, with the parent reason, and holds one listener on it until disposed', () => {
    const parent = new AbortController();
    const linked = linkSignal(parent.signal);
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1);
    parent.abort(new Error('deadline'));
    expect(linked.signal.aborted).toBe(true);
    expect((linked.signal.reason as Error).message).toBe('deadline');
    linked.dispose();
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
  });

  it('is born aborted under an aborted parent, and adds nothing to it', () => {
    const parent = AbortSignal.abort('gone');
    const linked = linkSignal(parent);
    expect([linked.signal.aborted, linked.signal.reason]).toEqual([true, 'gone']);
    expect(getEventListeners(parent, 'abort')).toHaveLength(0);
  });

  it('times out with a TimeoutError, and a disposed link never fires', async () => {
    const timed = linkSignal(undefined, { timeoutMs: 5 });
    const disposed = linkSignal(undefined, { timeoutMs: 5 });
    disposed.dispose();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect((timed.signal.reason as Error).name).toBe('TimeoutError');
    expect(disposed.signal.aborted).toBe(false);
  });

  it('leaves a long-lived parent as it found it after 1,000 links, and its own ceiling on the child only', async () => {
    const parent = new AbortController().signal;
    for (let i = 0; i < 1000; i += 1) {
      await withLinkedSignal(parent, { maxListeners: 500 }, async (signal) => {
        expect(getMaxListeners(signal)).toBe(500);
      });
    }
    expect(getEventListeners(parent, 'abort')).toHaveLength(0);
    expect(getMaxListeners(parent)).toBe(10);
  });

  it('unlinks when the work throws', async () => {
    const parent = new AbortController().signal;
    await expect(withLinkedSignal(parent, {}, () => Promise.reject(new Error('refused')))).rejects.toThrow(
      'refused',
    );
    expect(getEventListeners(parent, 'abort')).toHaveLength(0);
  });
});
