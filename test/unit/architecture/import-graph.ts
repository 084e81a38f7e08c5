/**
 * The import graph of `functions/` and the two rules it must keep: no cycles, and no import from a lower layer
 * to a higher one. The graph is read with TypeScript's own import scanner, so `import type`, `import { type X }`,
 * `export … from` and `import()` all count, and imports quoted in comments or strings do not.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import ts from 'typescript';

/** File (relative to `functions/`, `/`-separated) → the specifiers it imports, as written. */
export type ImportGraph = Map<string, string[]>;

export type Layer = 'core' | 'settings' | 'adapters' | 'app' | 'cli' | 'handlers';

/**
 * The layers, lowest first, and what each may import (besides itself). `settings` is the configuration the
 * rest reads: `config.ts` and `settings/` (which imports nothing outside its folder); it builds on core's types and nothing else.
 *
 * | layer    | folder                         | may import                           |
 * |----------|--------------------------------|--------------------------------------|
 * | core     | core/                          | core, and of the outside node:crypto |
 * | settings | *.ts directly in functions/, settings/ | core                         |
 * | adapters | adapters/                      | core, settings                       |
 * | app      | app/                           | core, settings, adapters             |
 * | cli      | cli/                           | core, settings, adapters, app        |
 * | handlers | handlers/                      | core, settings, adapters, app        |
 */
export const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  core: [],
  settings: ['core'],
  adapters: ['core', 'settings'],
  app: ['core', 'settings', 'adapters'],
  cli: ['core', 'settings', 'adapters', 'app'],
  handlers: ['core', 'settings', 'adapters', 'app'],
};

/** Packages and built-ins core may import: core is pure, and hashing is arithmetic. */
export const CORE_OUTSIDE_IMPORTS: readonly string[] = ['node:crypto'];

const FOLDER_LAYERS: Record<string, Layer> = {
  core: 'core',
  settings: 'settings',
  adapters: 'adapters',
  app: 'app',
  cli: 'cli',
  handlers: 'handlers',
};

/** The layer of a file under `functions/`; `undefined` for a folder the table does not name. */
export function layerOf(file: string): Layer | undefined {
  const [first, ...rest] = file.split('/');
  if (rest.length === 0) return 'settings';
  return FOLDER_LAYERS[first ?? ''];
}

const isRelative = (specifier: string) => specifier.startsWith('./') || specifier.startsWith('../');

/** Where a relative specifier points, as a path relative to `functions/` (may start with `../` if outside). */
export function resolveImport(from: string, specifier: string): string {
  return posix.normalize(posix.join(posix.dirname(from), specifier));
}

/** The specifiers one source file imports. */
export function importsOf(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((imported) => imported.fileName);
}

function productionFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return productionFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every production `.ts` file under `root`, with its imports. */
export function readGraph(root: string): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const path of productionFiles(root)) {
    const file = relative(root, path).split(/[\\/]/).join('/');
    graph.set(file, importsOf(readFileSync(path, 'utf8')));
  }
  return graph;
}

export interface Violation {
  from: string;
  to: string;
  why: string;
}

/** Imports that break the layer table, point outside `functions/`, or name a file that does not exist. */
export function layerViolations(graph: ImportGraph): Violation[] {
  const violations: Violation[] = [];
  for (const [from, specifiers] of graph) {
    const layer = layerOf(from);
    if (!layer) {
      violations.push({ from, to: '', why: `${posix.dirname(from)}/ is in no layer of the table` });
      continue;
    }
    for (const to of specifiers) {
      const why = isRelative(to) ? localViolation(graph, from, layer, to) : outsideViolation(layer, to);
      if (why) violations.push({ from, to, why });
    }
  }
  return violations;
}

function localViolation(
  graph: ImportGraph,
  from: string,
  layer: Layer,
  specifier: string,
): string | undefined {
  const target = resolveImport(from, specifier);
  if (!graph.has(target)) return `${target} is not a production file under functions/`;
  const targetLayer = layerOf(target);
  if (!targetLayer || targetLayer === layer || MAY_IMPORT[layer].includes(targetLayer)) return undefined;
  return `${layer} may not import ${targetLayer}`;
}

function outsideViolation(layer: Layer, specifier: string): string | undefined {
  if (layer !== 'core' || CORE_OUTSIDE_IMPORTS.includes(specifier)) return undefined;
  return `core may import nothing from outside but ${CORE_OUTSIDE_IMPORTS.join(', ')}`;
}

/** The file-to-file edges of the graph (imports that leave `functions/` are not edges). */
function edges(graph: ImportGraph): Map<string, string[]> {
  const result = new Map<string, string[]>();
  for (const [from, specifiers] of graph) {
    const targets = specifiers.filter(isRelative).map((specifier) => resolveImport(from, specifier));
    result.set(
      from,
      targets.filter((target) => graph.has(target)),
    );
  }
  return result;
}

/**
 * Every import cycle, as the files of one strongly connected component (Tarjan's algorithm), sorted; a file
 * that imports itself is a cycle of one.
 */
export function importCycles(graph: ImportGraph): string[][] {
  const next = edges(graph);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let counter = 0;
  const visit = (file: string): void => {
    index.set(file, counter);
    low.set(file, counter);
    counter += 1;
    stack.push(file);
    onStack.add(file);
    for (const target of next.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file) ?? 0, low.get(target) ?? 0));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file) ?? 0, index.get(target) ?? 0));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    const selfImport = next.get(file)?.includes(file) ?? false;
    if (component.length > 1 || selfImport) cycles.push(component.sort());
  };
  for (const file of [...graph.keys()].sort()) if (!index.has(file)) visit(file);
  return cycles;
}
