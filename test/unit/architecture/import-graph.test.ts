import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  type ImportGraph,
  importCycles,
  importsOf,
  layerOf,
  layerViolations,
  readGraph,
  resolveImport,
} from './import-graph.ts';

const FUNCTIONS = fileURLToPath(new URL('../../../functions', import.meta.url));

/** A graph from `file: [specifiers]`, as `readGraph` would build it. */
const graphOf = (files: Record<string, string[]>): ImportGraph => new Map(Object.entries(files));

describe('the import graph of functions/', () => {
  const tree = readGraph(FUNCTIONS);

  it('reads every production file', () => {
    expect(tree.size).toBeGreaterThan(100);
    expect(tree.has('core/model.ts')).toBe(true);
    expect(tree.has('config.ts')).toBe(true);
  });

  it('has no import cycle', () => {
    expect(importCycles(tree)).toEqual([]);
  });

  it('has no import from a lower layer to a higher one', () => {
    expect(layerViolations(tree)).toEqual([]);
  });

  it('keeps remediation.ts, the wording of every fix, below the modules that use it', () => {
    // It may import core's vocabulary (the model, network arithmetic), never diagnose, preflight or reconcile.
    const targets = (tree.get('core/remediation.ts') ?? []).map((s) =>
      resolveImport('core/remediation.ts', s),
    );
    expect(targets.length).toBeGreaterThan(0);
    for (const target of targets) expect(target).toMatch(/^core\/(model\.ts|network\/[^/]+\.ts)$/);
  });

  it('fails once a cycle is planted in the real tree', () => {
    const planted = new Map(tree);
    planted.set('core/diagnose/observation.ts', [
      ...(tree.get('core/diagnose/observation.ts') ?? []),
      './gather.ts',
    ]);
    expect(importCycles(planted)).toEqual([
      expect.arrayContaining(['core/diagnose/gather.ts', 'core/diagnose/observation.ts']),
    ]);
  });

  it('fails once an upward import is planted in the real tree', () => {
    const planted = new Map(tree);
    planted.set('app/live-deps.ts', [...(tree.get('app/live-deps.ts') ?? []), '../cli/context.ts']);
    expect(layerViolations(planted)).toEqual([
      { from: 'app/live-deps.ts', to: '../cli/context.ts', why: 'app may not import cli' },
    ]);
  });
});

describe('importsOf', () => {
  it('counts type-only, inline type, re-exports and dynamic imports', () => {
    const source = [
      "import type { A } from './a.ts';",
      "import { type B, c } from './b.ts';",
      "export type { D } from './d.ts';",
      "export * from './e.ts';",
      "const f = await import('./f.ts');",
      "import './g.ts';",
    ].join('\n');
    expect(importsOf(source)).toEqual(['./a.ts', './b.ts', './d.ts', './e.ts', './f.ts', './g.ts']);
  });

  it('ignores imports written in comments and strings', () => {
    const source = "// import { x } from './comment.ts';\nconst s = \"import y from './string.ts'\";\n";
    expect(importsOf(source)).toEqual([]);
  });
});

describe('layerOf', () => {
  it.each([
    ['core/diagnose/gather.ts', 'core'],
    ['config.ts', 'settings'],
    ['settings/vpcs.ts', 'settings'],
    ['settings/variables.ts', 'settings'],
    ['adapters/aws/ec2.ts', 'adapters'],
    ['app/live-deps.ts', 'app'],
    ['cli/commands/status.ts', 'cli'],
    ['handlers/probe.ts', 'handlers'],
    ['tools/x.ts', undefined],
  ])('%s is in %s', (file, layer) => {
    expect(layerOf(file)).toBe(layer);
  });
});

describe('importCycles on small graphs', () => {
  it('finds a three-file loop', () => {
    const graph = graphOf({
      'core/a.ts': ['./b.ts'],
      'core/b.ts': ['./c.ts'],
      'core/c.ts': ['./a.ts'],
      'core/d.ts': ['./a.ts'],
    });
    expect(importCycles(graph)).toEqual([['core/a.ts', 'core/b.ts', 'core/c.ts']]);
  });

  it('finds a type-only loop through a subfolder', () => {
    const graph = graphOf({
      'core/diagnose/gather.ts': ['./checks/x.ts'],
      'core/diagnose/checks/x.ts': ['../gather.ts'],
    });
    expect(importCycles(graph)).toEqual([['core/diagnose/checks/x.ts', 'core/diagnose/gather.ts']]);
  });

  it('finds a file that imports itself', () => {
    expect(importCycles(graphOf({ 'core/a.ts': ['./a.ts'] }))).toEqual([['core/a.ts']]);
  });

  it('finds two separate loops', () => {
    const graph = graphOf({
      'core/a.ts': ['./b.ts'],
      'core/b.ts': ['./a.ts'],
      'app/c.ts': ['./d.ts'],
      'app/d.ts': ['./c.ts'],
    });
    expect(importCycles(graph)).toEqual([
      ['app/c.ts', 'app/d.ts'],
      ['core/a.ts', 'core/b.ts'],
    ]);
  });

  it('passes a diamond, which shares files without looping', () => {
    const graph = graphOf({
      'cli/main.ts': ['../app/x.ts', '../adapters/y.ts'],
      'app/x.ts': ['../core/z.ts'],
      'adapters/y.ts': ['../core/z.ts'],
      'core/z.ts': ['node:crypto'],
    });
    expect(importCycles(graph)).toEqual([]);
  });
});

describe('layerViolations on small graphs', () => {
  const files = {
    'core/model.ts': [],
    'config.ts': ['./core/model.ts'],
    'settings/variables.ts': ['../core/model.ts'],
    'adapters/ec2.ts': ['../core/model.ts', '../config.ts', '@aws-sdk/client-ec2'],
    'app/deps.ts': ['../adapters/ec2.ts', '../settings/variables.ts'],
    'cli/main.ts': ['../app/deps.ts', '../core/model.ts', '../config.ts'],
    'handlers/probe.ts': ['../app/deps.ts', '../adapters/ec2.ts'],
  };

  it('passes imports that only go down', () => {
    expect(layerViolations(graphOf(files))).toEqual([]);
  });

  it.each([
    ['core/model.ts', '../app/deps.ts', 'core may not import app'],
    ['core/model.ts', '../config.ts', 'core may not import settings'],
    ['config.ts', './adapters/ec2.ts', 'settings may not import adapters'],
    ['settings/variables.ts', '../app/deps.ts', 'settings may not import app'],
    ['adapters/ec2.ts', '../app/deps.ts', 'adapters may not import app'],
    ['app/deps.ts', '../cli/main.ts', 'app may not import cli'],
    ['app/deps.ts', '../handlers/probe.ts', 'app may not import handlers'],
    ['cli/main.ts', '../handlers/probe.ts', 'cli may not import handlers'],
    ['handlers/probe.ts', '../cli/main.ts', 'handlers may not import cli'],
  ])('fails %s importing %s', (from, to, why) => {
    const graph = graphOf({ ...files, [from]: [...(files[from as keyof typeof files] ?? []), to] });
    expect(layerViolations(graph)).toEqual([{ from, to, why }]);
  });

  it('lets core import node:crypto and nothing else from outside', () => {
    const graph = graphOf({
      'core/hash.ts': ['node:crypto'],
      'core/net.ts': ['node:net'],
      'core/x.ts': ['zod'],
    });
    expect(layerViolations(graph).map((violation) => violation.to)).toEqual(['node:net', 'zod']);
  });

  it('fails an import of a file that is not in the graph', () => {
    const graph = graphOf({ 'core/a.ts': ['./missing.ts'] });
    expect(layerViolations(graph)).toEqual([
      {
        from: 'core/a.ts',
        to: './missing.ts',
        why: 'core/missing.ts is not a production file under functions/',
      },
    ]);
  });

  it('fails a file in a folder the table does not name', () => {
    const graph = graphOf({ 'tools/x.ts': [] });
    expect(layerViolations(graph)).toEqual([
      { from: 'tools/x.ts', to: '', why: 'tools/ is in no layer of the table' },
    ]);
  });
});
