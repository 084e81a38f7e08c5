/**
 * One request budget for the whole stack. TiDB Cloud's gateway counts a key's requests per wall-clock minute
 * (100 per minute); every function takes one unit from the same per-minute counter before each request, so
 * all of them together stay within `TIDB_CLOUD_REQUESTS_PER_MINUTE`, whichever needs the quota at the time.
 * A caller refused in this minute waits for the next one, spread over its first seconds so that waiting
 * callers do not all arrive at once.
 */
import type { Clock, QuotaCounter, RequestBudget } from './ports.ts';

const MINUTE_MS = 60_000;
/** Spread of the retries at the start of the next minute. */
const SPREAD_MS = 2_000;

export class SharedBudget implements RequestBudget {
  constructor(
    private readonly counter: QuotaCounter,
    private readonly limit: number,
    private readonly clock: Pick<Clock, 'now' | 'sleep'>,
    private readonly random: () => number = Math.random,
  ) {}

  async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const now = this.clock.now();
      const window = Math.floor(now / MINUTE_MS);
      if (await this.counter.tryTake(window, this.limit, { signal })) return;
      const nextMinute = (window + 1) * MINUTE_MS;
      await this.clock.sleep(nextMinute - now + Math.floor(this.random() * SPREAD_MS), signal);
    }
  }
}
