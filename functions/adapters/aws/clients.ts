/**
 * AWS SDK clients, built once per cold start (or once per CLI run) and handed to the adapters. Nothing here
 * is module-level state: code that tests import never creates a client as a side effect.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AwsError } from '../../core/errors.ts';

export interface AwsClientOptions {
  region: string;
  /** A local sandbox (moto). The SDK also honours `AWS_ENDPOINT_URL` by itself; passing it here is explicit. */
  endpointUrl?: string;
  /** Attempts per call, first one included (default 5: rides out a CreateVpcEndpoint throttling burst). */
  maxAttempts?: number;
}

export interface AwsClients {
  ec2: EC2Client;
  eventBridge: EventBridgeClient;
  secretsManager: SecretsManagerClient;
  lambda: LambdaClient;
  dynamodb: DynamoDBClient;
}

export const DEFAULT_MAX_ATTEMPTS = 5;

/**
 * Builds every client the app uses with the SDK's `standard` retry mode: exponential backoff with jitter on
 * throttling (`RequestLimitExceeded`, `Throttling`), 5xx and transient network errors, bounded by a retry
 * quota, so the adapters themselves never retry.
 *
 * @example const clients = createAwsClients({ region: process.env.AWS_REGION ?? 'us-east-1' });
 */
export function createAwsClients(options: AwsClientOptions): AwsClients {
  const config = {
    region: options.region,
    retryMode: 'standard',
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    ...(options.endpointUrl ? { endpoint: options.endpointUrl } : {}),
  };
  return {
    ec2: new EC2Client(config),
    eventBridge: new EventBridgeClient(config),
    secretsManager: new SecretsManagerClient(config),
    lambda: new LambdaClient(config),
    dynamodb: new DynamoDBClient(config),
  };
}

/**
 * Turns whatever an SDK call threw into an `AwsError` carrying AWS's own code (`error.name` on SDK v3 service
 * exceptions, e.g. `InvalidParameter`) and AWS's own message, so cores and fakes see the same shape.
 * Aborts are passed through untouched: a cancelled call is the caller's decision, not an AWS failure.
 */
export function toAwsError(error: unknown, operation: string): Error {
  if (error instanceof AwsError) return error;
  if (error instanceof Error) {
    if (error.name === 'AbortError') return error;
    const raw = error as Error & { Code?: unknown; code?: unknown; $fault?: unknown };
    const code = [raw.Code, raw.code].find((value) => typeof value === 'string' && value.length > 0);
    const awsCode = typeof code === 'string' ? code : error.name || 'Unknown';
    const message = error.message || `${operation} failed with ${awsCode}`;
    // A service exception says whose fault it was; anything else (a socket error, a timeout) never got an
    // answer from AWS, so it is the network's.
    const fault = raw.$fault === 'client' || raw.$fault === 'server' ? raw.$fault : 'network';
    return new AwsError(awsCode, message, { cause: error, fault });
  }
  return new AwsError('Unknown', `${operation} failed: ${String(error)}`, { cause: error });
}
