/**
 * A decorator that makes any EC2 port (`Ec2Port`, `ProvisioningEc2Port`) throttle and fail a seeded share of EC2 API attempts, for the fault
 * matrix (bench/faults.ts).
 *
 * With `sdkRetries`, each port call retries a faulted attempt the way `createAwsClients` configures the
 * SDK (`standard` mode, `DEFAULT_MAX_ATTEMPTS` attempts, full-jitter backoff from 100 ms, 500 ms after
 * throttling, at most 20 s): what reaches the core is what would reach it from `Ec2Adapter` on a faulty
 * AWS. Without it, every fault reaches the core (the SDK's retries bypassed, harsher than AWS).
 *
 * @example const ec2 = faultyEc2(fake, { seed: 1, throttle: 0.3, sdkRetries: { sleep: clock.sleep } });
 */

import { DEFAULT_MAX_ATTEMPTS } from '../functions/adapters/aws/clients.ts';
import { AwsError } from '../functions/core/errors.ts';
import { seededRandom } from './tidbcloud-simulator/faults.ts';

export interface Ec2FaultRates {
  seed: number;
  /** Share of attempts refused with `RequestLimitExceeded` before doing anything. */
  throttle?: number;
  /**
   * Share of attempts failing with `InternalError` (HTTP 500). On a call that changes something, half of
   * them fail after the change was made: the answer is lost, the endpoint or the private DNS exists.
   */
  fail?: number;
  /** Retry as the SDK would, sleeping on this clock (the scaled clock in the matrix). */
  sdkRetries?: { sleep: (ms: number) => Promise<void>; maxAttempts?: number };
}

export interface Ec2FaultCounts {
  /** EC2 API attempts (a retried call counts once per attempt). */
  attempts: number;
  throttled: number;
  failed: number;
  failedAfterSideEffect: number;
  /** Faults that reached the caller (after the SDK-like retries, if any). */
  surfaced: number;
}

export const noEc2Faults = (): Ec2FaultCounts => ({
  attempts: 0,
  throttled: 0,
  failed: 0,
  failedAfterSideEffect: 0,
  surfaced: 0,
});

const MUTATING: ReadonlySet<string> = new Set([
  'createInterfaceEndpoint',
  'enablePrivateDns',
  'modifyEndpointSubnets',
  'tagResource',
]);

/** AWS's own wording for both errors. */
const throttled = () => new AwsError('RequestLimitExceeded', 'Request limit exceeded.');
const internal = () =>
  new AwsError(
    'InternalError',
    'An internal error has occurred. Retry your request, but if the problem persists, contact us.',
  );

/** The SDK's standard-mode delay before retry `retry` (0-based): full jitter, capped at 20 s. */
function sdkDelayMs(retry: number, error: AwsError, random: () => number): number {
  const base = error.awsCode === 'RequestLimitExceeded' ? 500 : 100;
  return Math.floor(random() * Math.min(20_000, base * 2 ** retry));
}

export function faultyEc2<Port extends object>(
  target: Port,
  rates: Ec2FaultRates,
  counts = noEc2Faults(),
): Port {
  const random = seededRandom(rates.seed);
  const throttle = rates.throttle ?? 0;
  const fail = rates.fail ?? 0;
  if (throttle + fail > 1) throw new RangeError(`EC2 fault rates add up to ${throttle + fail}, more than 1`);

  /** One EC2 API attempt: maybe refused, maybe failed before or after doing the work. */
  const attempt = async (method: string, work: () => Promise<unknown>): Promise<unknown> => {
    const draw = random();
    counts.attempts += 1;
    if (draw < throttle) {
      counts.throttled += 1;
      throw throttled();
    }
    if (draw >= throttle + fail) return work();
    counts.failed += 1;
    // The lower half of the failure band fails after the work, on calls that change something.
    if (!MUTATING.has(method) || draw >= throttle + fail / 2) throw internal();
    counts.failedAfterSideEffect += 1;
    await work();
    throw internal();
  };

  const call = async (method: string, work: () => Promise<unknown>): Promise<unknown> => {
    const maxAttempts = rates.sdkRetries ? (rates.sdkRetries.maxAttempts ?? DEFAULT_MAX_ATTEMPTS) : 1;
    for (let retry = 0; ; retry++) {
      try {
        return await attempt(method, work);
      } catch (error) {
        const injected =
          error instanceof AwsError && /RequestLimitExceeded|InternalError/.test(error.awsCode);
        if (!injected || !rates.sdkRetries || retry + 1 >= maxAttempts) {
          if (injected) counts.surfaced += 1;
          throw error;
        }
        await rates.sdkRetries.sleep(sdkDelayMs(retry, error, random));
      }
    }
  };

  return new Proxy(target, {
    get(object, property) {
      // No receiver: the fake keeps #private state, which only the real object may read.
      const value: unknown = Reflect.get(object, property);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        call(String(property), async () => Reflect.apply(value, object, args) as unknown);
    },
  });
}
