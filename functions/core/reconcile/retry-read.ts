/**
 * A read the whole pass depends on (the managed-endpoint listing) or one cluster's progress does (VPC facts,
 * the service's zones, an endpoint read again), or a change that is safe to repeat (apply.ts says why for
 * each), retried inside the pass. The SDK already retries each call; what outlives those retries (an EC2
 * brown-out of a few seconds) would otherwise cost the whole pass, or that cluster, until the next tick.
 * Only AWS's transient failures are retried (a refusal will not change in seconds, nor will an error that is
 * not AWS's: a bug, or a test's simulated crash), never past the caller's deadline, and with a backoff that
 * doubles. TiDB Cloud's client retries its own calls.
 */
import { AwsError, failureKind } from '../errors.ts';
import type { CallOptions, Clock } from '../ports.ts';

/** Waits between attempts: 1 s, 2 s, 4 s (a read failing for about 7 s is given up on). */
export const PASS_READ_BACKOFF_MS: readonly number[] = [1_000, 2_000, 4_000];

export async function retryPassRead<T>(
  read: () => Promise<T>,
  clock: Pick<Clock, 'now' | 'sleep'>,
  options: CallOptions,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      const wait = PASS_READ_BACKOFF_MS[attempt];
      const pastDeadline = options.deadline !== undefined && clock.now() + (wait ?? 0) > options.deadline;
      const transient = error instanceof AwsError && failureKind(error) === 'transient';
      if (wait === undefined || !transient || pastDeadline || options.signal?.aborted) throw error;
      await clock.sleep(wait, options.signal);
    }
  }
}
