import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import { InvalidEventError } from '../core/errors.ts';

/** What a handler answers to an event it rejects. */
export interface Rejection {
  rejected: true;
  reason: string;
}

/**
 * An event that fails validation is answered, not thrown: logged once as a warning with the reason (no
 * stack) and returned as `{ rejected, reason }`. Thrown, the Lambda runtime would log it a second time with
 * a stack, and an asynchronous (EventBridge) invocation would be retried twice with the same bad input.
 */
export function rejectInvalidEvents(logger: Logger): MiddlewareObj {
  return {
    onError: async (request) => {
      const { error } = request;
      if (!(error instanceof InvalidEventError)) return;
      logger.warn('event rejected', { reason: error.message });
      request.response = { rejected: true, reason: error.message } satisfies Rejection;
    },
  };
}
