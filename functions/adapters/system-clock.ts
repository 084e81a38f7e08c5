import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../core/ports.ts';

/** Wall-clock time; sleeping is cancelled by the signal (a Lambda deadline or Ctrl-C). */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => delay(ms, undefined, { signal }),
};
