import type { Metrics } from '@aws-lambda-powertools/metrics';
import { recordTidbApiUsage, type TidbApiUsage } from '../adapters/powertools-metrics.ts';
import type { TidbCloudPort } from '../core/ports.ts';

/** What the live TiDB Cloud client counts (`TidbCloudClient.stats`); an in-memory fake counts nothing. */
interface CountingClient {
  readonly stats: TidbApiUsage;
}

function isCounting(tidb: TidbCloudPort): tidb is TidbCloudPort & CountingClient {
  const stats = (tidb as Partial<CountingClient>).stats;
  return typeof stats?.requests === 'number' && typeof stats.rateLimited === 'number';
}

/**
 * Runs one invocation's work and stores its TiDB Cloud API usage for the metrics middleware's flush, also
 * when the work fails: a run that ends in 429s is the one the TidbApiRateLimited metric is for. The client
 * lives for the whole cold start, so the invocation's share is the difference of its counters.
 */
export async function meteringTidbApi<T>(
  metrics: Metrics | undefined,
  tidb: TidbCloudPort,
  work: () => Promise<T>,
): Promise<T> {
  if (!metrics || !isCounting(tidb)) return work();
  const before = tidb.stats;
  try {
    return await work();
  } finally {
    const after = tidb.stats;
    recordTidbApiUsage(metrics, {
      requests: after.requests - before.requests,
      rateLimited: after.rateLimited - before.rateLimited,
    });
  }
}
