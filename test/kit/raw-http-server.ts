/**
 * A tiny HTTP server on 127.0.0.1 that answers from a script: any status, headers and body, a body cut off
 * mid-way, a socket destroyed without an answer, or the request's own headers echoed back (as a careless
 * proxy's error page would). The TiDB Cloud simulator only speaks the real API; this one speaks anything.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RawReply {
  status?: number;
  headers?: Record<string, string>;
  /** `{{n}}` becomes the request's number (1, 2, …): an endless run of fresh page tokens, say. */
  body?: string;
  /** Send this many bytes of the body (with the full Content-Length), then destroy the socket. */
  truncateAt?: number;
  /** Destroy the socket without answering. */
  drop?: boolean;
  /** Append every request header, Authorization included, to the body. */
  echoHeaders?: boolean;
}

export interface RawServer {
  /** e.g. `http://127.0.0.1:41234/v1beta1`. */
  url: string;
  /** Requests seen: `GET /v1beta1/clusters?pageSize=100` and the body (EC2's form-encoded `Action=…`). */
  requests: Array<{ line: string; body: string }>;
  close(): Promise<void>;
}

function render(reply: RawReply, request: IncomingMessage, n: number): string {
  const body = (reply.body ?? '').replaceAll('{{n}}', String(n));
  if (!reply.echoHeaders) return body;
  const headers = Object.entries(request.headers).map(([name, value]) => `${name}: ${String(value)}`);
  return `${body}\n${headers.join('\n')}`;
}

/**
 * Answers the n-th request with `replies[n-1]`; the last reply repeats for every later request.
 * @example const server = await startRawServer([{ status: 502, body: '<html>Bad Gateway</html>' }]);
 */
export async function startRawServer(replies: RawReply[]): Promise<RawServer> {
  const requests: RawServer['requests'] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({
        line: `${request.method} ${request.url}`,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const n = requests.length;
      const reply = replies[Math.min(n, replies.length) - 1] ?? {};
      if (reply.drop) {
        response.socket?.destroy();
        return;
      }
      const body = Buffer.from(render(reply, request, n), 'utf8');
      response.writeHead(reply.status ?? 200, {
        'content-type': 'application/json',
        ...reply.headers,
        'content-length': String(body.length),
      });
      if (reply.truncateAt === undefined) {
        response.end(body);
        return;
      }
      response.write(body.subarray(0, reply.truncateAt), () => response.socket?.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1beta1`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
