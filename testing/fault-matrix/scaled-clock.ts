/**
 * Time shared by the fault matrix's processes: virtual time runs `factor` times faster than real time from
 * a common origin, so the simulator (parent) and every CLI run (child) agree on "now" without talking.
 * TiDB's minutes of System Checking, the 95/min pace and 429 resets all shrink by the same factor.
 */
import { abortableSleep } from '../../functions/adapters/tidbcloud/retry.ts';
import type { Clock } from '../../functions/core/ports.ts';

export interface TimeScale {
  /** Real `Date.now()` at the origin. */
  realStart: number;
  /** Virtual time at the origin. */
  virtualStart: number;
  /** Virtual ms per real ms. */
  factor: number;
}

export function scaledClock(scale: TimeScale): Clock {
  return {
    now: () => scale.virtualStart + (Date.now() - scale.realStart) * scale.factor,
    sleep: (ms, signal) => abortableSleep(ms / scale.factor, signal),
  };
}

/** Environment a child needs to rebuild the same clock. */
export function timeScaleEnv(scale: TimeScale): Record<string, string> {
  return {
    FAULT_REAL_START: String(scale.realStart),
    FAULT_VIRTUAL_START: String(scale.virtualStart),
    FAULT_TIME_FACTOR: String(scale.factor),
  };
}

export function timeScaleFromEnv(env: NodeJS.ProcessEnv): TimeScale {
  const read = (name: string): number => {
    const value = Number(env[name]);
    if (!Number.isFinite(value)) throw new Error(`${name} is not set to a number`);
    return value;
  };
  return {
    realStart: read('FAULT_REAL_START'),
    virtualStart: read('FAULT_VIRTUAL_START'),
    factor: read('FAULT_TIME_FACTOR'),
  };
}
