import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export const PACKAGE_ENV = {
  PRIVATELINK_VPC_ID: 'vpc-0123456789abcdef0',
  PRIVATELINK_SUBNET_IDS: 'subnet-0aaa,subnet-0bbb',
  PRIVATELINK_SECURITY_GROUP_IDS: 'sg-0ccc',
  TIDB_CLOUD_API_KEY_SECRET_ARN:
    'arn:aws:secretsmanager:us-east-1:123456789012:secret:tidb-cloud-api-key-AbCdEf',
  AWS_REGION: 'us-east-1',
};

export interface CfnResource {
  Type: string;
  Properties: Record<string, unknown>;
}

export interface PackagedStack {
  dir: string;
  template: { Resources: Record<string, CfnResource> };
}

/**
 * `serverless package` exactly as CI runs it: offline, no AWS credentials, into a fresh folder; returns the
 * CloudFormation template it generated.
 */
export async function packageStack(extraEnv: Record<string, string> = {}): Promise<PackagedStack> {
  const tmp = join(ROOT, '.tmp');
  await mkdir(tmp, { recursive: true });
  const dir = await mkdtemp(join(tmp, 'sls-package-'));
  await new Promise<void>((resolve, reject) => {
    execFile(
      process.execPath,
      [join(ROOT, 'node_modules/osls/bin/serverless.js'), 'package', '--package', dir],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          TMPDIR: tmp,
          ...PACKAGE_ENV,
          ...extraEnv,
        },
        timeout: 120_000,
      },
      (error, stdout, stderr) =>
        // The framework prints its own error on stdout and its environment on stderr: keep both.
        error ? reject(new Error(`serverless package failed: ${stdout}${stderr}`)) : resolve(),
    );
  });
  const template = JSON.parse(await readFile(join(dir, 'cloudformation-template-update-stack.json'), 'utf8'));
  return { dir, template };
}

/** The function names of a packaged stack (template logical ids without the `LambdaFunction` suffix). */
export function packagedFunctions(stack: PackagedStack): string[] {
  return Object.entries(stack.template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
    .map(([id]) => id.replace(/LambdaFunction$/, ''))
    .map((name) => name.charAt(0).toLowerCase() + name.slice(1));
}

function functionResource(stack: PackagedStack, name: string): CfnResource {
  const id = `${name.charAt(0).toUpperCase()}${name.slice(1)}LambdaFunction`;
  const resource = stack.template.Resources[id];
  if (!resource) throw new Error(`no function ${name} in the template`);
  return resource;
}

/** Unzips `<name>.zip` (once) and returns the absolute path of its handler module. */
export function unpackHandler(stack: PackagedStack, name: string): string {
  const dir = join(stack.dir, `unzipped-${name}`);
  if (!existsSync(dir)) execFileSync('python3', ['-m', 'zipfile', '-e', join(stack.dir, `${name}.zip`), dir]);
  const handler = String(functionResource(stack, name).Properties.Handler);
  return join(dir, `${handler.slice(0, handler.lastIndexOf('.'))}.mjs`);
}

/**
 * The environment Lambda gives the function: the template's variables (a CloudFormation reference becomes a
 * placeholder of the right shape) plus the region the runtime sets.
 */
export function functionEnvironment(stack: PackagedStack, name: string): Record<string, string> {
  const environment = functionResource(stack, name).Properties.Environment as
    | { Variables: Record<string, unknown> }
    | undefined;
  const variables = Object.entries(environment?.Variables ?? {}).map(([key, value]) => [
    key,
    typeof value === 'string' ? value : 'sg-0123456789abcdef0',
  ]);
  return { ...Object.fromEntries(variables), AWS_REGION: PACKAGE_ENV.AWS_REGION };
}

/** `import{…}from"./x.mjs"`, `import"./x.mjs"`, `export{…}from"./x.mjs"`: esbuild's static chunk imports (not `import(…)`). */
const STATIC_IMPORT = /(?:import|export)\s*(?:\{[^}]*\}\s*from\s*)?"\.\/([^"]+\.mjs)"/g;

/**
 * The files a `node` import of the handler reads at init: the handler and the chunks it imports statically,
 * transitively (esbuild's `splitting`). The other chunks beside it (`chunkFiles`) load on a dynamic import.
 */
export function initFiles(handlerPath: string): string[] {
  const folder = dirname(handlerPath);
  const found = new Set<string>();
  const pending = [basename(handlerPath)];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (found.has(file)) continue;
    found.add(file);
    for (const [, chunk] of readFileSync(join(folder, file), 'utf8').matchAll(STATIC_IMPORT))
      pending.push(chunk ?? '');
  }
  return [...found].sort();
}

/** Every module file in the handler's folder: the handler and all its chunks, static or lazy. */
export function chunkFiles(handlerPath: string): string[] {
  return readdirSync(dirname(handlerPath))
    .filter((file) => file.endsWith('.mjs'))
    .sort();
}
