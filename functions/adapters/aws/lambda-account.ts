/**
 * `LambdaAccountPort` on Lambda's GetAccountSettings (an operator's read, made by `preflight` with the
 * deployer's credentials; no function of the stack calls it).
 */
import {
  GetAccountSettingsCommand,
  type GetAccountSettingsCommandOutput,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { AwsError } from '../../core/errors.ts';
import type { CallOptions } from '../../core/ports.ts';
import type { LambdaAccountPort, LambdaConcurrency } from '../../core/preflight/ports.ts';
import { toAwsError } from './clients.ts';

export class LambdaAccountSettings implements LambdaAccountPort {
  constructor(private readonly client: LambdaClient) {}

  async concurrency(options?: CallOptions): Promise<LambdaConcurrency> {
    let answer: GetAccountSettingsCommandOutput;
    try {
      answer = await this.client.send(new GetAccountSettingsCommand({}), { abortSignal: options?.signal });
    } catch (error) {
      throw toAwsError(error, 'lambda:GetAccountSettings');
    }
    const limit = answer.AccountLimit?.ConcurrentExecutions;
    const unreserved = answer.AccountLimit?.UnreservedConcurrentExecutions;
    if (typeof limit !== 'number' || typeof unreserved !== 'number') {
      throw new AwsError('NoValue', 'Lambda GetAccountSettings returned no concurrency figures');
    }
    return { limit, unreserved };
  }
}
