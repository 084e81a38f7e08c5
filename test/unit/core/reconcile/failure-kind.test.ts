import { describe, expect, it } from 'vitest';
import {
  AwsError,
  ConfigError,
  failureKind,
  TidbCloudAuthError,
  TidbCloudBadRequestError,
  TidbCloudConflictError,
  TidbCloudForbiddenError,
  TidbCloudRateLimitError,
  TidbCloudUnavailableError,
} from '../../../../functions/core/errors.ts';

describe('failureKind: transient is not Blocked (docs/contracts.md "Transient errors")', () => {
  it.each([
    [new TidbCloudUnavailableError('HTTP 503 five times'), 'transient'],
    [new TidbCloudRateLimitError('429 after retries'), 'transient'],
    [new TidbCloudConflictError('already exists'), 'transient'],
    [new AwsError('RequestLimitExceeded', 'Request limit exceeded.'), 'transient'],
    [new AwsError('InternalError', 'An internal error has occurred', { fault: 'server' }), 'transient'],
    [new AwsError('ServiceUnavailable', 'try later'), 'transient'],
    [new AwsError('TimeoutError', 'timed out', { fault: 'network' }), 'transient'],
    [new AwsError('Error', 'socket hang up', { fault: 'network' }), 'transient'],
    [new Error('a bug'), 'transient'],
    [new TidbCloudBadRequestError('invalid endpointId'), 'refused'],
    [new TidbCloudForbiddenError('the key may not'), 'refused'],
    [new AwsError('UnauthorizedOperation', 'not authorized', { fault: 'client' }), 'refused'],
    [new AwsError('InvalidParameter', 'bad subnet', { fault: 'client' }), 'refused'],
    [new TidbCloudAuthError('bad key'), 'pass'],
    [new ConfigError(['AWS_REGION is not set']), 'pass'],
  ] as const)('%s → %s', (error, kind) => {
    expect(failureKind(error)).toBe(kind);
  });
});
