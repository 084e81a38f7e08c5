/**
 * Credentials for a spoke VPC's calls: STS AssumeRole of the entry's `roleArn` (session name = the calling
 * function's name, `ExternalId` when the entry has one), one cache per role shared by every client of that
 * spoke (EC2, Route 53, Resolver), refreshed shortly before expiry and once more when a call comes back
 * `ExpiredToken`. The SDK's credential provider and its STS client are imported on the first AssumeRole
 * (sts-assume-role.ts): a hub without spokes never loads them, nor does a cold start.
 */
import type {
  AwsCredentialIdentity,
  InitializeMiddleware,
  MetadataBearer,
  MiddlewareStack,
} from '@smithy/types';
import { AwsError, SpokeAccessDeniedError } from '../../core/errors.ts';
import * as fix from '../../core/remediation.ts';
import type { AwsClientOptions } from './clients.ts';

/** One spoke role as the hub assumes it. */
export interface SpokeRole {
  roleArn: string;
  externalId?: string;
  /** `RoleSessionName`: the hub function's name (`AWS_LAMBDA_FUNCTION_NAME`), `tidb-privatelink-cli` for the CLI. */
  sessionName: string;
}

/** The CLI's session name: the spoke's CloudTrail tells a person's run from the functions'. */
export const CLI_SESSION_NAME = 'tidb-privatelink-cli';

/** Fresh credentials are fetched this long before they expire (the SDK's own margin). */
export const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;

/** STS answers that a person must act on: the role is gone, does not trust the hub, or wants another id. */
const DENIED =
  /^(AccessDenied|AccessDeniedException|NoSuchEntity|InvalidIdentityToken|RegionDisabledException)$/;
/** A call signed with credentials that expired on the way (or were revoked early). */
const EXPIRED = /^(ExpiredToken|ExpiredTokenException)$/;

/** Fetches one set of temporary credentials; the default asks STS. */
export type AssumeRole = () => Promise<AwsCredentialIdentity>;

/** STS AssumeRole through the SDK's provider (signed by the hub's own credentials), loaded on first use. */
export function lazyStsAssumeRole(role: SpokeRole, aws: AwsClientOptions): AssumeRole {
  let provider: Promise<AssumeRole> | undefined;
  return async () => {
    provider ??= import('./sts-assume-role.ts').then((module) => module.stsAssumeRole(role, aws));
    return (await provider)();
  };
}

const nameOf = (error: unknown) => (error instanceof Error ? error.name : '');

/** What an AssumeRole failure means: the spoke refused us (Blocked), or STS failed us for now (Error). */
function assumeRoleError(role: SpokeRole, error: unknown): Error {
  const code = nameOf(error) || 'Unknown';
  const said = error instanceof Error && error.message ? error.message : code;
  if (DENIED.test(code)) {
    return new SpokeAccessDeniedError(
      role.roleArn,
      `The hub cannot assume the spoke role ${role.roleArn}: ${said}`,
      fix.spokeAccessDenied({
        roleArn: role.roleArn,
        sessionName: role.sessionName,
        withExternalId: Boolean(role.externalId),
      }),
      { cause: error },
    );
  }
  const fault = (error as { $fault?: unknown }).$fault === 'client' ? 'client' : 'server';
  return new AwsError(code, `sts:AssumeRole of ${role.roleArn} failed: ${said}`, { cause: error, fault });
}

/**
 * One role's credentials, cached until shortly before they expire. Marked `memoized` so the SDK clients use
 * this cache as it is (their own would keep a set this one has dropped after `ExpiredToken`).
 */
export class SpokeCredentials {
  #current: AwsCredentialIdentity | undefined;
  #pending: Promise<AwsCredentialIdentity> | undefined;

  constructor(
    private readonly role: SpokeRole,
    private readonly assume: AssumeRole,
    private readonly now: () => number = Date.now,
  ) {}

  /** The provider to give a client (`credentials`). */
  readonly provider = Object.assign(() => this.get(), { memoized: true });

  /** Valid credentials: the cached ones, or one AssumeRole shared by every caller waiting for it. */
  get(): Promise<AwsCredentialIdentity> {
    const current = this.#current;
    const expiry = current?.expiration?.getTime() ?? Number.POSITIVE_INFINITY;
    if (current && expiry - this.now() > REFRESH_BEFORE_EXPIRY_MS) return Promise.resolve(current);
    this.#pending ??= this.assume()
      .then((credentials) => {
        this.#current = credentials;
        return credentials;
      })
      .catch((error: unknown) => {
        throw assumeRoleError(this.role, error);
      })
      .finally(() => {
        this.#pending = undefined;
      });
    return this.#pending;
  }

  /** Forgets the cached set: the next call assumes the role again. */
  invalidate(): void {
    this.#current = undefined;
  }
}

/**
 * Retries a call once, with fresh credentials, when it comes back `ExpiredToken` (credentials that expired
 * on the way, or were revoked): the whole request again, so it is signed anew.
 */
export function refreshOnExpiredToken<Input extends object, Output extends MetadataBearer>(
  client: { middlewareStack: MiddlewareStack<Input, Output> },
  credentials: SpokeCredentials,
): void {
  const middleware: InitializeMiddleware<Input, Output> = (next) => async (args) => {
    try {
      return await next(args);
    } catch (error) {
      if (!EXPIRED.test(nameOf(error))) throw error;
      credentials.invalidate();
      return next(args);
    }
  };
  client.middlewareStack.add(middleware, { step: 'initialize', name: 'spokeExpiredTokenRefresh' });
}
