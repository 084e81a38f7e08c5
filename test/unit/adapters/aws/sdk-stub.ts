/**
 * Answers SDK v3 commands in-process: a middleware at the top of the client's stack records each command's
 * input and returns the stubbed output (or throws), so no request is built or sent. For tests about what the
 * adapters send and how they read answers; behaviour over HTTP is covered by test/sandbox/ against moto.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { Ec2Adapter } from '../../../../functions/adapters/aws/ec2.ts';

export interface RecordedCall {
  command: string;
  input: Record<string, unknown>;
}

type Responder = (call: RecordedCall) => unknown;

export function stubClient(
  client: EC2Client | EventBridgeClient | ServiceQuotasClient,
  respond: Responder,
): RecordedCall[] {
  const calls: RecordedCall[] = [];
  const middleware =
    (_next: unknown, context: { commandName?: string }) =>
    async (args: { input: object }): Promise<{ output: { $metadata: object }; response: unknown }> => {
      // Paginators mutate their input object between pages: record a copy.
      const call = {
        command: String(context.commandName),
        input: structuredClone(args.input) as Record<string, unknown>,
      };
      calls.push(call);
      const output = respond(call);
      return { output: { $metadata: {}, ...(output as object) }, response: {} };
    };
  const options = { step: 'initialize', name: 'testStub', priority: 'high' } as const;
  // One branch per client because each client's stack is typed with its own service's inputs and outputs.
  if (client instanceof EC2Client) client.middlewareStack.add(middleware, options);
  else if (client instanceof ServiceQuotasClient) client.middlewareStack.add(middleware, options);
  else client.middlewareStack.add(middleware, options);
  return calls;
}

/** An error shaped like the SDK's service exceptions: `name` is AWS's error code. */
export function serviceError(code: string, message: string): Error {
  return Object.assign(new Error(message), {
    name: code,
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });
}

/** The EC2 adapter over a client whose commands `respond` answers, and the commands it sent. */
export function stubbedEc2Adapter(respond: Responder): { ec2: Ec2Adapter; calls: RecordedCall[] } {
  const client = new EC2Client({
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
  const calls = stubClient(client, respond);
  return { ec2: new Ec2Adapter(client), calls };
}
