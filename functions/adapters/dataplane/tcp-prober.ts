/** A bare TCP connect with a deadline: tells a dropped packet (timeout) from a closed port (refused). */
import type { TcpOutcome } from '../../core/diagnose/ports.ts';
import { elapsedMs, settleOnSocket } from './socket-deadline.ts';

export interface TcpProber {
  connect(address: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<TcpOutcome>;
}

/** Tells a dropped packet (timeout) from a closed port (refused). */
export async function probeTcp(
  address: string,
  port: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<TcpOutcome> {
  const started = performance.now();
  const outcome = await settleOnSocket<Omit<TcpOutcome, 'address' | 'port' | 'latencyMs'>>(
    { address, port, timeoutMs, signal },
    { status: 'timeout' },
    (socket, settle) => {
      socket.once('connect', () => settle({ status: 'connected' }));
      socket.once('error', (error: NodeJS.ErrnoException) =>
        settle({
          status: error.code === 'ECONNREFUSED' ? 'refused' : 'error',
          code: error.code ?? 'UNKNOWN',
        }),
      );
    },
  );
  return { address, port, latencyMs: elapsedMs(started), ...outcome };
}

export const netTcpProber: TcpProber = { connect: probeTcp };
