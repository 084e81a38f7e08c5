import { afterEach, describe, expect, it } from 'vitest';
import { resolveHost } from '../../../functions/adapters/dataplane/dns-resolver.ts';
import { login, parseGreeting, readGreeting } from '../../../functions/adapters/dataplane/handshake.ts';
import { LocalDataPlane } from '../../../functions/adapters/dataplane/local-data-plane.ts';
import { probeTcp } from '../../../functions/adapters/dataplane/tcp-prober.ts';
import { UsageError } from '../../../functions/core/errors.ts';
import {
  assertLoopback,
  closeAll,
  mysqlServer,
  onSamePort,
  silentServer,
  startBlackhole,
  startDns,
} from '../../../testing/local-servers.ts';

const HOST = 'privatelink-19341789.ubkypd000000.clusters.tidb-cloud.com';
const ENIS = ['127.0.0.11', '127.0.0.12'];

afterEach(closeAll);

/** A LocalDataPlane that refuses, loudly, to connect outside loopback. */
function guardedDataPlane(connected: string[] = []) {
  return new LocalDataPlane({
    tcp: {
      connect: (address, port, timeoutMs, signal) => {
        assertLoopback(address);
        connected.push(address);
        return probeTcp(address, port, timeoutMs, signal);
      },
    },
    greet: (address, port, timeoutMs, signal) => {
      assertLoopback(address);
      return readGreeting(address, port, timeoutMs, signal);
    },
  });
}

describe('resolveHost', () => {
  it('classifies answers, NXDOMAIN, SERVFAIL and a silent server', async () => {
    const server = await startDns({
      [HOST]: { a: ENIS },
      'broken.example': { rcode: 'SERVFAIL' },
      'silent.example': 'silent',
    });
    const answered = await resolveHost(HOST, { server, timeoutMs: 1000 });
    expect(answered).toMatchObject({ server, status: 'answered', addresses: ENIS });
    expect(await resolveHost('missing.example', { server, timeoutMs: 1000 })).toMatchObject({
      status: 'nxdomain',
      code: 'ENOTFOUND',
    });
    expect(await resolveHost('broken.example', { server, timeoutMs: 1000 })).toMatchObject({
      status: 'servfail',
    });
    const begin = performance.now();
    expect(await resolveHost('silent.example', { server, timeoutMs: 300 })).toMatchObject({
      status: 'timeout',
      addresses: [],
    });
    expect(performance.now() - begin).toBeLessThan(1000);
  });

  it('rejects a resolver that is not an address', async () => {
    await expect(resolveHost(HOST, { server: 'resolver.local', timeoutMs: 100 })).rejects.toBeInstanceOf(
      UsageError,
    );
  });
});

describe('probeTcp', () => {
  it('tells connected, refused and timed out apart', async () => {
    const port = await onSamePort(['127.0.0.11'], silentServer);
    expect(await probeTcp('127.0.0.11', port, 1000)).toMatchObject({ status: 'connected' });
    expect(await probeTcp('127.0.0.13', port, 1000)).toMatchObject({
      status: 'refused',
      code: 'ECONNREFUSED',
    });
    const blackhole = await startBlackhole('127.0.0.14');
    const timedOut = await probeTcp('127.0.0.14', blackhole, 250);
    expect(timedOut.status).toBe('timeout');
    expect(timedOut.latencyMs).toBeGreaterThanOrEqual(240);
  });
});

describe('readGreeting', () => {
  it('reads TiDB’s and MySQL’s server versions without logging in', async () => {
    const tidb = await onSamePort(['127.0.0.11'], () => mysqlServer('8.0.11-TiDB-v7.5.2'));
    const mysql = await onSamePort(['127.0.0.12'], () => mysqlServer('8.0.36'));
    expect(await readGreeting('127.0.0.11', tidb, 1000)).toMatchObject({
      status: 'greeting',
      serverVersion: '8.0.11-TiDB-v7.5.2',
    });
    expect(await readGreeting('127.0.0.12', mysql, 1000)).toMatchObject({
      status: 'greeting',
      serverVersion: '8.0.36',
    });
  });

  it('times out on a server that never greets', async () => {
    const port = await onSamePort(['127.0.0.11'], silentServer);
    expect(await readGreeting('127.0.0.11', port, 200)).toMatchObject({ status: 'timeout' });
  });

  it('parses error packets and rejects what is not MySQL', () => {
    const errorPacket = Buffer.concat([
      Buffer.from([0x17, 0, 0, 0, 0xff, 0x69, 0x04]),
      Buffer.from('Host is blocked'),
    ]);
    errorPacket.writeUIntLE(errorPacket.length - 4, 0, 3);
    expect(parseGreeting(errorPacket)).toEqual({ status: 'error-packet', message: 'Host is blocked' });
    expect(parseGreeting(Buffer.from('HTTP/1.1 400 Bad Request\r\n'))).toEqual({ status: 'not-mysql' });
    expect(parseGreeting(Buffer.from([5, 0, 0]))).toBeUndefined();
  });
});

describe('login', () => {
  it('logs in and times SELECT 1 (without TLS, which mysql2’s test server lacks)', async () => {
    const port = await onSamePort(['127.0.0.11'], () => mysqlServer('8.0.11-TiDB-v7.5.2'));
    const credentials = { user: 'root', password: 'secret', tls: false };
    const outcome = await login({ address: '127.0.0.11', port, host: HOST, credentials, timeoutMs: 2000 });
    expect(outcome).toMatchObject({ status: 'ok', tls: false });
    expect(outcome.queryMs).toBeGreaterThanOrEqual(0);
  });

  it('fails over TLS against a server that does not offer it', async () => {
    const port = await onSamePort(['127.0.0.11'], () => mysqlServer('8.0.11-TiDB-v7.5.2'));
    const outcome = await login({
      address: '127.0.0.11',
      port,
      host: HOST,
      credentials: { user: 'root', password: 'x' },
      timeoutMs: 2000,
    });
    expect(outcome).toMatchObject({
      status: 'failed',
      tls: true,
      message: expect.stringMatching(/secure connection/i),
    });
  });
});

describe('LocalDataPlane', () => {
  it('resolves, connects to every ENI address in parallel, and reads the greeting', async () => {
    const dnsServer = await startDns({ [HOST]: { a: ENIS } });
    const port = await onSamePort(ENIS, () => mysqlServer('8.0.11-TiDB-v7.5.2'));
    const result = await guardedDataPlane().probe({
      host: HOST,
      port,
      expectedAddresses: ENIS,
      timeoutMs: 2000,
      dnsServer,
    });
    expect(result.dns.status).toBe('answered');
    expect(result.tcp.map((r) => [r.address, r.status])).toEqual([
      ['127.0.0.11', 'connected'],
      ['127.0.0.12', 'connected'],
    ]);
    expect(result.handshake).toMatchObject({ status: 'greeting', serverVersion: '8.0.11-TiDB-v7.5.2' });
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it.each([
    ['a public address', ['52.1.2.3']],
    ['a private address that is not an ENI', ['10.0.9.9']],
    ['an ENI and a stranger', ['127.0.0.11', '10.0.9.9']],
  ])('connects nowhere when DNS answers %s', async (_case, answer) => {
    const dnsServer = await startDns({ [HOST]: { a: answer } });
    const connected: string[] = [];
    const result = await guardedDataPlane(connected).probe({
      host: HOST,
      port: 4000,
      expectedAddresses: ENIS,
      timeoutMs: 1000,
      dnsServer,
    });
    expect(result.dns.addresses).toEqual(answer);
    expect(result.tcp).toEqual([]);
    expect(result.handshake).toBeUndefined();
    expect(connected).toEqual([]);
  });

  it('keeps to its budget when TCP connects time out', async () => {
    const blackhole = await startBlackhole('127.0.0.14');
    const dnsServer = await startDns({ [HOST]: { a: ['127.0.0.14'] } });
    const begin = performance.now();
    const result = await guardedDataPlane().probe({
      host: HOST,
      port: blackhole,
      expectedAddresses: ['127.0.0.14'],
      timeoutMs: 400,
      dnsServer,
    });
    // The budget ends the connect: without it a black hole holds it for the kernel's two minutes. The margin
    // is for a loaded machine (this is not a timing benchmark).
    expect(performance.now() - begin).toBeLessThan(400 + 1_000);
    expect(result.tcp).toMatchObject([{ address: '127.0.0.14', status: 'timeout' }]);
  });
});
