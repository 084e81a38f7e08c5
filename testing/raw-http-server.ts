/**
 * A tiny HTTP server on 127.0.0.1 that answers from a script: any status, headers and body, a body cut off
 * mid-way, a socket destroyed without an answer, or the request's own headers echoed back (as a careless
 * proxy's error page would). The TiDB Cloud simulator only speaks the real API; this one speaks anything
 * (it also plays Secrets Manager for the leak test, with an answer per request).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RawReply {
  status?: number;
  headers?: Record<string, string>;
  /**
   * `{{n}}` becomes the request's number (1, 2, …): an endless run of fresh page tokens, say. `{{headers}}`
   * becomes the request's headers, Authorization included, escaped for a JSON string: a proxy's error
   * message that echoes the request.
   */
  body?: string;
  /** Send this many bytes of the body (with the full Content-Length), then destroy the socket. */
  truncateAt?: number;
  /** Destroy the socket without answering. */
  drop?: boolean;
  /** Send the body in 64 KiB chunks without a Content-Length (chunked transfer encoding). */
  chunked?: boolean;
}

export interface RawRequest {
  /** `GET /v1beta1/clusters?pageSize=100`. */
  line: string;
  /** EC2's form-encoded `Action=…`, a JSON body, or "". */
  body: string;
  headers: Record<string, string>;
}

/** A fixed script (the n-th request gets the n-th reply, the last repeats) or an answer per request. */
export type RawScript = RawReply[] | ((request: RawRequest) => RawReply);

export interface RawServer {
  /** e.g. `http://127.0.0.1:41234/v1beta1`. */
  url: string;
  requests: RawRequest[];
  close(): Promise<void>;
}

function render(reply: RawReply, request: RawRequest, n: number): string {
  const headers = Object.entries(request.headers).map(([name, value]) => `${name}: ${value}`);
  return (reply.body ?? '')
    .replaceAll('{{n}}', String(n))
    .replaceAll('{{headers}}', JSON.stringify(headers.join('; ')).slice(1, -1));
}

/**
 * Answers each request from `script`.
 * @example const server = await startRawServer([{ status: 502, body: '<html>Bad Gateway</html>' }]);
 */
export async function startRawServer(script: RawScript): Promise<RawServer> {
  const requests: RawRequest[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const seen: RawRequest = {
        line: `${request.method} ${request.url}`,
        body: Buffer.concat(chunks).toString('utf8'),
        headers: Object.fromEntries(Object.entries(request.headers).map(([name, v]) => [name, String(v)])),
      };
      requests.push(seen);
      const n = requests.length;
      const reply =
        typeof script === 'function' ? script(seen) : (script[Math.min(n, script.length) - 1] ?? {});
      if (reply.drop) {
        response.socket?.destroy();
        return;
      }
      const body = Buffer.from(render(reply, seen, n), 'utf8');
      response.writeHead(reply.status ?? 200, {
        'content-type': 'application/json',
        ...reply.headers,
        ...(reply.chunked ? {} : { 'content-length': String(body.length) }),
      });
      if (reply.chunked) {
        for (let offset = 0; offset < body.length; offset += 65_536)
          response.write(body.subarray(offset, offset + 65_536));
        response.end();
        return;
      }
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
