import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRIC_NAMESPACE } from '../adapters/powertools-metrics.ts';
import { DEPLOYED_BUDGETS } from '../app/budgets.ts';
import { createTroubleshootHandler } from '../app/diagnostics.ts';
import { createDiagnosticsDeps, createIdempotency } from '../app/lambda-deps.ts';
import { loadConfig } from '../config.ts';

const config = loadConfig(process.env, { apiKeys: 'secret', probe: true });
let deps: ReturnType<typeof createDiagnosticsDeps> | undefined;
const metrics = new Metrics({ namespace: METRIC_NAMESPACE });

export const handler = createTroubleshootHandler(
  () => (deps ??= createDiagnosticsDeps(config, metrics)),
  new Logger({ serviceName: 'tidb-privatelink' }),
  metrics,
  DEPLOYED_BUDGETS,
  createIdempotency(config),
);
