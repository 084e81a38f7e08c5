/**
 * Errors that cross module boundaries. Each carries a machine-readable `code`; the CLI maps them to exit 2
 * with their message, which is written to be the one sentence a user reads. Messages never contain secrets.
 */

export class AppError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
  }

  toJSON(): { name: string; code: string; message: string } {
    return { name: this.name, code: this.code, message: this.message };
  }
}

/** Missing or invalid configuration: the message lists every problem at once. */
export class ConfigError extends AppError {
  readonly problems: string[];

  constructor(problems: string[]) {
    super('CONFIG', `Configuration is incomplete: ${problems.join('; ')}.`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Bad input from a user or an event: flags, cluster ids, malformed events. */
export class UsageError extends AppError {
  constructor(message: string) {
    super('USAGE', message);
    this.name = 'UsageError';
  }
}

/** An inbound event or invoke payload that fails validation: rejected before any side effect. */
export class InvalidEventError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEventError';
  }
}

/** Any failure talking to the TiDB Cloud API; subclasses name the HTTP outcome. */
export class TidbCloudError extends AppError {
  readonly status: number | undefined;
  readonly traceId: string | undefined;

  constructor(
    code: string,
    message: string,
    details: { status?: number; traceId?: string } = {},
    options?: ErrorOptions,
  ) {
    super(code, message, options);
    this.name = 'TidbCloudError';
    this.status = details.status;
    this.traceId = details.traceId;
  }
}

export class TidbCloudAuthError extends TidbCloudError {
  constructor(message: string, details: { status?: number; traceId?: string } = {}) {
    super('TIDB_AUTH', message, details);
    this.name = 'TidbCloudAuthError';
  }
}

export class TidbCloudForbiddenError extends TidbCloudError {
  constructor(message: string, details: { status?: number; traceId?: string } = {}) {
    super('TIDB_FORBIDDEN', message, details);
    this.name = 'TidbCloudForbiddenError';
  }
}

export class TidbCloudNotFoundError extends TidbCloudError {
  constructor(message: string, details: { status?: number; traceId?: string } = {}) {
    super('TIDB_NOT_FOUND', message, details);
    this.name = 'TidbCloudNotFoundError';
  }
}

export class TidbCloudBadRequestError extends TidbCloudError {
  constructor(message: string, details: { status?: number; traceId?: string } = {}) {
    super('TIDB_BAD_REQUEST', message, details);
    this.name = 'TidbCloudBadRequestError';
  }
}

/** 409: the resource already exists (grpc-gateway's ALREADY_EXISTS), e.g. a duplicate registration. */
export class TidbCloudConflictError extends TidbCloudError {
  constructor(message: string, details: { status?: number; traceId?: string } = {}) {
    super('TIDB_CONFLICT', message, details);
    this.name = 'TidbCloudConflictError';
  }
}

/** 429s that outlasted the retries. */
export class TidbCloudRateLimitError extends TidbCloudError {
  constructor(message: string, details: { status?: number; traceId?: string } = {}) {
    super('TIDB_RATE_LIMITED', message, details);
    this.name = 'TidbCloudRateLimitError';
  }
}

/**
 * A 429 whose `X-Ratelimit-Reset` lies past the caller's deadline: the key's quota is used up until `resetAt`,
 * so the call was not even waited for.
 */
export class TidbCloudQuotaExhaustedError extends TidbCloudRateLimitError {
  readonly resetAt: Date;

  constructor(message: string, resetAt: Date, details: { status?: number; traceId?: string } = {}) {
    super(message, details);
    this.name = 'TidbCloudQuotaExhaustedError';
    this.resetAt = resetAt;
  }
}

/** 5xx, network errors and timeouts that outlasted the retries. */
export class TidbCloudUnavailableError extends TidbCloudError {
  constructor(message: string, details: { status?: number; traceId?: string } = {}, options?: ErrorOptions) {
    super('TIDB_UNAVAILABLE', message, details, options);
    this.name = 'TidbCloudUnavailableError';
  }
}

/** An AWS API failure the SDK's retries did not cure (message keeps AWS's own text). */
export class AwsError extends AppError {
  readonly awsCode: string;
  /** Who failed, when known: the caller (`client`), AWS (`server`) or the path between (`network`). */
  readonly fault: AwsFault | undefined;

  constructor(awsCode: string, message: string, options?: ErrorOptions & { fault?: AwsFault }) {
    super('AWS', message, options);
    this.name = 'AwsError';
    this.awsCode = awsCode;
    this.fault = options?.fault;
  }
}

export type AwsFault = 'client' | 'server' | 'network';

/**
 * A spoke's role could not be assumed for good (deleted, its trust policy changed, the external id wrong):
 * that spoke's (cluster, VPC) pairs are Blocked `SPOKE_ACCESS_DENIED` with `remediation`; nothing else is.
 * STS throttling or an outage is an `AwsError` like any other transient one (Error for those pairs).
 */
export class SpokeAccessDeniedError extends AppError {
  readonly roleArn: string;
  readonly remediation: string;

  constructor(roleArn: string, message: string, remediation: string, options?: ErrorOptions) {
    super('SPOKE_ACCESS_DENIED', message, options);
    this.name = 'SpokeAccessDeniedError';
    this.roleArn = roleArn;
    this.remediation = remediation;
  }
}

/** AWS codes (and socket error codes the SDK surfaces as names) that a later attempt may cure. */
const TRANSIENT_AWS =
  /Throttl|RequestLimitExceeded|TooManyRequests|SlowDown|ServiceUnavailable|Unavailable|InternalError|InternalFailure|ServerError|ServiceFailure|Timeout|TimedOut|ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|NetworkingError|socket/i;

/**
 * What a failure means for one cluster (docs/contracts.md "Transient errors"): `refused` is a validation or permission
 * answer a person must act on (Blocked, with the API's text); `transient` is everything else that outlived the
 * retries (Error for this pass, retried next pass); `pass` means the pass itself cannot run.
 */
export type FailureKind = 'refused' | 'transient' | 'pass';

export function failureKind(error: unknown): FailureKind {
  if (error instanceof ConfigError || error instanceof TidbCloudAuthError) return 'pass';
  if (
    error instanceof TidbCloudBadRequestError ||
    error instanceof TidbCloudForbiddenError ||
    error instanceof SpokeAccessDeniedError
  ) {
    return 'refused';
  }
  if (error instanceof AwsError) {
    const transient =
      error.fault === 'server' || error.fault === 'network' || TRANSIENT_AWS.test(error.awsCode);
    return transient ? 'transient' : 'refused';
  }
  return 'transient';
}

/** The code an outcome's `error` carries: AWS's own, the app's, or `UNEXPECTED`. */
export function errorCodeOf(error: unknown): string {
  if (error instanceof AwsError) return error.awsCode;
  return error instanceof AppError ? error.code : 'UNEXPECTED';
}
