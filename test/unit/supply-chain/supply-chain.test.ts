import { describe, expect, it } from 'vitest';
import {
  type Lockfile,
  licenseAllowed,
  loadPolicy,
  type Policy,
  packageName,
  supplyChainProblems,
} from '../../../scripts/supply-chain.ts';

const ROOT = new URL('../../../', import.meta.url);
const INTEGRITY = 'sha512-AAAA';

const policy: Policy = {
  allowedLicenses: { MIT: 'ok', 'Apache-2.0': 'ok' },
  allowScripts: { esbuild: true, 'es5-ext': false },
  scriptsMayRun: ['esbuild'],
};

function lock(packages: Lockfile['packages']): Lockfile {
  return { packages: { '': { version: '1.0.0' }, ...packages } };
}

describe('the repository', () => {
  it('satisfies its own supply-chain policy (licenses, integrity, install scripts)', () => {
    const { lock: repoLock, policy: repoPolicy } = loadPolicy(ROOT);
    expect(supplyChainProblems(repoLock, repoPolicy)).toEqual([]);
  });

  it('allows install scripts for esbuild only, and decides every package that has one', () => {
    const { lock: repoLock, policy: repoPolicy } = loadPolicy(ROOT);
    const withScripts = Object.entries(repoLock.packages)
      .filter(([, entry]) => entry.hasInstallScript)
      .map(([path]) => packageName(path));
    expect(withScripts).toContain('esbuild');
    expect(Object.entries(repoPolicy.allowScripts).filter(([, allowed]) => allowed)).toEqual([
      ['esbuild', true],
    ]);
  });
});

describe('supplyChainProblems', () => {
  it('fails on a production package with a license that is not on the list, not on a dev one', () => {
    const problems = supplyChainProblems(
      lock({
        'node_modules/gpl-thing': { version: '2.0.0', license: 'GPL-3.0-only', integrity: INTEGRITY },
        'node_modules/dev-gpl': {
          version: '1.0.0',
          license: 'GPL-3.0-only',
          integrity: INTEGRITY,
          dev: true,
        },
        'node_modules/a/node_modules/nolicense': { version: '0.1.0', integrity: INTEGRITY },
      }),
      policy,
    );
    expect(problems).toEqual([
      expect.stringMatching(
        /^gpl-thing@2\.0\.0: license "GPL-3\.0-only" is not in supply-chain\/licenses\.json/,
      ),
      expect.stringMatching(/^nolicense@0\.1\.0: license "none"/),
    ]);
  });

  it('fails on a missing integrity hash and on a non-https resolved URL', () => {
    const problems = supplyChainProblems(
      lock({
        'node_modules/a': { version: '1.0.0', license: 'MIT' },
        'node_modules/b': {
          version: '1.0.0',
          license: 'MIT',
          integrity: INTEGRITY,
          resolved: 'git+ssh://x/b.git',
        },
        'node_modules/linked': { link: true },
      }),
      policy,
    );
    expect(problems).toEqual([
      'a@1.0.0: no sha512 integrity hash in package-lock.json',
      'b@1.0.0: resolved from git+ssh://x/b.git, not an https registry URL',
    ]);
  });

  it('fails on an install script nobody decided, and on one allowed beyond the reviewed list', () => {
    const entry = { version: '1.0.0', license: 'MIT', integrity: INTEGRITY, hasInstallScript: true };
    const problems = supplyChainProblems(
      lock({
        'node_modules/esbuild': entry,
        'node_modules/es5-ext': entry,
        'node_modules/new-native': entry,
        'node_modules/sneaky': entry,
      }),
      { ...policy, allowScripts: { ...policy.allowScripts, sneaky: true } },
    );
    expect(problems).toEqual([
      expect.stringMatching(
        /^new-native@1\.0\.0 has an install script that package\.json "allowScripts" does not decide/,
      ),
      'sneaky@1.0.0: its install script is allowed, but only esbuild may run one',
    ]);
  });

  it('reads SPDX expressions: one OR alternative whose AND parts are all allowed', () => {
    expect(licenseAllowed('(MIT OR GPL-3.0-only)', policy.allowedLicenses)).toBe(true);
    expect(licenseAllowed('MIT AND GPL-3.0-only', policy.allowedLicenses)).toBe(false);
    expect(licenseAllowed('(MIT AND Apache-2.0)', policy.allowedLicenses)).toBe(true);
    expect(licenseAllowed('', policy.allowedLicenses)).toBe(false);
  });
});
