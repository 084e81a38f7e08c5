/**
 * Starts the local AWS sandbox: a moto server (installed by `scripts/sandbox/install.sh` under
 * `.tmp/sandbox/`) on 127.0.0.1 and a free port. Used by the `sandbox` vitest project's globalSetup, and by
 * hand: `npx tsx scripts/sandbox/moto.ts` prints the endpoint and runs until Ctrl-C.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freePort, once } from './util.ts';

export interface MotoServer {
  /** `http://127.0.0.1:<port>`: give it to the SDK as `endpoint` or `AWS_ENDPOINT_URL`. */
  endpointUrl: string;
  port: number;
  pid: number;
  /** Terminates the server and waits until the process is gone. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartMotoOptions {
  /** Where install.sh put moto (default `<project>/.tmp/sandbox`, or `SANDBOX_DIR`). */
  sandboxDir?: string;
  /** Give up when the server does not answer within this time (default 30 s; a cold start takes ~1–2 s). */
  readyTimeoutMs?: number;
  /** Receives moto's request log; silent by default because it logs every request. */
  log?: (line: string) => void;
}

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// The system interpreter on purpose: the Debian python3-* packages moto needs are installed for it, not for
// any pyenv/venv python that may come first on PATH.
const PYTHON = '/usr/bin/python3';
// `python -m moto.server`, plus a thread that exits when stdin reaches EOF: if the test runner is killed
// (SIGKILL, OOM, Ctrl-C twice) before its teardown runs, moto goes with it instead of lingering on a port.
const ORPHAN_GUARD = [
  'import os, sys, threading',
  'threading.Thread(target=lambda: (sys.stdin.buffer.read(), os._exit(0)), daemon=True).start()',
  'from moto.server import main',
  'main(sys.argv[1:])',
].join('\n');

/**
 * Starts moto and resolves once it answers HTTP.
 *
 * @example const moto = await startMoto(); process.env.AWS_ENDPOINT_URL = moto.endpointUrl; await moto.stop();
 */
export async function startMoto(options: StartMotoOptions = {}): Promise<MotoServer> {
  const sandboxDir = options.sandboxDir ?? process.env.SANDBOX_DIR ?? join(PROJECT_ROOT, '.tmp/sandbox');
  const sitePackages = join(sandboxDir, 'moto/usr/lib/python3/dist-packages');
  if (!existsSync(join(sitePackages, 'moto/server.py'))) {
    throw new Error(
      `moto is not installed in ${sandboxDir}: run \`bash scripts/sandbox/install.sh\` as root first`,
    );
  }
  // Another process can take the port between our probe and moto's bind: try a few ports before giving up.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await freePort();
    try {
      return await launch(port, sitePackages, join(sandboxDir, 'stub'), options);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function launch(
  port: number,
  sitePackages: string,
  stubDir: string,
  options: StartMotoOptions,
): Promise<MotoServer> {
  const child = spawn(PYTHON, ['-c', ORPHAN_GUARD, '-H', '127.0.0.1', '-p', String(port)], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      PYTHONPATH: `${sitePackages}:${stubDir}`,
      PYTHONDONTWRITEBYTECODE: '1',
      // moto needs none of the caller's AWS settings, and must never be told about a real endpoint.
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_DEFAULT_REGION: 'us-east-1',
    },
    // stdin is the orphan guard's lifeline: it closes when this process dies, however it dies.
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const collect = (chunk: Buffer): void => {
    const text = chunk.toString('utf8');
    // Keep the tail for error messages; forward everything to the optional logger.
    output.push(text);
    if (output.length > 50) output.shift();
    for (const line of text.split('\n')) if (line && options.log) options.log(line);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolveExit) => {
    child.once('exit', (code) => resolveExit(code));
  });

  const endpointUrl = `http://127.0.0.1:${port}`;
  const stop = once(() => terminate(child, exited));
  try {
    await waitUntilReady(endpointUrl, exited, options.readyTimeoutMs ?? 30_000);
  } catch (error) {
    await stop();
    const tail = output.join('').trim().split('\n').slice(-10).join('\n');
    throw new Error(`moto did not start on ${endpointUrl}: ${(error as Error).message}\n${tail}`, {
      cause: error,
    });
  }
  return { endpointUrl, port, pid: child.pid ?? -1, stop };
}

async function waitUntilReady(endpointUrl: string, exited: Promise<number | null>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`the process exited with code ${exitCode}`);
    try {
      // Any HTTP answer means the server is serving; the dashboard path is cheap and side-effect free.
      const response = await fetch(`${endpointUrl}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      return;
    } catch {
      await new Promise((wake) => setTimeout(wake, 100));
    }
  }
  throw new Error(`no answer within ${timeoutMs} ms`);
}

async function terminate(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const killTimer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(killTimer);
}

/** Forgets all state in a running moto (every service, every region): a clean world for the next test file. */
export async function resetMoto(endpointUrl: string): Promise<void> {
  const response = await fetch(`${endpointUrl}/moto-api/reset`, { method: 'POST' });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`moto reset failed with HTTP ${response.status}`);
}

// `npx tsx scripts/sandbox/moto.ts`: a sandbox for manual runs and demos.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const started = Date.now();
  const moto = await startMoto({ log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(
    `moto ready in ${Date.now() - started} ms\nexport AWS_ENDPOINT_URL=${moto.endpointUrl} AWS_REGION=us-east-1 ` +
      'AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing\n',
  );
  const shutdown = () => {
    void moto.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
