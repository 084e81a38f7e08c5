/**
 * TiDB Cloud answers and socket failures → the typed errors of `core/errors.ts`, each one sentence that says
 * what failed and what to do. Every text that comes from a server or a socket is redacted of the key pair.
 */
import {
  TidbCloudAuthError,
  TidbCloudBadRequestError,
  TidbCloudConflictError,
  TidbCloudError,
  TidbCloudForbiddenError,
  TidbCloudNotFoundError,
  TidbCloudQuotaExhaustedError,
  TidbCloudRateLimitError,
  TidbCloudUnavailableError,
} from '../../core/errors.ts';
import { parseChallenge } from './digest.ts';

/** One HTTP answer, its body read whole. */
export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
}

/** What an error message needs to know of the request: "list clusters", "cluster 123". */
export interface RequestWording {
  /** For error messages: "list clusters", "get cluster 123". */
  action: string;
  /** For 404 messages: "TiDB Cloud has no <resource>." */
  resource: string;
}

const AUTH_MESSAGE =
  'The TiDB Cloud API rejected the API key: check TIDB_CLOUD_PUBLIC_KEY and TIDB_CLOUD_PRIVATE_KEY.';

/** A 401 that only says our nonce expired (RFC 7616 `stale=true`): the key itself was accepted. */
export function isStale(result: HttpResult): boolean {
  return result.status === 401 && parseChallenge(result.headers.get('www-authenticate'))?.stale === true;
}

export function details(result: HttpResult): { status: number; traceId?: string } {
  const traceId = result.headers.get('x-debug-trace-id');
  return traceId ? { status: result.status, traceId } : { status: result.status };
}

/** TiDB's google.rpc body `{code, message, details}`; anything else yields "". */
function errorMessage(text: string): string {
  try {
    const body: unknown = JSON.parse(text);
    if (typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string') {
      return body.message;
    }
  } catch {
    // Not JSON (a proxy's HTML page, say): the status alone has to speak.
  }
  return '';
}

function errorCodes(error: unknown, depth = 0): string[] {
  if (typeof error !== 'object' || error === null || depth > 4) return [];
  const own = 'code' in error && typeof error.code === 'string' ? [error.code] : [];
  const nested = 'errors' in error && Array.isArray(error.errors) ? error.errors : [];
  const cause = 'cause' in error ? [error.cause] : [];
  return [...own, ...[...nested, ...cause].flatMap((inner) => errorCodes(inner, depth + 1))];
}

/** Refused means nothing listened, so the server cannot have seen the request: safe to retry a POST. */
export function isRefused(error: unknown): boolean {
  return errorCodes(error).includes('ECONNREFUSED');
}

function networkDetail(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'no answer before the timeout';
  const codes = errorCodes(error);
  if (codes.length > 0) return codes.join(', ');
  return error instanceof Error ? error.message : String(error);
}

export interface ErrorMappingOptions {
  baseUrl: string;
  publicKey: string;
  privateKey: string;
}

/** Builds the client's errors; holds the base URL they name and the key pair they must never show. */
export class TidbErrorMapping {
  constructor(private readonly options: ErrorMappingOptions) {}

  /** A non-2xx answer that retrying will not change. */
  httpError(spec: RequestWording, result: HttpResult): TidbCloudError {
    const serverMessage = this.redact(errorMessage(result.text));
    const said = serverMessage ? `: ${serverMessage}` : '';
    switch (result.status) {
      case 401:
        return new TidbCloudAuthError(AUTH_MESSAGE, details(result));
      case 403:
        return new TidbCloudForbiddenError(
          `The TiDB Cloud API key may not ${spec.action}${said}. Use a key of the organization that owns it.`,
          details(result),
        );
      case 404:
        return new TidbCloudNotFoundError(
          `TiDB Cloud has no ${spec.resource}${serverMessage ? ` (${serverMessage})` : ''}.`,
          details(result),
        );
      case 409:
        return new TidbCloudConflictError(
          `TiDB Cloud refused to ${spec.action}: it already exists${said}`,
          details(result),
        );
      case 400:
        return new TidbCloudBadRequestError(
          `TiDB Cloud refused to ${spec.action}${said || ' (HTTP 400)'}`,
          details(result),
        );
      default:
        return new TidbCloudError(
          'TIDB_HTTP',
          `TiDB Cloud answered HTTP ${result.status} to "${spec.action}"${said}`,
          details(result),
        );
    }
  }

  /** 5xx (or stale nonces) after every retry. */
  serverFailed(spec: RequestWording, result: HttpResult, attempts: number): TidbCloudUnavailableError {
    const { baseUrl } = this.options;
    if (isStale(result)) {
      return new TidbCloudUnavailableError(
        `The TiDB Cloud API at ${baseUrl} kept refusing fresh digest nonces as stale while trying to ` +
          `${spec.action} (${attempts} attempts); the API key was not refused. Try again later.`,
        details(result),
      );
    }
    const serverMessage = this.redact(errorMessage(result.text));
    return new TidbCloudUnavailableError(
      `The TiDB Cloud API at ${baseUrl} failed to ${spec.action} with HTTP ${result.status} ` +
        `${attempts} times${serverMessage ? ` (${serverMessage})` : ''}; try again later.`,
      details(result),
    );
  }

  rateLimited(result: HttpResult, attempts: number): TidbCloudRateLimitError {
    return new TidbCloudRateLimitError(
      `The TiDB Cloud API kept refusing requests for exceeding its rate limit (100 per minute per API key) ` +
        `after ${attempts} attempts; another process may be using the same key.`,
      details(result),
    );
  }

  quotaExhausted(result: HttpResult, resetAt: Date): TidbCloudQuotaExhaustedError {
    return new TidbCloudQuotaExhaustedError(
      `The TiDB Cloud API quota of this key (100 requests per minute) is used up until ${resetAt.toISOString()}; ` +
        'another process may be using the same key.',
      resetAt,
      details(result),
    );
  }

  /** No answer at all after every retry. */
  unreachable(error: unknown, attempts: number): TidbCloudUnavailableError {
    const why = isRefused(error) ? 'connection refused' : this.redact(networkDetail(error));
    return new TidbCloudUnavailableError(
      `The TiDB Cloud API at ${this.options.baseUrl} is unreachable (${why}, ${attempts} attempts): check TIDB_CLOUD_API_URL and the network path to it.`,
      {},
      { cause: error },
    );
  }

  notJson(spec: RequestWording, result: HttpResult, cause: unknown): TidbCloudError {
    return new TidbCloudError(
      'TIDB_BAD_RESPONSE',
      `The TiDB Cloud API answered "${spec.action}" with something that is not JSON.`,
      details(result),
      { cause },
    );
  }

  tooLarge(spec: RequestWording, status: number, maxBytes: number): TidbCloudError {
    return new TidbCloudError(
      'TIDB_BAD_RESPONSE',
      `The TiDB Cloud API answered "${spec.action}" with more than ${maxBytes / 1024 / 1024} MiB.`,
      { status },
    );
  }

  /** A 2xx whose body does not have the documented shape; `problem` says where. */
  unexpectedBody(spec: RequestWording, problem: string): TidbCloudError {
    return new TidbCloudError(
      'TIDB_BAD_RESPONSE',
      `The TiDB Cloud API answered "${spec.action}" with an unexpected body: ${this.redact(problem)}.`,
    );
  }

  endlessPages(spec: RequestWording): TidbCloudError {
    return new TidbCloudError(
      'TIDB_BAD_RESPONSE',
      `The TiDB Cloud API paginated endlessly to ${spec.action}; try again later.`,
    );
  }

  /**
   * Belt and braces: no message built from a server's or a socket's text may carry the key pair (a proxy
   * echoing the Authorization header would show the public key, the username of the digest).
   */
  private redact(text: string): string {
    return [this.options.privateKey, this.options.publicKey]
      .filter((secret) => secret.length >= 4)
      .reduce((redacted, secret) => redacted.split(secret).join('[redacted]'), text);
  }
}
