/** A bare TCP connect with a deadline: tells a dropped packet (timeout) from a closed port (refused). */
import { connect } from 'node:net';
import type { TcpOutcome } from '../../core/diagnose/ports.ts';

export interface TcpProber {
  connect(address: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<TcpOutcome>;
}

const elapsed = (started: number) => Math.round((performance.now() - started) * 10) / 10;

/** Connects to an IP address (never a name: `net.connect` would resolve it with `dns.lookup`). */
export function probeTcp(
  address: string,
  port: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<TcpOutcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    const finish = (outcome: Omit<TcpOutcome, 'address' | 'port' | 'latencyMs'>) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve({ address, port, latencyMs: elapsed(started), ...outcome });
    };
    const onAbort = () => finish({ status: 'timeout' });
    const timer = setTimeout(onAbort, timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish({ status: 'connected' }));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      finish({ status: error.code === 'ECONNREFUSED' ? 'refused' : 'error', code: error.code ?? 'UNKNOWN' }),
    );
  });
}

export const netTcpProber: TcpProber = { connect: probeTcp };
