import { createEventBridgeClient, EventBridgeAdapter } from '../adapters/aws/eventbridge.ts';
import type { Config } from '../config.ts';
import type { EventsPort } from '../core/ports.ts';

/**
 * The function's events on its EventBridge bus. A module of its own, so a handler chooses how it comes: a
 * static import (provision, probe and troubleshoot publish on most invocations) or a dynamic one on the first
 * publish (events-on-first-publish.ts, the reconcile's).
 */
export function eventBridgeEvents(config: Config): EventsPort {
  return new EventBridgeAdapter({
    client: createEventBridgeClient({ region: config.aws.region, endpointUrl: config.aws.endpointUrl }),
    eventBusName: config.privateLink.eventBus,
    source: config.privateLink.eventSource,
  });
}
