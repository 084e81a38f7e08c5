/** Shared set-up for the TiDB Cloud client integration tests. */
import {
  TidbCloudClient,
  type TidbCloudClientOptions,
} from '../../../functions/adapters/tidbcloud/client.ts';
import type { Simulator } from '../../../testing/tidbcloud-simulator/index.ts';

/** A client clock whose sleeps return at once and move time forward, recording each wait. */
export function instantClock(start = 1_767_225_600_000) {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms: number, signal?: AbortSignal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
      now += ms;
    },
  };
}

export function clientFor(
  simulator: Simulator,
  options: Partial<TidbCloudClientOptions> = {},
): TidbCloudClient {
  const clock = instantClock();
  return new TidbCloudClient({
    baseUrl: simulator.url,
    publicKey: simulator.publicKey,
    privateKey: simulator.privateKey,
    now: clock.now,
    sleep: clock.sleep,
    ...options,
  });
}

/** Real-time wait for lifecycle tests (the simulator's timings are a few tens of ms there). */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
