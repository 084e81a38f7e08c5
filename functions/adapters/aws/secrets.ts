/** `SecretPort` on Secrets Manager GetSecretValue. The value is returned to the caller, never logged. */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CallOptions } from '../../core/ports.ts';
import type { SecretPort } from '../../core/preflight/ports.ts';
import { toAwsError } from './clients.ts';

export class SecretsManagerSecrets implements SecretPort {
  constructor(private readonly client: SecretsManagerClient) {}

  async secretString(arn: string, options?: CallOptions): Promise<string> {
    let value: string | undefined;
    try {
      const output = await this.client.send(new GetSecretValueCommand({ SecretId: arn }), {
        abortSignal: options?.signal,
      });
      value = output.SecretString;
    } catch (error) {
      throw toAwsError(error, 'GetSecretValue');
    }
    // A binary secret has no string: report it as the wrong shape, not as a crash.
    return value ?? '';
  }
}
