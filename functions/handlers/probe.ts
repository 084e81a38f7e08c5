import { DEPLOYED_BUDGETS } from '../app/budgets.ts';
import { keptWhileWarm, lambdaTelemetry } from '../app/cold-start.ts';
import { createProbeHandler } from '../app/diagnostics.ts';
import { eventBridgeEvents } from '../app/eventbridge-events.ts';
import { createDiagnosticsDeps, createIdempotency } from '../app/lambda-deps.ts';
import { loadConfig } from '../config.ts';

// Cold start: a missing variable fails here, not in a request.
const config = loadConfig(process.env, { apiKeys: 'secret', probe: true });
const { logger, metrics } = lambdaTelemetry();

export const handler = createProbeHandler(
  keptWhileWarm(() => createDiagnosticsDeps(config, metrics, eventBridgeEvents)),
  logger,
  metrics,
  DEPLOYED_BUDGETS,
  createIdempotency(config),
);
