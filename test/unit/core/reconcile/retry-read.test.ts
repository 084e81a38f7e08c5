/** The pass's own listing outlives a brown-out of a few seconds, but not a refusal or the caller's deadline. */
import { describe, expect, it } from 'vitest';
import { AwsError } from '../../../../functions/core/errors.ts';
import { PASS_READ_BACKOFF_MS, retryPassRead } from '../../../../functions/core/reconcile/retry-read.ts';

const internalError = () =>
  new AwsError('InternalError', 'An internal error has occurred.', { fault: 'server' });
const denied = () => new AwsError('UnauthorizedOperation', 'You are not authorized.', { fault: 'client' });

/** A clock that records each wait and lets time pass by it. */
function recordingClock() {
  const waits: number[] = [];
  let now = 0;
  return {
    waits,
    now: () => now,
    sleep: async (ms: number) => {
      waits.push(ms);
      now += ms;
    },
  };
}

/** A read that fails with `failures` in turn, then answers `value`. */
function flakyRead<T>(failures: Error[], value: T) {
  let calls = 0;
  const read = async () => {
    const failure = failures[calls++];
    if (failure) throw failure;
    return value;
  };
  return { read, calls: () => calls };
}

describe('retryPassRead', () => {
  it('retries transient failures with a doubling backoff and answers the read', async () => {
    const clock = recordingClock();
    const { read, calls } = flakyRead([internalError(), internalError()], ['vpce-1']);
    await expect(retryPassRead(read, clock, {})).resolves.toEqual(['vpce-1']);
    expect(calls()).toBe(3);
    expect(clock.waits).toEqual([1_000, 2_000]);
  });

  it('gives up after the last backoff with the read’s own error', async () => {
    const clock = recordingClock();
    const failures = Array.from({ length: PASS_READ_BACKOFF_MS.length + 1 }, internalError);
    const { read, calls } = flakyRead(failures, []);
    await expect(retryPassRead(read, clock, {})).rejects.toMatchObject({ awsCode: 'InternalError' });
    expect(calls()).toBe(PASS_READ_BACKOFF_MS.length + 1);
    expect(clock.waits).toEqual(PASS_READ_BACKOFF_MS);
  });

  it('does not retry a refusal: it will not change in seconds', async () => {
    const clock = recordingClock();
    const { read, calls } = flakyRead([denied()], []);
    await expect(retryPassRead(read, clock, {})).rejects.toMatchObject({
      awsCode: 'UnauthorizedOperation',
    });
    expect(calls()).toBe(1);
    expect(clock.waits).toEqual([]);
  });

  it('does not retry an error that is not AWS’s (a bug, a crash): it will not pass in seconds', async () => {
    const clock = recordingClock();
    const { read, calls } = flakyRead([new TypeError('endpoint.tags is undefined')], []);
    await expect(retryPassRead(read, clock, {})).rejects.toBeInstanceOf(TypeError);
    expect(calls()).toBe(1);
    expect(clock.waits).toEqual([]);
  });

  it('never waits past the caller’s deadline', async () => {
    const clock = recordingClock();
    const { read, calls } = flakyRead([internalError(), internalError()], []);
    await expect(retryPassRead(read, clock, { deadline: 2_500 })).rejects.toMatchObject({
      awsCode: 'InternalError',
    });
    expect(calls()).toBe(2);
    expect(clock.waits).toEqual([1_000]);
  });

  it('stops when the caller aborts', async () => {
    const clock = recordingClock();
    const controller = new AbortController();
    controller.abort();
    const { read, calls } = flakyRead([internalError()], []);
    await expect(retryPassRead(read, clock, { signal: controller.signal })).rejects.toMatchObject({
      awsCode: 'InternalError',
    });
    expect(calls()).toBe(1);
  });
});
