/**
 * What keeps the cold start short, checked on the packaged artifacts (timings live in `npm run bench`):
 * small zips without source maps, no --enable-source-maps, mysql2 out of the data plane's init, each
 * function's lazy parts in chunks of its own zip that its init never reads, and source maps that still turn
 * a trace from a minified bundle back into TypeScript positions.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, mysqlServer, onSamePort, startDns } from '../../../testing/local-servers.ts';
import {
  chunkFiles,
  functionEnvironment,
  initFiles,
  type PackagedStack,
  packagedFunctions,
  packageStack,
  unpackHandler,
} from '../../../testing/serverless-package.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
let stack: PackagedStack;

beforeAll(async () => {
  stack = await packageStack();
}, 120_000);

afterAll(closeAll);

/**
 * Runs `script` (ES module) in a fresh node with exactly `env`; returns its stdout. Asynchronous, so the
 * local servers of this process keep answering while it runs.
 */
async function runNode(script: string, env: Record<string, string>): Promise<string> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
  });
  return stdout;
}

describe('the packaged functions, for a short cold start', () => {
  it('packages five functions, each zip at most 1 MiB, holding its bundle and no source map', () => {
    const names = packagedFunctions(stack);
    expect(names).toHaveLength(5);
    for (const name of names) {
      expect(statSync(join(stack.dir, `${name}.zip`)).size).toBeLessThanOrEqual(1024 * 1024);
      const listing = execFileSync('python3', ['-m', 'zipfile', '-l', join(stack.dir, `${name}.zip`)], {
        encoding: 'utf8',
      });
      expect(listing).toMatch(/functions\/handlers\/[\w-]+\.mjs/);
      expect(listing).not.toMatch(/\.map\b/);
    }
  });

  it('loads every handler without source-map support: no NODE_OPTIONS, no sourceMappingURL', async () => {
    for (const name of packagedFunctions(stack)) {
      const env = functionEnvironment(stack, name);
      expect(env).not.toHaveProperty('NODE_OPTIONS');
      const handler = unpackHandler(stack, name);
      expect(readFileSync(handler, 'utf8')).not.toMatch(/sourceMappingURL/);
      const url = JSON.stringify(pathToFileURL(handler).href);
      const exported = await runNode(`const m = await import(${url}); console.log(typeof m.handler);`, env);
      expect(exported.trim()).toBe('function');
    }
  });

  it('keeps mysql2 out of the data plane until a login needs it', async () => {
    const addresses = ['127.0.0.31'];
    const port = await onSamePort(addresses, () => mysqlServer('8.0.11-TiDB-v7.5.2'));
    const dnsServer = await startDns({ 'privatelink-2.example.clusters.tidb-cloud.com': { a: addresses } });
    const url = JSON.stringify(pathToFileURL(unpackHandler(stack, 'dataPlane')).href);
    // mysql2 loads node's tls as it loads; nothing else in the data plane does (the greeting is read over a
    // plain socket). moduleLoadList names every built-in module loaded so far.
    const script = `
      const loaded = () => process.moduleLoadList.filter((m) => /^NativeModule tls$/.test(m));
      const { handler } = await import(${url});
      const atInit = loaded();
      const event = { host: 'privatelink-2.example.clusters.tidb-cloud.com', port: ${port},
        expectedAddresses: ${JSON.stringify(addresses)}, dnsServer: '${dnsServer}', timeoutMs: 3000 };
      const context = { getRemainingTimeInMillis: () => 30000, functionName: 'dataPlane', awsRequestId: 't' };
      const greeting = await handler(event, context);
      const afterGreeting = loaded();
      const login = await handler({ ...event, credentials: { user: 'u', password: 'p' } }, context);
      console.log(JSON.stringify({ atInit, afterGreeting, afterLogin: loaded(),
        greeting: greeting.handshake?.status, login: login.handshake?.login?.status }));`;
    const result = JSON.parse(await runNode(script, functionEnvironment(stack, 'dataPlane')));
    expect(result).toMatchObject({ atInit: [], afterGreeting: [], greeting: 'greeting' });
    // The login ran (and failed: the stand-in only greets), loading mysql2 and with it tls.
    expect(result.login).not.toBe('ok');
    expect(result.afterLogin).toEqual(['NativeModule tls']);
  });

  it('loads neither node:zlib nor node:process at init (esbuild-plugins.cjs, builtinsOnFirstUse)', async () => {
    for (const name of packagedFunctions(stack)) {
      const url = JSON.stringify(pathToFileURL(unpackHandler(stack, name)).href);
      const script = `const before = new Set(process.moduleLoadList);
        await import(${url});
        console.log(JSON.stringify(process.moduleLoadList.filter((m) => !before.has(m))));`;
      const loaded: string[] = JSON.parse(await runNode(script, functionEnvironment(stack, name)));
      // Every function hashes (the SDK's signer, the data plane's checks): the list does name what loads.
      expect(loaded, name).toContain('NativeModule crypto');
      expect(
        loaded.filter((entry) => /^NativeModule (zlib|process|internal\/process\/report)$/.test(entry)),
        name,
      ).toEqual([]);
    }
  });

  it('leaves one source map per bundle and chunk beside the zips, which map a minified trace back to TypeScript', () => {
    const maps = join(stack.dir, 'sourcemaps');
    const modules = packagedFunctions(stack).flatMap((name) => chunkFiles(unpackHandler(stack, name)));
    expect(readdirSync(maps).sort()).toEqual(modules.map((file) => `${file}.map`).sort());
    // A cold start without configuration throws from loadConfig: a real trace of the minified bundle.
    const url = JSON.stringify(pathToFileURL(unpackHandler(stack, 'reconcile')).href);
    const trace = spawnSync(process.execPath, ['-e', `import(${url})`], {
      env: { PATH: process.env.PATH ?? '' },
      encoding: 'utf8',
    }).stderr;
    expect(trace).toMatch(/at loadConfig \(file:.*reconcile\.mjs:\d+:\d+\)/);
    const mapped = execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'scripts/map-stack.ts'), maps],
      { input: trace, encoding: 'utf8' },
    );
    expect(mapped).toMatch(/at loadConfig \(functions\/config\.ts:\d+:\d+\)/);
    expect(mapped).toMatch(/functions\/handlers\/reconcile\.ts:\d+:\d+/);
    // A frame in a lazy chunk maps through that chunk's own map.
    const handler = unpackHandler(stack, 'reconcile');
    const chunk = chunkFiles(handler).find((file) =>
      readFileSync(join(dirname(handler), file), 'utf8').includes('"makeIdempotent"'),
    );
    const line = readFileSync(join(dirname(handler), chunk ?? ''), 'utf8').split('\n')[1] ?? '';
    const frame = `    at makeIdempotent (file:///var/task/functions/handlers/${chunk}:2:${line.indexOf('makeIdempotent') + 1})`;
    const mappedChunk = execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'scripts/map-stack.ts'), maps],
      { input: frame, encoding: 'utf8' },
    );
    expect(mappedChunk).toMatch(/@aws-lambda-powertools\/idempotency\/.*:\d+:\d+\)/);
  });

  it("holds each function's chunks in its own zip only, and every chunk loads from there", async () => {
    for (const name of packagedFunctions(stack)) {
      const handler = unpackHandler(stack, name);
      const own = `${basename(handler, '.mjs')}.`;
      const chunks = chunkFiles(handler).filter((file) => file !== basename(handler));
      expect(chunks.length).toBeGreaterThan(0);
      for (const chunk of chunks) expect(chunk.startsWith(own)).toBe(true);
      // A chunk whose own imports were missing from the zip would fail here, not at the first lazy call.
      const urls = JSON.stringify(chunks.map((chunk) => pathToFileURL(join(dirname(handler), chunk)).href));
      const loaded = await runNode(`for (const u of ${urls}) await import(u); console.log('ok');`, {});
      expect(loaded.trim()).toBe('ok');
    }
  });

  it('leaves out of a bundle the modules of ours its function never uses (esbuild-plugins.cjs, ownModules)', () => {
    // The doctor's DNS-path reading and diagnosis: the troubleshoot's (and the CLI's), never code the
    // reconcile, the provision or the data plane runs, though modules they use import it.
    const absent = ['diagnoseDnsPath', 'readDnsPath'];
    for (const name of ['reconcile', 'provision', 'dataPlane']) {
      const handler = unpackHandler(stack, name);
      const text = chunkFiles(handler)
        .map((file) => readFileSync(join(dirname(handler), file), 'utf8'))
        .join('\n');
      for (const marker of absent) expect(text, `${name}: ${marker}`).not.toContain(`"${marker}"`);
    }
    const troubleshoot = unpackHandler(stack, 'troubleshoot');
    const present = chunkFiles(troubleshoot).map((file) =>
      readFileSync(join(dirname(troubleshoot), file), 'utf8'),
    );
    for (const marker of absent) expect(present.some((text) => text.includes(`"${marker}"`))).toBe(true);
  });

  it('leaves the lazy parts out of init: the handlers import with only their init files present', async () => {
    // Class and function names survive minification (keepNames): they say which chunk holds what. The
    // reconcile publishes only on a change, so its EventBridge client waits for the first publish
    // (functions/app/events-on-first-publish.ts).
    const lazy: Record<string, string[]> = {
      probe: ['Route53Client', 'makeIdempotent', 'STSClient'],
      troubleshoot: ['Route53Client', 'makeIdempotent', 'STSClient'],
      provision: ['makeIdempotent', 'STSClient'],
      reconcile: ['makeIdempotent', 'STSClient', 'EventBridgeClient', 'EventBridgeAdapter'],
      dataPlane: ['PoolConnection'],
    };
    for (const [name, markers] of Object.entries(lazy)) {
      const handler = unpackHandler(stack, name);
      const init = initFiles(handler);
      const text = (file: string) => readFileSync(join(dirname(handler), file), 'utf8');
      for (const marker of markers) {
        const holders = chunkFiles(handler).filter((file) => text(file).includes(`"${marker}"`));
        expect(holders, `${name}: ${marker}`).not.toEqual([]);
        expect(
          holders.filter((file) => init.includes(file)),
          `${name}: ${marker}`,
        ).toEqual([]);
      }
      // The proof that init reads nothing else: a copy of the folder holding only the init files imports.
      const copy = mkdtempSync(join(stack.dir, `init-only-${name}-`));
      for (const file of init) cpSync(join(dirname(handler), file), join(copy, file));
      const url = JSON.stringify(pathToFileURL(join(copy, basename(handler))).href);
      const env = functionEnvironment(stack, name);
      const exported = await runNode(`const m = await import(${url}); console.log(typeof m.handler);`, env);
      expect(exported.trim()).toBe('function');
      rmSync(copy, { recursive: true });
    }
  });
});
