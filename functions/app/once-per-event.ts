/**
 * Powertools Idempotency for the event-driven functions, keyed on the EventBridge event `id`: a duplicate
 * delivery does no work twice (it gets the first result back), while a new request (a new id, or a direct
 * invoke without one) always runs. Without a state table (the CLI, a local invoke) the work runs as is.
 */
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { keptWhileWarm } from './cold-start.ts';

/** EventBridge retries a delivery for up to 24 hours: remember each event a little longer than that. */
export const EVENT_MEMORY_SECONDS = 25 * 3600;

type Work<R> = (event: unknown, context: Context, signal: AbortSignal) => Promise<R>;

/**
 * A persistence layer, or how to build one when the first event needs it: the deployed handlers load
 * Powertools' DynamoDB layer (and its JMESPath engine) only then, so an import, or a run that needs no record
 * (the scheduled probe, a direct invoke), never compiles it.
 */
export type PersistenceSource = BasePersistenceLayer | (() => Promise<BasePersistenceLayer>);

export interface OncePerEventOptions {
  persistenceStore: PersistenceSource;
  /** Keeps two functions' records apart in the one table. */
  keyPrefix: string;
  expiresAfterSeconds?: number;
}

/** What a duplicate that arrives while the first delivery still runs gets back (and the log line says so). */
export interface DuplicateInProgress {
  duplicate: true;
  eventId: string;
}

function eventIdOf(event: unknown): string {
  const id = typeof event === 'object' && event !== null ? (event as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : '';
}

/**
 * Wraps `work` so each EventBridge event id runs it once. Call only after the event has been validated:
 * a malformed event must leave no record behind.
 * @example const run = oncePerEvent(provisionOne, { persistenceStore, keyPrefix: 'provision' }, logger);
 */
export function oncePerEvent<R>(
  work: Work<R>,
  options: OncePerEventOptions | undefined,
  logger: Logger,
): Work<R | DuplicateInProgress> {
  if (!options) return work;
  let ran = false;
  const idempotent = keptWhileWarm(() =>
    idempotentWork(async (event: unknown, context: Context, signal: AbortSignal) => {
      ran = true;
      return work(event, context, signal);
    }, options),
  );
  return async (event, context, signal) => {
    ran = false;
    const eventId = eventIdOf(event);
    try {
      const result = await (await idempotent())(event, context, signal);
      if (!ran) logger.info('Duplicate delivery ignored: this event was already handled.', { eventId });
      return result;
    } catch (error) {
      if (error instanceof Error && error.name === 'IdempotencyAlreadyInProgressError') {
        logger.info('Duplicate delivery ignored: this event is being handled right now.', { eventId });
        return { duplicate: true, eventId };
      }
      throw error;
    }
  };
}

/** `work` made idempotent by Powertools, which is imported here, on the first event that needs it. */
async function idempotentWork<R>(work: Work<R>, options: OncePerEventOptions): Promise<Work<R>> {
  const { IdempotencyConfig, makeIdempotent } = await import('@aws-lambda-powertools/idempotency');
  const { persistenceStore } = options;
  const config = new IdempotencyConfig({
    eventKeyJmesPath: 'id',
    expiresAfterSeconds: options.expiresAfterSeconds ?? EVENT_MEMORY_SECONDS,
  });
  return makeIdempotent(work, {
    persistenceStore: typeof persistenceStore === 'function' ? await persistenceStore() : persistenceStore,
    config,
    keyPrefix: options.keyPrefix,
  });
}
