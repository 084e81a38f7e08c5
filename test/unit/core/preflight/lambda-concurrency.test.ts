/**
 * `aws.lambda-concurrency`: the account's Lambda concurrency against what the stack runs at once. The port is
 * stubbed (moto has no GetAccountSettings); the adapter's reading of the SDK answer is tested beside it.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { LambdaAccountSettings } from '../../../../functions/adapters/aws/lambda-account.ts';
import { AwsError } from '../../../../functions/core/errors.ts';
import { STACK_PEAK_CONCURRENCY } from '../../../../functions/core/preflight/checks/aws-lambda-concurrency.ts';
import type { LambdaConcurrency, PreflightSettings } from '../../../../functions/core/preflight/ports.ts';
import { preflight } from '../../../../functions/core/preflight/preflight.ts';
import { Ec2Fake } from '../../../../testing/ec2-fake.ts';
import { fakePreflightPorts } from '../../../../testing/preflight-fakes.ts';

async function concurrencyCheck(lambdaConcurrency: LambdaConcurrency | AwsError) {
  const ec2 = Ec2Fake.withDefaultWorld({ region: 'eu-west-1' });
  const ports = fakePreflightPorts({ ec2, tidbUrl: 'http://127.0.0.1:1', lambdaConcurrency });
  const settings: PreflightSettings = {
    region: 'eu-west-1',
    vpcId: ec2.world.vpcId,
    subnetIds: ec2.world.subnetIds,
    envKeys: { publicKey: 'p', privateKey: 'q' },
    eventBus: 'default',
  };
  const report = await preflight(ports, settings, { timeoutMs: 5000 });
  return report.checks.find((check) => check.id === 'aws.lambda-concurrency');
}

describe('aws.lambda-concurrency', () => {
  it("passes a new account's 10 unreserved executions: the stack reserves none", async () => {
    expect(await concurrencyCheck({ limit: 10, unreserved: 10 })).toEqual({
      id: 'aws.lambda-concurrency',
      status: 'pass',
      summary:
        "10 of the account's 10 Lambda concurrent executions are unreserved; the stack reserves none and runs up to 5 at once at its steady peak.",
      evidence: { limit: 10, unreserved: 10, needed: 5 },
    });
  });

  it('passes exactly at the peak and warns one below it, with the quota request', async () => {
    expect(await concurrencyCheck({ limit: 1000, unreserved: STACK_PEAK_CONCURRENCY })).toMatchObject({
      status: 'pass',
    });
    const low = await concurrencyCheck({ limit: 1000, unreserved: STACK_PEAK_CONCURRENCY - 1 });
    expect(low).toMatchObject({
      status: 'warn',
      summary:
        "Only 4 of the account's 1000 Lambda concurrent executions are unreserved in eu-west-1, fewer than the 5 the stack runs at once at its steady peak.",
      evidence: { limit: 1000, unreserved: 4, needed: 5 },
    });
    expect(low?.remediation).toContain(
      'aws service-quotas request-service-quota-increase --service-code lambda --quota-code L-B99A9384 --desired-value 1005 --region eu-west-1',
    );
  });

  it('warns, without failing the preflight, when Lambda cannot be read', async () => {
    const denied = new AwsError(
      'AccessDeniedException',
      'not authorized to perform lambda:GetAccountSettings',
    );
    expect(await concurrencyCheck(denied)).toMatchObject({
      status: 'warn',
      summary:
        "Lambda's account settings could not be read (not authorized to perform lambda:GetAccountSettings): the stack needs 5 concurrent executions at its steady peak.",
    });
  });
});

/** A Lambda client answering GetAccountSettings with `output` (or throwing it), sending nothing. */
function lambdaAnswering(output: object | Error): { client: LambdaClient; commands: string[] } {
  const client = new LambdaClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  });
  const commands: string[] = [];
  client.middlewareStack.add(
    (_next, context) => async () => {
      commands.push(String(context.commandName));
      if (output instanceof Error) throw output;
      return { output: { $metadata: {}, ...output }, response: {} };
    },
    { step: 'initialize', name: 'testStub', priority: 'high' },
  );
  return { client, commands };
}

describe('LambdaAccountSettings', () => {
  it("reads the account's quota and what is unreserved from GetAccountSettings", async () => {
    const { client, commands } = lambdaAnswering({
      AccountLimit: { ConcurrentExecutions: 10, UnreservedConcurrentExecutions: 9, CodeSizeUnzipped: 1 },
    });
    expect(await new LambdaAccountSettings(client).concurrency()).toEqual({ limit: 10, unreserved: 9 });
    expect(commands).toEqual(['GetAccountSettingsCommand']);
  });

  it("turns a denial into an AwsError with AWS's code", async () => {
    const denial = Object.assign(new Error('not authorized'), {
      name: 'AccessDeniedException',
      $fault: 'client',
      $metadata: { httpStatusCode: 403 },
    });
    const error = await new LambdaAccountSettings(lambdaAnswering(denial).client)
      .concurrency()
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(AwsError);
    expect((error as AwsError).awsCode).toBe('AccessDeniedException');
  });

  it('refuses an answer without the figures', async () => {
    await expect(new LambdaAccountSettings(lambdaAnswering({}).client).concurrency()).rejects.toThrow(
      'Lambda GetAccountSettings returned no concurrency figures',
    );
  });
});
