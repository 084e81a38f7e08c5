import { keptWhileWarm, lambdaTelemetry } from '../app/cold-start.ts';
import { eventBridgeEvents } from '../app/eventbridge-events.ts';
import { createIdempotency, createLambdaDeps } from '../app/lambda-deps.ts';
import { createProvisionHandler } from '../app/provisioning.ts';
import { POLL_INTERVAL_MS } from '../app/settings.ts';
import { loadConfig } from '../config.ts';

// Cold start: a missing variable fails here, not in a request.
const config = loadConfig(process.env, { apiKeys: 'secret', vpc: true });
const { logger, metrics } = lambdaTelemetry();

export const handler = createProvisionHandler(
  keptWhileWarm(() => createLambdaDeps(config, POLL_INTERVAL_MS, eventBridgeEvents)),
  logger,
  metrics,
  createIdempotency(config),
);
