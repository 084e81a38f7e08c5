/**
 * The packaged stack's roles for enforcement: `serverless package` once per distinct package environment,
 * its roles resolved by the policy engine's intrinsic resolver and kept on disk (`.tmp/iam-roles/`), keyed by
 * the hash of every file packaging reads for IAM plus that environment. The package is made with placeholder
 * ids of the right shape (one per VPC, subnet and group); each test gets the roles with its own ids put in,
 * so every world with the same shape shares one package.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VpcTarget } from '../../functions/settings/vpcs.ts';
import { managedPoliciesRole, type Role, roleOf } from '../iam-engine.ts';
import { PACKAGE_ENV, type PackagedStack, packagedFunctions, packageStack } from '../serverless-package.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CACHE = join(ROOT, '.tmp', 'iam-roles');

/**
 * What the cached roles are made from: the stack file, its includes, the settings and VPC readers, the
 * plugins' versions, and the code that turns a template into roles (a change there invalidates the cache).
 */
const PACKAGING_INPUTS = [
  'serverless.yml',
  'iam.yml',
  'settings.cjs',
  'esbuild-plugins.cjs',
  'package-lock.json',
  'testing/iam-engine.ts',
  'testing/iam/roles.ts',
];
const PACKAGING_DIRS = ['resources', 'functions/settings'];

export type Roles = Record<string, Role>;

/** A placeholder id: `vpc-0f…`, never one the EC2 fake hands out (`vpc-00…`) nor moto (`vpc-` + 17 hex). */
function placeholder(prefix: string, vpcIndex: number, index: number): string {
  return `${prefix}-0f${vpcIndex.toString(16)}${index.toString(16).padStart(13, '0')}`;
}

/** The same shape as `vpcs`, with placeholder ids. */
function placeholdersOf(vpcs: VpcTarget[]): VpcTarget[] {
  return vpcs.map((vpc, i) => ({
    vpcId: placeholder('vpc', i, 0),
    subnetIds: vpc.subnetIds.map((_, j) => placeholder('subnet', i, j)),
    securityGroupIds: vpc.securityGroupIds.map((_, j) => placeholder('sg', i, j)),
    // A spoke's role is part of the stack's shape (its sts:AssumeRole grant): kept as it is.
    ...(vpc.roleArn ? { roleArn: vpc.roleArn } : {}),
  }));
}

/** The package environment of a stack of these VPCs: the short form for one, the list form for several. */
function packageEnvOf(vpcs: VpcTarget[], extraEnv: Record<string, string>): Record<string, string> {
  const [only] = vpcs;
  const network: Record<string, string> =
    vpcs.length === 1 && only
      ? {
          PRIVATELINK_VPC_ID: only.vpcId,
          PRIVATELINK_SUBNET_IDS: only.subnetIds.join(','),
          PRIVATELINK_SECURITY_GROUP_IDS: only.securityGroupIds.join(','),
        }
      : {
          PRIVATELINK_VPCS: JSON.stringify(vpcs),
          PRIVATELINK_VPC_ID: '',
          PRIVATELINK_SUBNET_IDS: '',
          PRIVATELINK_SECURITY_GROUP_IDS: '',
        };
  return { ...network, ...extraEnv };
}

function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)))
    .sort();
}

function cacheKey(env: Record<string, string>): string {
  const hash = createHash('sha256');
  for (const file of [...PACKAGING_INPUTS, ...PACKAGING_DIRS.flatMap(filesUnder)]) {
    hash.update(file).update('\0');
    if (existsSync(join(ROOT, file))) hash.update(readFileSync(join(ROOT, file)));
  }
  hash.update(JSON.stringify(Object.entries(env).sort()));
  return hash.digest('hex').slice(0, 24);
}

/** The operator policies' holders (resources/operator-policies.yml): read-only, and provision (with read-only). */
export const OPERATOR_READ_ONLY = 'operator-read-only';
export const OPERATOR_PROVISION = 'operator-provision';

function operatorRoles(template: PackagedStack['template']): Roles {
  return {
    [OPERATOR_READ_ONLY]: managedPoliciesRole(template, OPERATOR_READ_ONLY, ['OperatorReadOnlyPolicy']),
    [OPERATOR_PROVISION]: managedPoliciesRole(template, OPERATOR_PROVISION, [
      'OperatorReadOnlyPolicy',
      'OperatorProvisionPolicy',
    ]),
  };
}

const inFlight = new Map<string, Promise<Roles>>();
const LOCK = join(CACHE, '.packaging.lock');
/** A lock older than a package can take was left by a killed process. */
const STALE_LOCK_MS = 300_000;

/**
 * One `serverless package` at a time across the test workers: two at once share the service folder's build
 * directory. A directory is the lock (mkdir is atomic).
 */
export async function onePackageAtATime<T>(work: () => Promise<T>): Promise<T> {
  await mkdir(CACHE, { recursive: true });
  for (;;) {
    try {
      await mkdir(LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = Date.now() - (await stat(LOCK).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > STALE_LOCK_MS) await rm(LOCK, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    return await work();
  } finally {
    await rm(LOCK, { recursive: true, force: true });
  }
}

async function packageRoles(env: Record<string, string>, file: string): Promise<Roles> {
  // Another worker may have packaged it while this one waited for the lock.
  if (existsSync(file)) return JSON.parse(await readFile(file, 'utf8')) as Roles;
  const stack = await packageStack(env);
  try {
    const roles: Roles = {
      ...Object.fromEntries(packagedFunctions(stack).map((fn) => [fn, roleOf(stack.template, fn)])),
      ...operatorRoles(stack.template),
    };
    // Written aside and renamed: another worker reading the cache never sees half a file.
    const partial = `${file}.${process.pid}.tmp`;
    await writeFile(partial, JSON.stringify(roles));
    await rename(partial, file);
    return roles;
  } finally {
    await rm(stack.dir, { recursive: true, force: true });
  }
}

/** Every function's role of a stack packaged with `env`, from the disk cache or a fresh package. */
async function packagedRoles(env: Record<string, string>): Promise<Roles> {
  const key = cacheKey(env);
  const file = join(CACHE, `${key}.json`);
  if (existsSync(file)) return JSON.parse(await readFile(file, 'utf8')) as Roles;
  const pending = inFlight.get(key) ?? onePackageAtATime(() => packageRoles(env, file));
  inFlight.set(key, pending);
  return pending;
}

/**
 * The packaged roles of a stack serving `vpcs` (real ids), with those ids in place of the placeholders the
 * package was made with. `extraEnv`: further package settings (e.g. `PRIVATELINK_STACK_NAME`).
 */
export async function rolesFor(vpcs: VpcTarget[], extraEnv: Record<string, string> = {}): Promise<Roles> {
  const placeholders = placeholdersOf(vpcs);
  const roles = await packagedRoles(packageEnvOf(placeholders, extraEnv));
  const substitutions = new Map<string, string>(
    placeholders.flatMap((vpc, i) => {
      const real = vpcs[i] as VpcTarget;
      return [
        [vpc.vpcId, real.vpcId],
        ...vpc.subnetIds.map((id, j) => [id, real.subnetIds[j] as string] as const),
        ...vpc.securityGroupIds.map((id, j) => [id, real.securityGroupIds[j] as string] as const),
      ] as Array<readonly [string, string]>;
    }),
  );
  const text = JSON.stringify(roles).replace(
    /\b(?:vpc|subnet|sg)-0f[0-9a-f]{14}\b/g,
    (id) => substitutions.get(id) ?? id,
  );
  return JSON.parse(text) as Roles;
}

/**
 * Packages (or finds cached) the shapes the suites use, before they start: a cold package takes ~20 s.
 */
export async function warmRoles(shapes: VpcTarget[][]): Promise<void> {
  for (const vpcs of shapes) await rolesFor(vpcs);
}

/** What a sandbox names the stack's resources that the package names by its own (template logical ids, settings). */
export interface SandboxNames {
  /** The state table (the template's `StateTable` has no TableName; CloudFormation would make one up). */
  stateTable?: string;
  /** The TiDB Cloud API key secret's ARN (moto adds its own six-character suffix). */
  apiKeySecretArn?: string;
  /** The SQL login secret's (`TIDB_SQL_SECRET_ARN`), for a package made with SANDBOX_SQL_SECRET_ARN. */
  sqlSecretArn?: string;
}

/** The SQL secret a sandbox package names (`TIDB_SQL_SECRET_ARN`), replaced by a suite's own. */
export const SANDBOX_SQL_SECRET_ARN =
  'arn:aws:secretsmanager:us-east-1:123456789012:secret:tidb-sql-login-AbCdEf';

/** `roles` with the sandbox's own table and secret in place of the package's. */
export function withSandboxNames(roles: Roles, names: SandboxNames): Roles {
  let text = JSON.stringify(roles);
  if (names.stateTable) text = text.replace(/:table\/StateTable(?=["/])/g, `:table/${names.stateTable}`);
  if (names.apiKeySecretArn)
    text = text.replaceAll(PACKAGE_ENV.TIDB_CLOUD_API_KEY_SECRET_ARN, names.apiKeySecretArn);
  if (names.sqlSecretArn) text = text.replaceAll(SANDBOX_SQL_SECRET_ARN, names.sqlSecretArn);
  return JSON.parse(text) as Roles;
}
