import { describe, expect, it } from 'vitest';
import { allOrAbort } from '../../../functions/core/concurrency.ts';

/** A call that settles only when aborted, recording that it was. */
function untilAborted(signal: AbortSignal, seen: string[], name: string): Promise<never> {
  return new Promise((_, reject) => {
    const stop = () => {
      seen.push(name);
      reject(new Error(`${name} aborted`));
    };
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop);
  });
}

describe('allOrAbort', () => {
  it('gives every result in order when all calls succeed', async () => {
    const results = await allOrAbort<[number, string]>(undefined, () => [
      Promise.resolve(1),
      new Promise((resolve) => setTimeout(() => resolve('two'), 5)),
    ]);
    expect(results).toEqual([1, 'two']);
  });

  it('aborts the other calls as soon as one fails, and rejects with the first error', async () => {
    const aborted: string[] = [];
    const failure = new Error('listing failed');
    const run = allOrAbort<[never, never]>(undefined, (signal) => [
      untilAborted(signal, aborted, 'clusters'),
      Promise.reject(failure),
    ]);
    await expect(run).rejects.toBe(failure);
    expect(aborted).toEqual(['clusters']);
  });

  it("follows the caller's signal, also one aborted before the start", async () => {
    const aborted: string[] = [];
    const caller = new AbortController();
    const run = allOrAbort<[never]>(caller.signal, (signal) => [untilAborted(signal, aborted, 'late')]);
    caller.abort(new Error('deadline'));
    await expect(run).rejects.toThrow('late aborted');
    const early = allOrAbort<[never]>(caller.signal, (signal) => [untilAborted(signal, aborted, 'early')]);
    await expect(early).rejects.toThrow('early aborted');
    expect(aborted).toEqual(['late', 'early']);
  });
});
