/**
 * `serverless package` (and so `deploy`) without its settings: one message naming every missing or malformed
 * one (settings.cjs), before anything is built. With them, packaging works as CI runs it (template.test.ts).
 */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

function slsPackage(env: Record<string, string>): Promise<{ code: number; output: string }> {
  const tmp = join(ROOT, '.tmp');
  mkdirSync(tmp, { recursive: true });
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'node_modules/osls/bin/serverless.js'), 'package', '--package', join(tmp, 'sls-unset')],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TMPDIR: tmp, ...env } },
      (error, stdout, stderr) =>
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, output: `${stdout}${stderr}` }),
    );
  });
}

const problemLines = (output: string) => output.split('\n').filter((line) => line.startsWith('  - '));

describe('serverless package without its settings', () => {
  it('fails with one message listing every missing setting', async () => {
    const { code, output } = await slsPackage({});
    expect(code).not.toBe(0);
    const lines = problemLines(output);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /deploy settings: TIDB_CLOUD_API_KEY_SECRET_ARN is not set \(.*\); PRIVATELINK_VPC_ID is not set \(.*\); PRIVATELINK_SUBNET_IDS is not set \(.*\)\. Export them/,
    );
    expect(output).not.toMatch(/Value not found|^\s+at /m);
  }, 60_000);

  it('names a malformed setting next to the missing ones, and leaves the valid ones out', async () => {
    const { code, output } = await slsPackage({
      PRIVATELINK_VPC_ID: 'vpc-0123456789abcdef0',
      PRIVATELINK_SUBNET_IDS: 'subnet-0aaa,sn-2',
    });
    expect(code).not.toBe(0);
    const lines = problemLines(output);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('TIDB_CLOUD_API_KEY_SECRET_ARN is not set (');
    expect(lines[0]).toContain('"sn-2" in PRIVATELINK_SUBNET_IDS is not a subnet id (subnet-…)');
    expect(lines[0]).not.toContain('PRIVATELINK_VPC_ID');
  }, 60_000);
});
