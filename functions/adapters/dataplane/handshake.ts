/**
 * The MySQL-protocol side of the probe. Without credentials it reads only the server's initial handshake
 * packet over a raw socket (no login attempt, so no failed-auth noise in TiDB's logs and no credentials
 * needed); with credentials it logs in with mysql2 over TLS and times `SELECT 1`.
 */
import { connect, type Socket } from 'node:net';
import type {
  DbCredentials,
  GreetingStatus,
  HandshakeOutcome,
  LoginOutcome,
} from '../../core/diagnose/ports.ts';
import { elapsedMs, settleOnSocket } from './socket-deadline.ts';

/** A greeting is ~80 bytes; anything claiming to be far larger is not a MySQL server talking. */
const MAX_GREETING = 64 * 1024;
const HEADER = 4;

export interface Greeting {
  status: GreetingStatus;
  serverVersion?: string;
  message?: string;
}

/**
 * Parses the first packet: 3-byte length, sequence id, then either protocol version 10 (9 for very old
 * servers) and a NUL-terminated server version, or an error packet (0xff, code, message).
 */
export function parseGreeting(packet: Buffer): Greeting | undefined {
  if (packet.length < HEADER) return undefined;
  const length = packet.readUIntLE(0, 3);
  if (length === 0 || length > MAX_GREETING) return { status: 'not-mysql' };
  if (packet.length < HEADER + length) return undefined;
  const payload = packet.subarray(HEADER, HEADER + length);
  const kind = payload[0];
  if (kind === 0xff) {
    // Before the handshake there is no SQL state marker; accept one anyway.
    const text = payload.subarray(3).toString('utf8');
    return { status: 'error-packet', message: text.startsWith('#') ? text.slice(6) : text };
  }
  const end = payload.indexOf(0, 1);
  if ((kind !== 10 && kind !== 9) || end < 0) return { status: 'not-mysql' };
  return { status: 'greeting', serverVersion: payload.subarray(1, end).toString('utf8') };
}

/** Connects to `address` (an IP) and reads the greeting, within `timeoutMs`. */
export async function readGreeting(
  address: string,
  port: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<HandshakeOutcome> {
  const started = performance.now();
  const greeting = await settleOnSocket<Greeting>(
    { address, port, timeoutMs, signal },
    { status: 'timeout' },
    (socket, settle) => {
      let received = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        const parsed = parseGreeting(received);
        if (parsed) settle(parsed);
      });
      socket.once('end', () => settle({ status: 'closed' }));
      socket.once('error', (error: NodeJS.ErrnoException) =>
        settle({ status: 'error', message: error.code ?? error.message }),
      );
    },
  );
  return { address, latencyMs: elapsedMs(started), ...greeting };
}

export interface LoginInput {
  address: string;
  port: number;
  /** The DNS name: TLS verifies the certificate against it while the socket goes to `address`. */
  host: string;
  credentials: DbCredentials;
  timeoutMs: number;
  signal?: AbortSignal;
}

function withDeadline<T>(
  work: Promise<T>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  onTimeout: () => void,
) {
  return new Promise<T | 'timeout'>((resolve, reject) => {
    const expire = () => {
      onTimeout();
      resolve('timeout');
    };
    const timer = setTimeout(expire, timeoutMs);
    signal?.addEventListener('abort', expire, { once: true });
    work.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', expire);
    });
  });
}

async function connectAndQuery(input: LoginInput, socket: Socket): Promise<number> {
  const { credentials } = input;
  const tls = credentials.tls ?? true;
  // mysql2 connects to the given stream, so the connection goes to the ENI address, never via dns.lookup;
  // `host` only names the server for TLS verification.
  // Loaded on the first login only: mysql2 (with iconv-lite and its CA bundle) is most of the data plane's
  // bundle, and a probe without TIDB_SQL_SECRET_ARN never logs in, so it stays out of the cold start.
  const { createConnection } = await import('mysql2/promise');
  const connection = await createConnection({
    stream: socket,
    host: input.host,
    port: input.port,
    user: credentials.user,
    password: credentials.password,
    // verifyIdentity: the certificate must name `host`, not just chain to a trusted CA.
    ...(tls
      ? {
          ssl: {
            rejectUnauthorized: true,
            verifyIdentity: true,
            ...(credentials.ca ? { ca: credentials.ca } : {}),
          },
        }
      : {}),
  });
  try {
    const started = performance.now();
    await connection.query('SELECT 1');
    return elapsedMs(started);
  } finally {
    connection.destroy();
  }
}

/** Logs in (over TLS unless `credentials.tls` is false) and times `SELECT 1`. */
export async function login(input: LoginInput): Promise<LoginOutcome> {
  const tls = input.credentials.tls ?? true;
  const socket = connect({ host: input.address, port: input.port });
  try {
    const result = await withDeadline(connectAndQuery(input, socket), input.timeoutMs, input.signal, () =>
      socket.destroy(),
    );
    return result === 'timeout' ? { status: 'timeout', tls } : { status: 'ok', tls, queryMs: result };
  } catch (error) {
    return { status: 'failed', tls, message: error instanceof Error ? error.message : String(error) };
  } finally {
    socket.destroy();
  }
}
