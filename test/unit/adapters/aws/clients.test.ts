import { describe, expect, it } from 'vitest';
import { createAwsClients, toAwsError } from '../../../../functions/adapters/aws/clients.ts';
import { createEventBridgeClient } from '../../../../functions/adapters/aws/eventbridge.ts';
import { AwsError } from '../../../../functions/core/errors.ts';

describe('createAwsClients', () => {
  it('builds every client with standard retries and the sandbox endpoint when given', async () => {
    const options = { region: 'us-east-1', endpointUrl: 'http://127.0.0.1:5000' };
    const clients = createAwsClients(options);
    const eventBridge = createEventBridgeClient(options);

    for (const client of [clients.ec2, eventBridge, clients.secretsManager, clients.lambda]) {
      expect(await client.config.region()).toBe('us-east-1');
      expect(await client.config.maxAttempts()).toBe(5);
      const strategy = await client.config.retryStrategy();
      expect('mode' in strategy ? strategy.mode : undefined).toBe('standard');
      const endpoint = await client.config.endpoint?.();
      expect(endpoint?.hostname).toBe('127.0.0.1');
      expect(endpoint?.port).toBe(5000);
      client.destroy();
    }
  });
});

describe('toAwsError', () => {
  it("keeps AWS's code (the SDK exception name) and message, with the cause", () => {
    const sdkError = Object.assign(new Error('Request limit exceeded.'), { name: 'RequestLimitExceeded' });

    const error = toAwsError(sdkError, 'CreateVpcEndpoint');

    expect(error).toBeInstanceOf(AwsError);
    expect(error).toMatchObject({
      awsCode: 'RequestLimitExceeded',
      message: 'Request limit exceeded.',
      cause: sdkError,
    });
  });

  it('leaves AwsError and aborts alone, and wraps non-errors', () => {
    const aws = new AwsError('X', 'x');
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });

    expect(toAwsError(aws, 'Op')).toBe(aws);
    expect(toAwsError(abort, 'Op')).toBe(abort);
    expect(toAwsError('boom', 'Op')).toMatchObject({ awsCode: 'Unknown', message: 'Op failed: boom' });
  });
});
