/**
 * A throwaway MariaDB that only speaks TLS, for the data plane's real login test: a fresh CA and server
 * certificate (SAN `IP:127.0.0.1`, `DNS:localhost`), a fresh data directory under `<project>/.tmp/`, `mariadbd`
 * on 127.0.0.1 and a free port with `--require-secure-transport=ON`, and a password user created over the
 * server's unix socket. About 1 s from nothing to ready (install-db ~0.7 s, server ~0.15 s).
 *
 * Used by test/sandbox/mariadb-tls.test.ts, and by hand: `npx tsx scripts/sandbox/mariadb.ts` prints how to
 * connect and runs until Ctrl-C. MariaDB comes from Debian (`bash scripts/sandbox/install.sh`).
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freePort, once } from './util.ts';

export interface MariaDbServer {
  /** Always `127.0.0.1`: the server binds nothing else. */
  host: string;
  port: number;
  /** PEM of the throwaway CA that signed the server certificate: give it to clients as `ca`. */
  caPem: string;
  /** The same CA as a file, for the `mariadb` client (`--ssl-ca`). */
  caFile: string;
  /** A password user (`'probe'@'%'`, USAGE only) that can log in over TLS. */
  user: string;
  password: string;
  /** `SELECT VERSION()`, e.g. `10.11.18-MariaDB-0+deb12u1`. */
  serverVersion: string;
  /** The `mariadbd` process. */
  pid: number;
  /** Stops the server, waits until it is gone and deletes its files. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartMariaDbOptions {
  /** Listen here instead of on a free port (then no retry on another port when it is taken). */
  port?: number;
  /** Give up when the server is not ready within this time (default 30 s). */
  readyTimeoutMs?: number;
  /** Receives the server's log lines; silent by default. */
  log?: (line: string) => void;
  /** Keep the temp folder after `stop()` (certificates, data directory), for debugging. */
  keepFiles?: boolean;
}

/** Thrown when MariaDB or openssl is not installed; the message says how to install them. */
export class MariaDbUnavailableError extends Error {
  override name = 'MariaDbUnavailableError';
}

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const USER = 'probe';
/** Where Debian puts the binaries; /usr/sbin is not on a non-root PATH. */
const EXTRA_PATH = ['/usr/sbin', '/usr/local/sbin', '/usr/bin', '/sbin', '/bin'];
/** sockaddr_un.sun_path is 108 bytes on Linux, including the NUL. */
const MAX_SOCKET_PATH = 100;
/**
 * Small and quiet: a test server needs a few MB, no native AIO (io_uring/libaio are often blocked in
 * containers), and no name resolution (a reverse lookup per connection could query a resolver off loopback).
 */
const SERVER_TUNING = [
  '--skip-name-resolve',
  '--innodb-buffer-pool-size=16M',
  '--innodb-log-file-size=8M',
  '--innodb-use-native-aio=OFF',
];
/**
 * Runs the server with stdin as a lifeline, like the moto guard: when this Node process dies however it dies
 * (SIGKILL, OOM) the pipe reaches EOF and the server is terminated instead of lingering on its port. Prints
 * the server's pid first; the server's own stdout goes to stderr, so stdout carries only that line.
 */
const GUARD = [
  'exec 3<&0',
  '"$@" 3<&- </dev/null 1>&2 &',
  'server=$!',
  'echo "pid $server"',
  '{ while read -r -u 3 _; do :; done; kill -TERM "$server" 2>/dev/null; } </dev/null &',
  'guard=$!',
  'wait "$server"',
  'code=$?',
  'kill "$guard" 2>/dev/null',
  'exit "$code"',
].join('\n');

/**
 * Starts MariaDB with TLS required and resolves once a TLS client can log in as the returned user.
 *
 * @example const db = await startMariaDb(); await login({ ..., credentials: { user: db.user, password: db.password, ca: db.caPem } }); await db.stop();
 */
export async function startMariaDb(options: StartMariaDbOptions = {}): Promise<MariaDbServer> {
  const bin = {
    mariadbd: findBinary('mariadbd'),
    installDb: findBinary('mariadb-install-db'),
    client: findBinary('mariadb'),
    openssl: findBinary('openssl'),
    bash: findBinary('bash'),
  };
  const missing = Object.entries(bin).filter(([, path]) => !path);
  if (missing.length > 0) {
    const names = missing.map(([name]) => binaryName(name)).join(', ');
    throw new MariaDbUnavailableError(
      `${names} not found (looked in PATH and ${EXTRA_PATH.join(', ')}): the MariaDB TLS tests need ` +
        'mariadb-server; install it with `bash scripts/sandbox/install.sh` (as root)',
    );
  }
  const paths = bin as Record<keyof typeof bin, string>;

  await mkdir(join(PROJECT_ROOT, '.tmp'), { recursive: true });
  const dir = await mkdtemp(join(PROJECT_ROOT, '.tmp', 'mariadb-'));
  // A deep checkout can push the socket path past the kernel's limit: fall back to the system temp dir.
  let socketDir: string | undefined;
  if (join(dir, 'mysqld.sock').length > MAX_SOCKET_PATH) {
    socketDir = await mkdtemp(join(tmpdir(), 'tp-mariadb-'));
  }
  const socket = join(socketDir ?? dir, 'mysqld.sock');
  const removeFiles = async () => {
    if (options.keepFiles) return;
    await rm(dir, { recursive: true, force: true });
    if (socketDir) await rm(socketDir, { recursive: true, force: true });
  };

  try {
    const dataDir = join(dir, 'data');
    const [tls] = await Promise.all([
      makeCertificates(paths.openssl, dir),
      run(paths.installDb, [
        '--no-defaults',
        `--datadir=${dataDir}`,
        '--user=root',
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        // Passed through to the bootstrap server.
        ...SERVER_TUNING,
      ]),
    ]);
    const serverArgs = (port: number) => [
      '--no-defaults',
      '--user=root',
      `--datadir=${dataDir}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${socket}`,
      `--pid-file=${join(dir, 'mysqld.pid')}`,
      `--ssl-ca=${tls.caFile}`,
      `--ssl-cert=${tls.certFile}`,
      `--ssl-key=${tls.keyFile}`,
      '--require-secure-transport=ON',
      '--performance-schema=OFF',
      ...SERVER_TUNING,
    ];

    // Another process can take the port between our probe and the server's bind: try a few before giving up.
    const attempts = options.port === undefined ? 3 : 1;
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt += 1) {
      const port = options.port ?? (await freePort());
      let server: Running | undefined;
      try {
        server = await launch(paths, serverArgs(port), options);
        const password = randomBytes(12).toString('hex');
        // The unix socket counts as secure transport, and root has no password there (install-db "normal").
        const output = await run(paths.client, [
          '--no-defaults',
          '--protocol=SOCKET',
          `--socket=${socket}`,
          '--user=root',
          '--batch',
          '--skip-column-names',
          '--execute',
          `CREATE USER '${USER}'@'%' IDENTIFIED BY '${password}'; GRANT USAGE ON *.* TO '${USER}'@'%'; ` +
            'SELECT VERSION();',
        ]);
        const running = server;
        const stop = once(async () => {
          await running.stop();
          await removeFiles();
        });
        return {
          host: '127.0.0.1',
          port,
          caPem: tls.caPem,
          caFile: tls.caFile,
          user: USER,
          password,
          serverVersion: output.trim().split('\n').pop() ?? '',
          pid: running.pid,
          stop,
        };
      } catch (error) {
        lastError = error;
        await server?.stop();
        if (!(error instanceof PortInUseError)) break;
      }
    }
    throw lastError;
  } catch (error) {
    await removeFiles();
    throw error;
  }
}

class PortInUseError extends Error {}

interface Running {
  pid: number;
  stop(): Promise<void>;
}

async function launch(
  bin: { bash: string; mariadbd: string },
  args: string[],
  options: StartMariaDbOptions,
): Promise<Running> {
  const child = spawn(bin.bash, ['-c', GUARD, 'tidb-privatelink-mariadb', bin.mariadbd, ...args], {
    env: { PATH: searchPath().join(delimiter), LANG: 'C' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolveExit) => {
    child.once('exit', (code) => resolveExit(code));
  });
  // spawn reports a failure to start as 'error', not 'exit'.
  const spawnFailed = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(error));
  });
  spawnFailed.catch(() => undefined);

  const tail: string[] = [];
  let ready: () => void = () => undefined;
  const isReady = new Promise<void>((resolveReady) => {
    ready = resolveReady;
  });
  let serverPid: number | undefined;
  let gotPid: (pid: number) => void = () => undefined;
  const pidKnown = new Promise<number>((resolvePid) => {
    gotPid = resolvePid;
  });
  lines(child.stdout, (line) => {
    const match = /^pid (\d+)$/.exec(line);
    if (match && serverPid === undefined) {
      serverPid = Number(match[1]);
      gotPid(serverPid);
    }
  });
  lines(child.stderr, (line) => {
    tail.push(line);
    if (tail.length > 30) tail.shift();
    options.log?.(line);
    if (/\bready for connections\b/.test(line)) ready();
  });

  const stop = once(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      // Graceful first (~50 ms for an idle server); a server that hangs is killed.
      const pid = serverPid;
      signal(pid, 'SIGTERM');
      const killTimer = setTimeout(() => {
        signal(pid, 'SIGKILL');
        child.kill('SIGKILL');
      }, 10_000);
      await exited;
      clearTimeout(killTimer);
    }
    // Lets the guard's read loop end if it is still around.
    child.stdin?.end();
  });

  const timeoutMs = options.readyTimeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    Promise.all([isReady, pidKnown]).then(() => 'ready' as const),
    exited.then((code) => ({ code })),
    spawnFailed,
    new Promise<'timeout'>((resolveTimeout) => {
      timer = setTimeout(() => resolveTimeout('timeout'), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
  if (outcome === 'ready' && serverPid !== undefined) return { pid: serverPid, stop };

  await stop();
  const log = tail.join('\n');
  const why =
    outcome === 'timeout' ? `not ready within ${timeoutMs} ms` : `mariadbd exited with code ${outcome}`;
  if (/Address already in use|Can't start server: Bind on TCP\/IP port/i.test(log)) {
    throw new PortInUseError(`mariadbd could not bind its port: ${why}\n${log}`);
  }
  throw new Error(`mariadbd did not start: ${why}\n${log}`);
}

interface Certificates {
  caPem: string;
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** A one-day CA and a server certificate it signed, both P-256 (fast to generate, fine for TLS 1.3). */
async function makeCertificates(openssl: string, dir: string): Promise<Certificates> {
  const file = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run(openssl, [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    file('ca-key.pem'),
    '-out',
    file('ca.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=tidb-privatelink sandbox CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await run(openssl, [
    'req',
    '-new',
    ...ec,
    '-keyout',
    file('server-key.pem'),
    '-out',
    file('server.csr'),
    '-subj',
    '/CN=127.0.0.1',
  ]);
  await writeFile(
    file('server.ext'),
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '',
    ].join('\n'),
  );
  await run(openssl, [
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca-key.pem'),
    '-set_serial',
    `0x${randomBytes(8).toString('hex')}`,
    '-days',
    '1',
    '-extfile',
    file('server.ext'),
    '-out',
    file('server.pem'),
  ]);
  return {
    caPem: await readFile(file('ca.pem'), 'utf8'),
    caFile: file('ca.pem'),
    certFile: file('server.pem'),
    keyFile: file('server-key.pem'),
  };
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolveRun, reject) => {
    execFile(
      command,
      args,
      { env: { PATH: searchPath().join(delimiter), LANG: 'C' }, timeout: 60_000, maxBuffer: 4 << 20 },
      (error, stdout, stderr) => {
        if (!error) return resolveRun(stdout);
        const output = `${stderr}\n${stdout}`.trim().split('\n').slice(-15).join('\n');
        reject(
          new Error(`${command} ${args[0] ?? ''} failed: ${error.message}\n${output}`, { cause: error }),
        );
      },
    );
  });
}

function searchPath(): string[] {
  const fromEnv = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  return [...new Set([...fromEnv, ...EXTRA_PATH])];
}

function findBinary(name: string): string | undefined {
  for (const folder of searchPath()) {
    const candidate = join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next folder
    }
  }
  return undefined;
}

function binaryName(key: string): string {
  return { mariadbd: 'mariadbd', installDb: 'mariadb-install-db', client: 'mariadb' }[key] ?? key;
}

function signal(pid: number | undefined, name: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

function lines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  let buffered = '';
  stream?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const line of parts) onLine(line);
  });
}

// `npx tsx scripts/sandbox/mariadb.ts`: a TLS-only MariaDB for manual runs.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const started = Date.now();
  const db = await startMariaDb({ keepFiles: false });
  process.stdout.write(
    `MariaDB ${db.serverVersion} ready in ${Date.now() - started} ms (TLS required)\n` +
      `mariadb --no-defaults -h 127.0.0.1 -P ${db.port} -u ${db.user} -p${db.password} --ssl-ca=${db.caFile} --ssl-verify-server-cert\n`,
  );
  const shutdown = () => {
    void db.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
