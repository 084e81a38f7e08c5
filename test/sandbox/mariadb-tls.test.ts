/**
 * The diagnose data plane against a real TLS-only MySQL-protocol server: MariaDB with a throwaway CA and
 * `--require-secure-transport=ON` (scripts/sandbox/mariadb.ts). mysql2's own test server has no TLS, so this
 * is where the login path (CA verification, TLS, real authentication errors) is proven.
 *
 * MariaDB missing is a failure, not a skip: CI installs it with scripts/sandbox/install.sh.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoginInput, login, readGreeting } from '../../functions/adapters/dataplane/handshake.ts';
import { LocalDataPlane } from '../../functions/adapters/dataplane/local-data-plane.ts';
import { namesTidb } from '../../functions/core/diagnose/checks/tidb-handshake.ts';
import type { DbCredentials } from '../../functions/core/diagnose/ports.ts';
import { type MariaDbServer, startMariaDb } from '../../scripts/sandbox/mariadb.ts';
import { closeAll, startDns } from '../../testing/local-servers.ts';

let db: MariaDbServer;
let startMs: number;

beforeAll(async () => {
  const started = performance.now();
  db = await startMariaDb();
  startMs = Math.round(performance.now() - started);
  if (process.env.SANDBOX_VERBOSE) {
    process.stderr.write(`MariaDB ${db.serverVersion} ready on port ${db.port} in ${startMs} ms\n`);
  }
});

afterAll(async () => {
  await closeAll();
  await db?.stop();
});

function loginInput(credentials: Partial<DbCredentials>, host = '127.0.0.1'): LoginInput {
  return {
    address: db.host,
    port: db.port,
    host,
    credentials: { user: db.user, password: db.password, ...credentials },
    timeoutMs: 10_000,
  };
}

describe('login over TLS against MariaDB', () => {
  it('verifies the server with the CA, logs in and times SELECT 1', async () => {
    const outcome = await login(loginInput({ ca: db.caPem }));

    expect(outcome).toMatchObject({ status: 'ok', tls: true });
    expect(outcome.queryMs).toBeGreaterThanOrEqual(0);
    expect(outcome.message).toBeUndefined();
  });

  it('logs in when the host is the name the certificate carries (localhost)', async () => {
    const outcome = await login(loginInput({ ca: db.caPem }, 'localhost'));

    expect(outcome).toMatchObject({ status: 'ok', tls: true });
  });

  it("reports a wrong password with MariaDB's own message", async () => {
    const outcome = await login(loginInput({ ca: db.caPem, password: `${db.password}-wrong` }));

    expect(outcome.status).toBe('failed');
    expect(outcome.tls).toBe(true);
    expect(outcome.message).toMatch(/^Access denied for user 'probe'@'127\.0\.0\.1' \(using password: YES\)/);
  });

  it('fails TLS verification without the CA: the chain ends in a self-signed root the system does not trust', async () => {
    const outcome = await login(loginInput({}));

    expect(outcome.status).toBe('failed');
    expect(outcome.tls).toBe(true);
    expect(outcome.message).toMatch(/self[- ]signed certificate in certificate chain/i);
  });

  it('fails TLS verification with a CA that did not sign the server certificate', async () => {
    // A second sandbox brings its own, unrelated CA.
    const other = await startMariaDb();
    try {
      const outcome = await login(loginInput({ ca: other.caPem }));

      expect(outcome.status).toBe('failed');
      expect(outcome.message).toMatch(/self[- ]signed certificate in certificate chain/i);
    } finally {
      await other.stop();
    }
  });

  it('is refused without TLS: the server requires secure transport, so the TLS logins above really used TLS', async () => {
    const outcome = await login(loginInput({ tls: false }));

    expect(outcome).toMatchObject({ status: 'failed', tls: false });
    expect(outcome.message).toMatch(/Access denied|secure transport/i);
  });

  // login passes `ssl.verifyIdentity: true`: a certificate that chains to the CA but names another host fails.
  it('rejects a certificate that does not name the host (hostname verification)', async () => {
    const outcome = await login(loginInput({ ca: db.caPem }, 'privatelink-1.clusters.example.invalid'));

    expect(outcome.status).toBe('failed');
  });
});

describe('the MariaDB greeting and a full local data-plane probe', () => {
  it('reads a greeting whose version names MariaDB, not TiDB', async () => {
    const greeting = await readGreeting(db.host, db.port, 5_000);

    expect(greeting.status).toBe('greeting');
    expect(greeting.address).toBe('127.0.0.1');
    expect(greeting.serverVersion).toMatch(/-MariaDB/);
    expect(greeting.serverVersion).not.toMatch(/tidb/i);
    // The tidb.handshake check's own test: it would flag this server as "not TiDB".
    expect(namesTidb(greeting.serverVersion)).toBe(false);
  });

  it('probes DNS, TCP, the greeting and a TLS login in one pass', async () => {
    // The name resolves, through a resolver on loopback, to the server's address: the endpoint's "ENI".
    const dnsServer = await startDns({ localhost: { a: ['127.0.0.1'] } });

    const result = await new LocalDataPlane().probe({
      host: 'localhost',
      port: db.port,
      expectedAddresses: ['127.0.0.1'],
      timeoutMs: 10_000,
      dnsServer,
      credentials: { user: db.user, password: db.password, ca: db.caPem },
    });

    expect(result.dns).toMatchObject({ status: 'answered', addresses: ['127.0.0.1'], server: dnsServer });
    expect(result.tcp).toEqual([expect.objectContaining({ address: '127.0.0.1', status: 'connected' })]);
    expect(result.handshake).toMatchObject({ address: '127.0.0.1', status: 'greeting' });
    expect(result.handshake?.serverVersion).toMatch(/-MariaDB/);
    expect(namesTidb(result.handshake?.serverVersion)).toBe(false);
    expect(result.handshake?.login).toMatchObject({ status: 'ok', tls: true });
    expect(result.handshake?.login?.queryMs).toBeGreaterThanOrEqual(0);
  });

  it('reports a failed login in the probe when the password is wrong', async () => {
    const dnsServer = await startDns({ localhost: { a: ['127.0.0.1'] } });

    const result = await new LocalDataPlane().probe({
      host: 'localhost',
      port: db.port,
      expectedAddresses: ['127.0.0.1'],
      timeoutMs: 10_000,
      dnsServer,
      credentials: { user: db.user, password: 'not-the-password', ca: db.caPem },
    });

    expect(result.handshake?.status).toBe('greeting');
    expect(result.handshake?.login).toMatchObject({ status: 'failed', tls: true });
    expect(result.handshake?.login?.message).toMatch(/Access denied for user 'probe'/);
  });
});

describe('the sandbox server itself', () => {
  it('starts within a few seconds and reports its version', () => {
    expect(db.serverVersion).toMatch(/MariaDB/);
    // ~1 s on the reference machine; generous for a loaded CI box.
    expect(startMs).toBeLessThan(20_000);
  });

  it('leaves nothing running after stop()', async () => {
    const extra = await startMariaDb();
    const { pid, port } = extra;
    expect(isAlive(pid)).toBe(true);

    await extra.stop();
    await extra.stop();

    expect(isAlive(pid)).toBe(false);
    const greeting = await readGreeting('127.0.0.1', port, 2_000);
    expect(greeting.status).toBe('error');
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
