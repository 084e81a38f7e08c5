/**
 * Several accounts in one moto server: credentials from STS `AssumeRole` act in the role's account (moto keys
 * its state by account and checks no trust policy; MOTO_ACCOUNT_ID is left unset). The sandbox's default keys
 * act in the hub's account (iam-engine's ACCOUNT).
 */
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import type { SandboxConfig } from './moto-world.ts';

const SANDBOX_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** Keys that act in `account`: an administrator's session there (no such role need exist in moto). */
export async function accountCredentials(
  config: SandboxConfig,
  account: string,
  sessionName = 'sandbox-admin',
): Promise<AwsCredentialIdentity> {
  const sts = new STSClient({
    region: config.region,
    endpoint: config.endpointUrl,
    credentials: SANDBOX_CREDENTIALS,
    maxAttempts: 1,
  });
  try {
    const { Credentials: keys } = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${account}:role/sandbox-admin`,
        RoleSessionName: sessionName,
      }),
    );
    if (!keys?.AccessKeyId || !keys.SecretAccessKey) throw new Error('moto returned no credentials');
    const credentials = {
      accessKeyId: keys.AccessKeyId,
      secretAccessKey: keys.SecretAccessKey,
      sessionToken: keys.SessionToken,
    };
    // Refuse keys that would act elsewhere (a moto started with MOTO_ACCOUNT_ID pins every key to one account).
    const asAccount = new STSClient({ region: config.region, endpoint: config.endpointUrl, credentials });
    const identity = await asAccount
      .send(new GetCallerIdentityCommand({}))
      .finally(() => asAccount.destroy());
    if (identity.Account !== account) {
      throw new Error(
        `moto's AssumeRole keys act in ${identity.Account}, not ${account}: is MOTO_ACCOUNT_ID set?`,
      );
    }
    return credentials;
  } finally {
    sts.destroy();
  }
}

/** The configuration of an SDK client on moto acting in `account` (no retries, as the other sandbox clients). */
export async function accountClientConfig(config: SandboxConfig, account: string) {
  return {
    region: config.region,
    endpoint: config.endpointUrl,
    credentials: await accountCredentials(config, account),
    maxAttempts: 1,
  };
}
