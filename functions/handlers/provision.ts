import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRIC_NAMESPACE } from '../adapters/powertools-metrics.ts';
import { createIdempotency, createLambdaDeps } from '../app/lambda-deps.ts';
import { createProvisionHandler } from '../app/provisioning.ts';
import { POLL_INTERVAL_MS } from '../app/settings.ts';
import { loadConfig } from '../config.ts';

const config = loadConfig(process.env, { apiKeys: 'secret', vpc: true });
let deps: ReturnType<typeof createLambdaDeps> | undefined;

export const handler = createProvisionHandler(
  () => (deps ??= createLambdaDeps(config, POLL_INTERVAL_MS)),
  new Logger({ serviceName: 'tidb-privatelink' }),
  new Metrics({ namespace: METRIC_NAMESPACE }),
  createIdempotency(config),
);
