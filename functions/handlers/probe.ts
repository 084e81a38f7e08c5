import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createProbeHandler } from '../app/diagnostics.ts';
import { createDiagnosticsDeps, createIdempotency } from '../app/lambda-deps.ts';
import { loadConfig } from '../config.ts';

const config = loadConfig(process.env, { apiKeys: 'secret', probe: true });
let deps: ReturnType<typeof createDiagnosticsDeps> | undefined;
const metrics = new Metrics({ namespace: 'TidbPrivateLink' });

export const handler = createProbeHandler(
  () => (deps ??= createDiagnosticsDeps(config, metrics)),
  new Logger({ serviceName: 'tidb-privatelink' }),
  metrics,
  createIdempotency(config),
);
