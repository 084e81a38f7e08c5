import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

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
