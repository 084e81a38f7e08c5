/**
 * The SDK's AssumeRole provider, in a module of its own so it (and the STS client it loads) is imported on
 * a spoke's first call only (spoke-credentials.ts).
 */
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity } from '@smithy/types';
import { type AwsClientOptions, clientConfig } from './clients.ts';

/**
 * STS AssumeRole of `role` (spoke-credentials.ts's `SpokeRole`, spelt out here so the lazy import is the
 * only edge between the two modules), signed by the hub's own credentials (the default chain).
 */
export function stsAssumeRole(
  role: { roleArn: string; externalId?: string; sessionName: string },
  aws: AwsClientOptions,
): () => Promise<AwsCredentialIdentity> {
  return fromTemporaryCredentials({
    params: {
      RoleArn: role.roleArn,
      RoleSessionName: role.sessionName,
      ...(role.externalId ? { ExternalId: role.externalId } : {}),
    },
    clientConfig: clientConfig(aws),
  });
}
