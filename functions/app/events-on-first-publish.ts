import type { Config } from '../config.ts';
import type { EventsPort } from '../core/ports.ts';
import { lazyPort } from './lazy-port.ts';

/**
 * For the reconcile, which publishes only on a change (a new cluster, an endpoint's progress): most scheduled
 * passes publish nothing, so its EventBridge client and adapter are imported on the first publish, from a chunk
 * its init never reads (test/integration/serverless/cold-start.test.ts). A module of its own, so the functions
 * that import eventbridge-events.ts statically do not carry this dynamic import's chunk as well.
 */
export const eventsOnFirstPublish = (config: Config): EventsPort =>
  lazyPort(async () => (await import('./eventbridge-events.ts')).eventBridgeEvents(config), {
    publish: true,
  });
