/**
 * A decorator that makes any `Ec2Port` throttle and fail a seeded share of calls, for the fault matrix
 * (bench/faults.ts). It sits where `Ec2Adapter` surfaces errors, i.e. above the SDK's own retries: every
 * fault it injects reaches the core, which is harsher than AWS (the SDK would retry most of them).
 *
 * @example const ec2 = faultyEc2(fake, { seed: 1, throttle: 0.3 });
 */
import { AwsError } from '../../functions/core/errors.ts';
import type { Ec2Port } from '../../functions/core/ports.ts';
import { seededRandom } from './tidbcloud-simulator/faults.ts';

export interface Ec2FaultRates {
  seed: number;
  /** Share of calls refused with `RequestLimitExceeded` before doing anything. */
  throttle?: number;
  /**
   * Share of calls failing with `InternalError` (HTTP 500). On a call that changes something, half of them
   * fail after the change was made: the answer is lost, the endpoint or the private DNS exists.
   */
  fail?: number;
}

export interface Ec2FaultCounts {
  calls: number;
  throttled: number;
  failed: number;
  failedAfterSideEffect: number;
}

const MUTATING: ReadonlySet<string> = new Set(['createInterfaceEndpoint', 'enablePrivateDns', 'tagResource']);

/** AWS's own wording for both errors. */
const throttled = () => new AwsError('RequestLimitExceeded', 'Request limit exceeded.');
const internal = () =>
  new AwsError(
    'InternalError',
    'An internal error has occurred. Retry your request, but if the problem persists, contact us.',
  );

export function faultyEc2(target: Ec2Port, rates: Ec2FaultRates, counts?: Ec2FaultCounts): Ec2Port {
  const random = seededRandom(rates.seed);
  const throttle = rates.throttle ?? 0;
  const fail = rates.fail ?? 0;
  if (throttle + fail > 1) throw new RangeError(`EC2 fault rates add up to ${throttle + fail}, more than 1`);
  return new Proxy(target, {
    get(object, property) {
      // No receiver: the fake keeps #private state, which only the real object may read.
      const value: unknown = Reflect.get(object, property);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const draw = random();
        if (counts) counts.calls += 1;
        if (draw < throttle) {
          if (counts) counts.throttled += 1;
          throw throttled();
        }
        if (draw >= throttle + fail) return Reflect.apply(value, object, args);
        if (counts) counts.failed += 1;
        // The lower half of the failure band fails after the work, on calls that change something.
        if (!MUTATING.has(String(property)) || draw >= throttle + fail / 2) throw internal();
        if (counts) counts.failedAfterSideEffect += 1;
        await Reflect.apply(value, object, args);
        throw internal();
      };
    },
  });
}
