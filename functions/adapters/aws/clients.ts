/**
 * AWS SDK clients, built once per cold start (or once per CLI run) and handed to the adapters. Nothing here
 * is module-level state: code that tests import never creates a client as a side effect.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { STSClient } from '@aws-sdk/client-sts';
import { AppError, AwsError } from '../../core/errors.ts';

export interface AwsClientOptions {
  region: string;
  /** A local sandbox (moto). The SDK also honours `AWS_ENDPOINT_URL` by itself; passing it here is explicit. */
  endpointUrl?: string;
  /** Attempts per call, first one included (default 5: rides out a CreateVpcEndpoint throttling burst). */
  maxAttempts?: number;
}

export interface AwsClients {
  ec2: EC2Client;
  secretsManager: SecretsManagerClient;
  lambda: LambdaClient;
  dynamodb: DynamoDBClient;
}

export const DEFAULT_MAX_ATTEMPTS = 5;

/**
 * The configuration every client shares: the SDK's `standard` retry mode (exponential backoff with jitter on
 * throttling such as `RequestLimitExceeded`, 5xx and transient network errors, bounded by a retry quota),
 * so the adapters themselves never retry.
 */
export function clientConfig(options: AwsClientOptions) {
  return {
    region: options.region,
    retryMode: 'standard',
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    ...(options.endpointUrl ? { endpoint: options.endpointUrl } : {}),
  };
}

// One factory per client, so a Lambda bundle holds only the SDK clients its function uses (the SDK packages
// declare no side effects, so esbuild drops the others): the reconcile never loads the Lambda client. A client
// only lazily imported code uses has its factory beside that code (Route 53: route53.ts): esbuild splits by
// module, so a factory here would put its client in the chunk every function loads at init. EventBridge's
// is in eventbridge.ts (the reconcile imports it on its first publish only), and no module here imports the
// EventBridge client: esbuild puts a package every function's init imports statically, used or not, with
// whatever of it any chunk uses into the init chunk.
export const createEc2Client = (options: AwsClientOptions) => new EC2Client(clientConfig(options));
export const createSecretsManagerClient = (options: AwsClientOptions) =>
  new SecretsManagerClient(clientConfig(options));
export const createLambdaClient = (options: AwsClientOptions) => new LambdaClient(clientConfig(options));
/** The state table (registry, idempotency, the stack's quota). */
export const createDynamoDbClient = (options: AwsClientOptions) => new DynamoDBClient(clientConfig(options));
/** STS and Service Quotas: only `preflight` (the CLI) reads them. */
export const createStsClient = (options: AwsClientOptions) => new STSClient(clientConfig(options));
export const createServiceQuotasClient = (options: AwsClientOptions) =>
  new ServiceQuotasClient(clientConfig(options));

/**
 * The clients the CLI and the tests build at once (a Lambda builds only its own; EventBridge: eventbridge.ts).
 *
 * @example const clients = createAwsClients({ region: process.env.AWS_REGION ?? 'us-east-1' });
 */
export function createAwsClients(options: AwsClientOptions): AwsClients {
  return {
    ec2: createEc2Client(options),
    secretsManager: createSecretsManagerClient(options),
    lambda: createLambdaClient(options),
    dynamodb: createDynamoDbClient(options),
  };
}

/**
 * Turns whatever an SDK call threw into an `AwsError` carrying AWS's own code (`error.name` on SDK v3 service
 * exceptions, e.g. `InvalidParameter`) and AWS's own message, so cores and fakes see the same shape.
 * Aborts and the app's own errors are passed through untouched: a cancelled call is the caller's decision,
 * not an AWS failure.
 */
export function toAwsError(error: unknown, operation: string): Error {
  // Already the app's own (an AwsError, or a spoke's refused role from its credentials): kept as it is.
  if (error instanceof AppError) return error;
  if (error instanceof Error) {
    if (error.name === 'AbortError') return error;
    const raw = error as Error & { Code?: unknown; code?: unknown; $fault?: unknown };
    const code = [raw.Code, raw.code].find((value) => typeof value === 'string' && value.length > 0);
    const awsCode = typeof code === 'string' ? code : error.name || 'Unknown';
    if (isUnreadableAnswer(error, awsCode)) return unreadableAnswer(error, operation);
    const message = error.message || `${operation} failed with ${awsCode}`;
    // A service exception says whose fault it was; anything else (a socket error, a timeout) never got an
    // answer from AWS, so it is the network's.
    const fault = raw.$fault === 'client' || raw.$fault === 'server' ? raw.$fault : 'network';
    return new AwsError(awsCode, message, { cause: error, fault });
  }
  return new AwsError('Unknown', `${operation} failed: ${String(error)}`, { cause: error });
}

/** The SDK could not read the answer as AWS's (a proxy's HTML page, a body cut off): its text says nothing. */
function isUnreadableAnswer(error: Error, awsCode: string): boolean {
  return (
    error.message.includes('Deserialization error') ||
    awsCode === 'Unknown' ||
    awsCode === 'UnknownError' ||
    error.message === 'UnknownError'
  );
}

function unreadableAnswer(error: Error, operation: string): AwsError {
  const status = (error as Error & { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return new AwsError(
    'UnreadableResponse',
    `${operation} got an answer that is not an AWS API response${status ? ` (HTTP ${status})` : ''}: ` +
      'check AWS_ENDPOINT_URL and any proxy in between, then try again.',
    { cause: error },
  );
}
