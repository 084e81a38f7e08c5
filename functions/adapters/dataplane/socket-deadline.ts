/** The socket scaffolding the TCP probe and the greeting read share: one connection, one deadline, one answer. */
import { connect, type Socket } from 'node:net';

/** Milliseconds since `started` (a `performance.now()`), to a tenth. */
export const elapsedMs = (started: number): number => Math.round((performance.now() - started) * 10) / 10;

/**
 * Connects to `address:port` (an IP: `net.connect` would resolve a name with `dns.lookup`) and settles once,
 * with what `listen` passes to `settle`, or with `onTimeout` when the deadline passes or `signal` aborts.
 * Whichever way it ends, the timer and the abort listener are removed and the socket destroyed, so a warm
 * environment keeps neither listeners nor sockets.
 */
export function settleOnSocket<T>(
  target: { address: string; port: number; timeoutMs: number; signal?: AbortSignal | undefined },
  onTimeout: T,
  listen: (socket: Socket, settle: (value: T) => void) => void,
): Promise<T> {
  const { address, port, timeoutMs, signal } = target;
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    const settle = (value: T) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', expire);
      socket.destroy();
      resolve(value);
    };
    const expire = () => settle(onTimeout);
    const timer = setTimeout(expire, timeoutMs);
    signal?.addEventListener('abort', expire, { once: true });
    listen(socket, settle);
  });
}
