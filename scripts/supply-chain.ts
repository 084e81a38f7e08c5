/**
 * `npm run supply-chain`: what can be checked about the dependencies without a network (the registry here
 * does not answer `npm audit`; `npm run audit` runs it where one does):
 * - every production package in package-lock.json (transitively: every entry not marked `dev`) carries a
 *   license from the reviewed allow-list `supply-chain/licenses.json`;
 * - every package entry has an `integrity` hash (sha512), and any `resolved` URL is an https registry URL;
 * - every package that runs an install script is decided in package.json's `allowScripts` (npm 11), and only
 *   the reviewed ones (esbuild) are allowed.
 * Prints one line per problem and exits 1 if there is any.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  license?: string | { type?: string };
  dev?: boolean;
  link?: boolean;
  hasInstallScript?: boolean;
}

export interface Lockfile {
  packages: Record<string, LockEntry>;
}

export interface Policy {
  /** SPDX id → why it is acceptable. */
  allowedLicenses: Record<string, string>;
  /** package.json `allowScripts`: `name` or `name@version` → allowed. */
  allowScripts: Record<string, boolean>;
  /** Packages whose install scripts may run, by name (reviewed: esbuild fetches its platform binary). */
  scriptsMayRun: string[];
}

/** `node_modules/a/node_modules/@s/b` → `@s/b`. */
export function packageName(path: string): string {
  return path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
}

function licenseOf(entry: LockEntry): string {
  return (typeof entry.license === 'object' ? entry.license?.type : entry.license) ?? '';
}

/** An SPDX expression is allowed when one `OR` alternative has every `AND` part on the list. */
export function licenseAllowed(expression: string, allowed: Record<string, string>): boolean {
  const alternatives = expression.replace(/[()]/g, ' ').split(/\s+OR\s+/);
  return alternatives.some((alternative) =>
    alternative
      .split(/\s+AND\s+/)
      .map((part) => part.trim())
      .every((part) => part !== '' && Object.hasOwn(allowed, part)),
  );
}

function installScriptDecision(
  name: string,
  version: string | undefined,
  policy: Policy,
): boolean | undefined {
  return policy.allowScripts[`${name}@${version}`] ?? policy.allowScripts[name];
}

function licenseProblems(entries: Array<[string, LockEntry]>, policy: Policy): string[] {
  return entries
    .filter(([, entry]) => !entry.dev && !licenseAllowed(licenseOf(entry), policy.allowedLicenses))
    .map(
      ([path, entry]) =>
        `${packageName(path)}@${entry.version}: license "${licenseOf(entry) || 'none'}" is not in supply-chain/licenses.json (review it and add it with a reason, or drop the dependency)`,
    );
}

function integrityProblems(entries: Array<[string, LockEntry]>): string[] {
  return entries.flatMap(([path, entry]) => {
    const name = `${packageName(path)}@${entry.version}`;
    const problems: string[] = [];
    if (!entry.integrity?.startsWith('sha512-'))
      problems.push(`${name}: no sha512 integrity hash in package-lock.json`);
    if (entry.resolved !== undefined && !entry.resolved.startsWith('https://'))
      problems.push(`${name}: resolved from ${entry.resolved}, not an https registry URL`);
    return problems;
  });
}

function scriptProblems(entries: Array<[string, LockEntry]>, policy: Policy): string[] {
  return entries
    .filter(([, entry]) => entry.hasInstallScript)
    .flatMap(([path, entry]) => {
      const name = packageName(path);
      const decision = installScriptDecision(name, entry.version, policy);
      if (decision === undefined)
        return [
          `${name}@${entry.version} has an install script that package.json "allowScripts" does not decide (review it; npm install-scripts approve|deny ${name})`,
        ];
      if (decision && !policy.scriptsMayRun.includes(name))
        return [
          `${name}@${entry.version}: its install script is allowed, but only ${policy.scriptsMayRun.join(', ')} may run one`,
        ];
      return [];
    });
}

/** Every problem found, one sentence each; [] when the lockfile satisfies the policy. */
export function supplyChainProblems(lock: Lockfile, policy: Policy): string[] {
  const entries = Object.entries(lock.packages).filter(([path, entry]) => path !== '' && !entry.link);
  return [
    ...licenseProblems(entries, policy),
    ...integrityProblems(entries),
    ...scriptProblems(entries, policy),
  ];
}

/** The repository's own lockfile and policy. */
export function loadPolicy(root: URL): { lock: Lockfile; policy: Policy } {
  const read = (file: string): unknown => JSON.parse(readFileSync(new URL(file, root), 'utf8'));
  const lock = read('package-lock.json') as Lockfile;
  const licenses = read('supply-chain/licenses.json') as { allowed: Record<string, string> };
  const manifest = read('package.json') as { allowScripts?: Record<string, boolean> };
  return {
    lock,
    policy: {
      allowedLicenses: licenses.allowed,
      allowScripts: manifest.allowScripts ?? {},
      scriptsMayRun: ['esbuild'],
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { lock, policy } = loadPolicy(new URL('../', import.meta.url));
  const problems = supplyChainProblems(lock, policy);
  const production = Object.entries(lock.packages).filter(
    ([path, entry]) => path && !entry.dev && !entry.link,
  );
  for (const problem of problems) console.log(problem);
  console.log(
    `${production.length} production packages checked against ${Object.keys(policy.allowedLicenses).length} allowed licenses; ` +
      `${Object.keys(lock.packages).length - 1} lockfile entries for integrity; ${problems.length} problems.`,
  );
  process.exitCode = problems.length > 0 ? 1 : 0;
}
