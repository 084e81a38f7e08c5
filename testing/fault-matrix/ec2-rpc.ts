/**
 * Serves an `Ec2Port` (the in-memory fake, decorated) to a child process over loopback HTTP, so a CLI run
 * that is SIGKILLed and started again keeps talking to the same EC2 world. One JSON POST per port call;
 * `AwsError`s cross with their code and message, so the core in the child sees what it would see in-process.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsError } from '../../functions/core/errors.ts';
import type { ProvisioningEc2Port } from '../../functions/core/ports.ts';

/** Which child process sent a call (the harness kills by it). */
export const RUN_HEADER = 'x-fault-run';

interface Call {
  method: string;
  args: unknown[];
}

type Answer = { ok: true; value: unknown } | { ok: false; awsCode?: string; name: string; message: string };

export interface Ec2Server {
  url: string;
  close(): Promise<void>;
}

/**
 * @param afterCall runs once the call settled, before the answer is sent; `'drop'` destroys the socket
 * (the harness has just killed the caller).
 */
export async function serveEc2(
  port: object,
  afterCall: (method: string, runId: string) => 'drop' | undefined,
): Promise<Ec2Server> {
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const call = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Call;
      const answer = await settle(port, call);
      if (afterCall(call.method, String(request.headers[RUN_HEADER] ?? '')) === 'drop') {
        request.socket.destroy();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: tcpPort } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${tcpPort}/`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function settle(port: object, call: Call): Promise<Answer> {
  const method: unknown = Reflect.get(port, call.method);
  if (typeof method !== 'function') return { ok: false, name: 'TypeError', message: `no ${call.method}` };
  try {
    // JSON turned the caller's `undefined` (a default parameter) into null: turn it back.
    const args = call.args.map((arg) => (arg === null ? undefined : arg));
    return { ok: true, value: await Reflect.apply(method, port, args) };
  } catch (error) {
    if (error instanceof AwsError) {
      return { ok: false, awsCode: error.awsCode, name: error.name, message: error.message };
    }
    const { name, message } = error instanceof Error ? error : new Error(String(error));
    return { ok: false, name, message };
  }
}

/** The child's side: every port method becomes a POST to `url`; `CallOptions` stay local. */
export function remoteEc2(url: string, runId: string): ProvisioningEc2Port {
  const call = async (method: string, args: unknown[]): Promise<unknown> => {
    const signal = args.find(isCallOptions)?.signal;
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [RUN_HEADER]: runId },
      body: JSON.stringify({ method, args: args.map((arg) => (isCallOptions(arg) ? undefined : arg)) }),
      ...(signal ? { signal } : {}),
    });
    const answer = (await response.json()) as Answer;
    if (answer.ok) return answer.value;
    if (answer.awsCode !== undefined) throw new AwsError(answer.awsCode, answer.message);
    throw Object.assign(new Error(answer.message), { name: answer.name });
  };
  return new Proxy({} as ProvisioningEc2Port, {
    get:
      (_, property) =>
      (...args: unknown[]) =>
        call(String(property), args),
  });
}

function isCallOptions(arg: unknown): arg is { signal?: AbortSignal } {
  return typeof arg === 'object' && arg !== null && 'signal' in arg;
}
