/**
 * The settings catalogue is the one place settings are defined: the module stands alone (the package-time
 * resolver bundles it), the code and the template read nothing it does not know, and the help and the docs
 * are generated from it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HELP } from '../../../functions/cli/help.ts';
import { SETTINGS, settingsTable, withSettingsTable } from '../../../functions/settings/index.ts';

const ROOT = new URL('../../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, ROOT), 'utf8');
const NAMES = SETTINGS.map((item) => item.name);

/** Every .ts file under functions/, relative to the repository. */
function sources(dir = 'functions/'): string[] {
  return readdirSync(new URL(dir, ROOT), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(`${dir}${entry.name}/`)
      : entry.name.endsWith('.ts')
        ? [`${dir}${entry.name}`]
        : [],
  );
}

describe('the settings module', () => {
  it('imports nothing outside its folder (esbuild bundles it for serverless package)', () => {
    const files = sources('functions/settings/');
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const file of files) {
      const imports = [...read(file).matchAll(/^(?:import|export)[^;]*?from '([^']+)'/gms)].map((m) => m[1]);
      for (const target of imports) expect(target, file).toMatch(/^\.\/[\w-]+\.ts$/);
    }
  });

  it('names each setting once', () => {
    expect(new Set(NAMES).size).toBe(NAMES.length);
  });

  it("accepts every default under the setting's own rule", () => {
    for (const setting of SETTINGS) {
      for (const value of [setting.default, setting.deployDefault]) {
        if (value !== undefined && setting.rule)
          expect(setting.rule(setting.name, value), setting.name).toEqual([]);
      }
    }
  });

  it('knows every variable the code reads by name', () => {
    const names = sources().flatMap((file) =>
      [
        ...read(file).matchAll(
          /\benv\.([A-Z][A-Z0-9_]+)|(?:setValue|effectiveValue|defaultedValue|numberOf)\(env, '([A-Z][A-Z0-9_]+)'/g,
        ),
      ].map((m) => m[1] ?? m[2] ?? ''),
    );
    // The AWS SDK's own name for the region: AWS_REGION's fallback, documented there.
    const unknown = [...new Set(names)].filter(
      (name) => !NAMES.includes(name) && name !== 'AWS_DEFAULT_REGION',
    );
    expect(unknown).toEqual([]);
    expect(new Set(names).size).toBeGreaterThan(20);
  });
});

describe('the template', () => {
  const template = `${read('serverless.yml')}\n${read('iam.yml')}`;

  it('reads no setting from the environment itself: every value and default comes from settings.cjs', () => {
    expect(template).not.toMatch(/\$\{env:/);
  });

  it('takes from settings.cjs only what it resolves', () => {
    const derived = ['vpcId', 'subnetIds', 'probeSubnetIds', 'sqlSecretArn'];
    const taken = [...template.matchAll(/\$\{self:custom\.settings\.(\w+)/g)].map((m) => m[1] ?? '');
    const deployer = SETTINGS.filter((item) => item.deploy === 'deployer').map((item) => item.name);
    expect(taken.filter((name) => !deployer.includes(name) && !derived.includes(name))).toEqual([]);
    expect(taken.length).toBeGreaterThan(10);
  });

  it("passes every deployer setting a function reads into the functions' environment", () => {
    // Lambda sets AWS_REGION itself; the list-form plugin sets PRIVATELINK_VPCS in place of the short form.
    const notInTheYaml = ['AWS_REGION', 'PRIVATELINK_VPCS'];
    const passed = SETTINGS.filter(
      (item) => item.deploy === 'deployer' && item.functions.length > 0 && !notInTheYaml.includes(item.name),
    );
    for (const setting of passed)
      expect(template, setting.name).toMatch(new RegExp(`^\\s+${setting.name}: `, 'm'));
  });
});

describe('generated from the catalogue', () => {
  it("the CLI's top-level help lists every variable the CLI reads, and no other", () => {
    const listed = HELP.main.split('Configuration (environment')[1] ?? '';
    const named = [...listed.matchAll(/\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b/g)].map((m) => m[0]);
    expect(named).toEqual(SETTINGS.filter((item) => item.cli).map((item) => item.name));
  });

  it('docs/configuration.md has the current table (npm run docs:settings regenerates it)', () => {
    const doc = read('docs/configuration.md');
    expect(withSettingsTable(doc)).toBe(doc);
    expect(doc).toContain(settingsTable());
  });

  it('the table has a row per setting', () => {
    const rows = settingsTable()
      .split('\n')
      .filter((line) => line.startsWith('| `'));
    expect(rows.map((line) => /^\| `(\w+)`/.exec(line)?.[1])).toEqual(NAMES);
  });
});
