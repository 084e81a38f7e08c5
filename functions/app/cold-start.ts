/**
 * What every handler module does once per execution environment, in one place: the logger and metrics the
 * middy stack flushes, and dependencies built on first use and kept while the environment is warm.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRIC_NAMESPACE } from '../adapters/powertools-metrics.ts';

const SERVICE_NAME = 'tidb-privatelink';

export function lambdaLogger(): Logger {
  return new Logger({ serviceName: SERVICE_NAME });
}

export function lambdaTelemetry(): { logger: Logger; metrics: Metrics } {
  return { logger: lambdaLogger(), metrics: new Metrics({ namespace: METRIC_NAMESPACE }) };
}

/**
 * `build` runs at the first invocation and its result serves every later one (clients, the API key, the
 * digest nonce stay warm). A build that fails (Secrets Manager throttled, say) is forgotten, so the next
 * invocation tries again instead of the environment failing until Lambda recycles it.
 */
export function keptWhileWarm<T>(build: () => Promise<T>): () => Promise<T> {
  let built: Promise<T> | undefined;
  return () => {
    built ??= build().catch((error: unknown) => {
      built = undefined;
      throw error;
    });
    return built;
  };
}
