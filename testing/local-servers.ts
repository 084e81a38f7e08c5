/**
 * Real local servers for the data-plane tests, all on 127.0.0.0/8: a DNS server (dns2), TCP listeners that
 * accept, hold silently, or never complete a connect, and MySQL-protocol servers (mysql2) with chosen greetings.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { Socket as UdpSocket } from 'node:dgram';
import { connect, createServer as createTcpServer, Server, type Socket } from 'node:net';
import { createServer as createDnsServer, Packet } from 'dns2';
import { createServer as createMysqlServer } from 'mysql2';
import { readGreeting } from '../functions/adapters/dataplane/handshake.ts';
import { LocalDataPlane } from '../functions/adapters/dataplane/local-data-plane.ts';
import { probeTcp, type TcpProber } from '../functions/adapters/dataplane/tcp-prober.ts';

const cleanups: Array<() => Promise<void> | void> = [];

export async function closeAll(): Promise<void> {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
}

/** An A answer (addresses), an rcode, or silence (the query is dropped, so the client times out). */
export type DnsRecord = { a: string[] } | { rcode: 'NXDOMAIN' | 'SERVFAIL' } | 'silent';

/**
 * A DNS server on 127.0.0.1; unknown names get NXDOMAIN, AAAA queries an empty NOERROR. Records are a table,
 * or a function asked on every query (a resolver whose answers follow some other state). Returns `ip:port`.
 */
export async function startDns(
  records: Record<string, DnsRecord> | ((name: string) => DnsRecord | undefined),
): Promise<string> {
  const lookup = typeof records === 'function' ? records : (name: string) => records[name];
  const server = createDnsServer({
    udp: true,
    handle: (request, send) => {
      const response = Packet.createResponseFromRequest(request);
      const [question] = request.questions;
      const record = question ? lookup(question.name.toLowerCase()) : undefined;
      if (record === 'silent') return;
      if (!record || 'rcode' in record) {
        response.header.rcode = Packet.RCODE[record ? record.rcode : 'NXDOMAIN'];
      } else if (question?.type === Packet.TYPE.A) {
        for (const address of record.a) {
          response.answers.push({
            name: question.name,
            type: Packet.TYPE.A,
            class: Packet.CLASS.IN,
            ttl: 60,
            address,
          });
        }
      }
      send(response);
    },
  });
  const addresses = await server.listen({ udp: { port: 0, address: '127.0.0.1' } });
  roomForBursts(server);
  cleanups.push(() => server.close());
  return `127.0.0.1:${addresses.udp?.port}`;
}

/**
 * A resolver that does not drop a burst of queries. The kernel's default receive buffer for one UDP socket
 * (net.core.rmem_default, 208 KiB) holds about 250 small datagrams: more queries than that arriving while
 * this process's event loop is busy are dropped and time out. A probe of 1,000 endpoints at once sends
 * more than that; AWS's VPC resolver is not one socket in a busy process. Linux caps it at net.core.rmem_max.
 */
const RESOLVER_RECEIVE_BUFFER = 8 * 1024 * 1024;

function roomForBursts(server: ReturnType<typeof createDnsServer>): void {
  // dns2 types its server without the UDP socket it holds.
  const udp: unknown = Reflect.get(Reflect.get(server, 'servers') ?? {}, 'udp');
  if (!(udp instanceof UdpSocket)) throw new Error('dns2 no longer keeps its UDP socket in servers.udp');
  udp.setRecvBufferSize(RESOLVER_RECEIVE_BUFFER);
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

function track(server: Server): Server {
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return server;
}

/** Starts one server per address, all on the same (free) port, as the endpoint's ENIs would be. */
export async function onSamePort(addresses: string[], make: () => Server): Promise<number> {
  const [first, ...rest] = addresses;
  if (!first) throw new Error('no address');
  const port = await listen(track(make()), first, 0);
  for (const address of rest) await listen(track(make()), address, port);
  return port;
}

/** Accepts connections and never writes: a server that "never sends a greeting". */
export const silentServer = (): Server => createTcpServer(() => {});

/** A MySQL-protocol server greeting with `serverVersion`; logins succeed and every query gets an OK. */
export function mysqlServer(serverVersion: string): Server {
  const server = createMysqlServer((connection) => {
    // The greeting probe hangs up right after the greeting, by design: that is not a server error.
    connection.on('error', () => {});
    connection.serverHandshake({
      protocolVersion: 10,
      serverVersion,
      connectionId: 1,
      statusFlags: 2,
      characterSet: 8,
      // Everything but CLIENT_SSL (0x800): this server cannot do TLS, and says so.
      capabilityFlags: 0xffffff & ~0x800,
      authCallback: (_params: unknown, callback: (error: null) => void) => callback(null),
    });
    connection.on('query', () => connection.writeOk());
  });
  // mysql2's Server wraps a net.Server; its typings hide it, and tests need the real one to pick a port.
  const inner: unknown = Reflect.get(server, '_server');
  if (!(inner instanceof Server)) throw new Error('mysql2 Server no longer wraps a net.Server');
  return inner;
}

/**
 * An address where TCP connects time out: a listener whose process never accepts (its event loop is blocked),
 * so once its backlog is full the kernel drops further SYNs. Nothing else on loopback produces a real
 * connect timeout (a closed port is refused at once).
 */
export async function startBlackhole(host: string): Promise<number> {
  const child: ChildProcess = spawn(process.execPath, [
    '-e',
    `const server = require('node:net').createServer();
     server.listen({ host: '${host}', port: 0, backlog: 1 }, () => {
       process.stdout.write(server.address().port + '\\n', () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0));
     });`,
  ]);
  cleanups.push(() => {
    child.kill('SIGKILL');
  });
  const port = await new Promise<number>((resolve) =>
    child.stdout?.once('data', (data) => resolve(Number(String(data).trim()))),
  );
  const fillers: Socket[] = [];
  cleanups.push(() => {
    for (const socket of fillers) socket.destroy();
  });
  for (let attempt = 0; attempt < 10; attempt += 1) {
    const socket = connect({ host, port });
    fillers.push(socket);
    const connected = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 300);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!connected) return port;
  }
  throw new Error('the listen backlog never filled: cannot produce a connect timeout here');
}

/** Throws for any address outside loopback: tests must never connect anywhere else. */
export function assertLoopback(address: string): void {
  if (!/^127\.\d+\.\d+\.\d+$/.test(address) && address !== '::1') {
    throw new Error(`test tried to connect to ${address}, outside loopback`);
  }
}

/**
 * The real in-process data plane with every connection guarded: an address outside loopback throws, so a
 * wrong DNS answer in a test can never send a packet off the machine.
 */
export function loopbackDataPlane(tcp: TcpProber = { connect: probeTcp }): LocalDataPlane {
  return new LocalDataPlane({
    tcp: {
      connect: (address, port, timeoutMs, signal) => {
        assertLoopback(address);
        return tcp.connect(address, port, timeoutMs, signal);
      },
    },
    greet: (address, port, timeoutMs, signal) => {
      assertLoopback(address);
      return readGreeting(address, port, timeoutMs, signal);
    },
  });
}
