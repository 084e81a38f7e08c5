/**
 * Maps a stack trace of a deployed function back to the TypeScript sources, offline:
 *   npx tsx scripts/map-stack.ts [maps folder, default .serverless/sourcemaps] < trace.txt
 * The bundles are minified and carry no source map (so init never reads one); `serverless package` leaves
 * each bundle's and chunk's map in <package folder>/sourcemaps/ (esbuild-plugins.cjs). Use the maps of the
 * package you deployed: a map fits only the bundle it was built with.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';

const FRAME = /(?:file:\/\/)?[^\s()]*\/([\w.-]+\.mjs):(\d+):(\d+)/g;

function mapper(folder: string): (line: string) => string {
  const maps = new Map<string, SourceMap | undefined>();
  const load = (bundle: string) => {
    if (!maps.has(bundle)) {
      const file = join(folder, `${bundle}.map`);
      const payload = existsSync(file)
        ? (JSON.parse(readFileSync(file, 'utf8')) as SourceMapPayload)
        : undefined;
      maps.set(bundle, payload ? new SourceMap(payload) : undefined);
    }
    return maps.get(bundle);
  };
  return (line) =>
    line.replace(FRAME, (frame, bundle: string, row: string, column: string) => {
      // Stack traces count from 1; source maps from 0.
      const entry = load(bundle)?.findEntry(Number(row) - 1, Number(column) - 1);
      if (!entry || !('originalSource' in entry)) return frame;
      const source = entry.originalSource.replace(/^(\.\.\/)+/, '');
      return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
    });
}

const map = mapper(process.argv[2] ?? '.serverless/sourcemaps');
process.stdout.write((await text(process.stdin)).split('\n').map(map).join('\n'));
