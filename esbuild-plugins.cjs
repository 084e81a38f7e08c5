// esbuild plugins for serverless-esbuild (custom.esbuild.plugins). CommonJS because serverless-esbuild
// loads this file with require().
const { mkdirSync, readdirSync, readFileSync, renameSync } = require('node:fs');
const path = require('node:path');

const serviceDirOf = (serverless) => serverless.config.serviceDir || serverless.config.servicePath;

/** The file name, without extension, of the one entry point serverless-esbuild gives each build. */
function entryBase(build) {
  const [entry] = build.initialOptions.entryPoints;
  return path.basename(String(entry), path.extname(String(entry)));
}

/**
 * Names each function's chunks after its bundle (`probe.<name>-<hash>.mjs` beside `probe.mjs`).
 * serverless-esbuild builds every handler into the same folder and keeps out of a function's zip the files
 * named `<other handler>.…`, so each zip gets its own chunks and no other function's. `splitting` makes a
 * chunk of each dynamic `import()` (a file Node reads and compiles only when that import runs, where a
 * single-file bundle compiles the lazy code with the rest at init), plus chunks of the code both sides share.
 */
const functionChunks = {
  name: 'function-chunks',
  setup(build) {
    build.initialOptions.chunkNames = `${entryBase(build)}.[name]-[hash]`;
  },
};

/**
 * Moves each bundle's external source map out of the folder serverless-esbuild zips, into
 * `<package folder>/sourcemaps/`. The zips stay small, Node never reads a map at init (the bundles carry no
 * sourceMappingURL comment), and a stack trace from CloudWatch is mapped offline with
 * `npx tsx scripts/map-stack.ts < trace.txt` against the maps of the same package.
 */
function sourceMapsBesideTheZips(serverless) {
  const target = path.join(serviceDirOf(serverless), '.serverless', 'sourcemaps');
  return {
    name: 'source-maps-beside-the-zips',
    setup(build) {
      build.onEnd((result) => {
        // A failed build wrote no map: let esbuild's own error be the one reported.
        if (result.errors.length > 0) return;
        const { outdir } = build.initialOptions;
        // The bundle's map and its chunks' maps (chunks are named after the bundle: functionChunks).
        const prefix = `${entryBase(build)}.`;
        for (const map of readdirSync(outdir).filter((f) => f.startsWith(prefix) && f.endsWith('.map'))) {
          mkdirSync(target, { recursive: true });
          renameSync(path.join(outdir, map), path.join(target, map));
        }
      });
    },
  };
}

/**
 * Declares our own modules (functions/**) free of side effects at import, as the SDK's packages declare
 * theirs, so esbuild leaves out of a function's bundle every module of ours whose exports that function never
 * uses, instead of keeping its top-level code "in case". None of them does anything at import but declare
 * (the handlers, which do, are entry points and always kept), and none is imported for effect alone
 * (`import './x.ts'`). The reconcile's, the provision's and the data plane's bundles no longer hold the
 * doctor's DNS-path reading and diagnosis (about 15 KiB each, read at init before).
 */
function ownModules(serverless) {
  const functionsDir = path.join(serviceDirOf(serverless), 'functions') + path.sep;
  const isOwn = (file) => file.startsWith(functionsDir) && file.endsWith('.ts');
  return {
    name: 'own-modules-without-side-effects',
    setup(build) {
      build.onResolve({ filter: /^\.\.?[\\/]/ }, async (args) => {
        if (args.pluginData?.ownModules || !isOwn(args.importer)) return undefined;
        const resolved = await build.resolve(args.path, {
          importer: args.importer,
          resolveDir: args.resolveDir,
          kind: args.kind,
          pluginData: { ownModules: true },
        });
        // esbuild reports its own resolution error, the same as without this plugin.
        if (resolved.errors.length > 0 || !isOwn(resolved.path)) return undefined;
        return { path: resolved.path, sideEffects: false };
      });
    },
  };
}

const CRC32_NODE = /[\\/]@smithy[\\/]core[\\/].*[\\/]Crc32Node\.js$/;

/**
 * Two Node built-ins the SDK imports at init that a function's invocation needs no module of:
 * - `node:process`, for `env` and `versions` (the user agent): importing it as an ES module builds its
 *   namespace, which reads every property of `process`, getters included (`report`, for one, loads its
 *   module): 2–6 ms of CPU in isolation, for two properties of the global `process`. Its imports get the global's own objects instead, the same values. Only `import`
 *   statements: a `require('process')` (CommonJS) already gets the global.
 * - `node:zlib`, for `crc32` in the checksum module of @smithy/core, which esbuild places in the init chunk
 *   (the checksums' index module is reachable from every client) though only event streams, which no
 *   function reads, use it: zlib is loaded on the first checksum instead (about 2 ms of CPU in isolation).
 *   engines (>= 20.19) guarantees `zlib.crc32` (Node 20.15), which the module tests for at load.
 * An import of any other name from either fails the build ("No matching export"), never silently.
 * test/integration/serverless/cold-start.test.ts checks that no function loads either module at init.
 */
const builtinsOnFirstUse = {
  name: 'builtins-on-first-use',
  setup(build) {
    build.onResolve({ filter: /^(node:)?process$/ }, (args) =>
      args.kind === 'import-statement' ? { path: 'process', namespace: 'global-process' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'global-process' }, () => ({
      contents: 'export default process; export const { env, versions } = process;',
      loader: 'js',
    }));
    build.onResolve({ filter: /^(node:)?zlib$/ }, (args) =>
      CRC32_NODE.test(args.importer) ? { path: 'zlib', namespace: 'zlib-on-first-use' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zlib-on-first-use' }, () => ({
      contents:
        "export const crc32 = (data, value) => process.getBuiltinModule('node:zlib').crc32(data, value);",
      loader: 'js',
    }));
  },
};

const SCHEMAS = /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/;

/**
 * Lets esbuild drop the AWS SDK schemas a function never uses. An SDK client's schemas module describes every
 * shape of the service (EC2: 1.3 MB) as arrays with computed keys such as `{ [_xN]: _vESp }`, where `_xN` is
 * a module-level `const _xN = "xmlName"`. esbuild must assume a computed key may run code, so it keeps every
 * schema, used or not. This rewrites each `[_name]:` whose constant is a plain string literal to that literal
 * (`"xmlName":`), which means the same thing, and the unused schemas become removable: the EC2 part of a
 * bundle goes from 540 KB to 34 KB. Anything else is left as it was.
 */
const schemaKeysInlined = {
  name: 'aws-sdk-schema-keys-inlined',
  setup(build) {
    build.onLoad({ filter: SCHEMAS }, ({ path: file }) => {
      const source = readFileSync(file, 'utf8');
      const strings = new Map();
      for (const [, name, literal] of source.matchAll(/^const (_\w+) = ("[^"\\\n]*");$/gm)) {
        strings.set(name, literal);
      }
      const contents = source.replace(/\[(_\w+)\]:/g, (key, name) =>
        strings.has(name) ? `${strings.get(name)}:` : key,
      );
      return { contents, loader: 'js' };
    });
  },
};

module.exports = (serverless) => [
  ownModules(serverless),
  builtinsOnFirstUse,
  schemaKeysInlined,
  functionChunks,
  sourceMapsBesideTheZips(serverless),
];
