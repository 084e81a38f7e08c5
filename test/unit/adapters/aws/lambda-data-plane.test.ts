import { LambdaClient } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { LambdaDataPlane } from '../../../../functions/adapters/aws/lambda-data-plane.ts';
import { AwsError } from '../../../../functions/core/errors.ts';

/** A Lambda client whose Invoke returns `payload` without sending anything. */
function lambdaAnswering(payload: unknown): LambdaClient {
  const client = new LambdaClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  });
  client.middlewareStack.add(
    () => async () => ({
      output: { $metadata: {}, StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify(payload)) },
      response: {},
    }),
    { step: 'initialize', name: 'testStub', priority: 'high' },
  );
  return client;
}

const INPUT = { host: 'db.example.com', port: 4000, expectedAddresses: ['10.0.1.5'], timeoutMs: 1000 };

describe('LambdaDataPlane', () => {
  it("turns the data-plane function's rejection into an AwsError carrying its reason", async () => {
    const reason = 'Invalid data-plane input: port must be 1–65535.';
    const dataPlane = new LambdaDataPlane(lambdaAnswering({ rejected: true, reason }), 'data-plane');
    const error = await dataPlane.probe(INPUT).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(AwsError);
    expect((error as AwsError).awsCode).toBe('DataPlaneRejected');
    expect((error as AwsError).message).toBe(
      `The data-plane function data-plane rejected its input: ${reason}`,
    );
  });

  it('passes a probe result through', async () => {
    const result = { dns: { status: 'answered', addresses: ['10.0.1.5'] }, tcp: [] };
    await expect(new LambdaDataPlane(lambdaAnswering(result), 'data-plane').probe(INPUT)).resolves.toEqual(
      result,
    );
  });
});
