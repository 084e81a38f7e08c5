import { keptWhileWarm, lambdaTelemetry } from '../app/cold-start.ts';
import { eventsOnFirstPublish } from '../app/events-on-first-publish.ts';
import { createLambdaDeps } from '../app/lambda-deps.ts';
import { createReconcileHandler } from '../app/provisioning.ts';
import { POLL_INTERVAL_MS } from '../app/settings.ts';
import { loadConfig } from '../config.ts';

// Cold start: a missing variable fails here, not in a request.
const config = loadConfig(process.env, { apiKeys: 'secret', vpc: true });
const { logger, metrics } = lambdaTelemetry();

export const handler = createReconcileHandler(
  keptWhileWarm(() => createLambdaDeps(config, POLL_INTERVAL_MS, eventsOnFirstPublish)),
  logger,
  metrics,
);
