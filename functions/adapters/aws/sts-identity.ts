/** `IdentityPort` on STS GetCallerIdentity: which account and principal the credentials belong to. */
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { CallOptions } from '../../core/ports.ts';
import type { IdentityPort } from '../../core/preflight/ports.ts';
import { toAwsError } from './clients.ts';

export class StsIdentity implements IdentityPort {
  constructor(private readonly client: STSClient) {}

  async callerIdentity(options?: CallOptions): Promise<{ account: string; arn: string }> {
    try {
      const output = await this.client.send(new GetCallerIdentityCommand({}), {
        abortSignal: options?.signal,
      });
      return { account: output.Account ?? '', arn: output.Arn ?? '' };
    } catch (error) {
      throw toAwsError(error, 'GetCallerIdentity');
    }
  }
}
