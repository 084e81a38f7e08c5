/**
 * `tidb-privatelink preflight` at the CLI level: the real bin for usage and configuration errors (exit 2, one
 * sentence), and the command in-process on the EC2 fake and the simulator for the report and exit codes.
 * The AWS side against moto is in test/sandbox/preflight.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PreflightReport } from '../../../functions/core/preflight/ports.ts';
import { runCliAsOperator } from '../../../testing/operator-cli.ts';
import { spawnCli } from '../../../testing/run-cli.ts';
import { startWorld, type World } from '../../../testing/world.ts';

describe('tidb-privatelink preflight (the real bin)', () => {
  it('lists every missing setting in one sentence and exits 2, before any call', async () => {
    const run = await spawnCli(['preflight'], {});
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    for (const name of [
      'AWS_REGION',
      'PRIVATELINK_VPC_ID',
      'PRIVATELINK_SUBNET_IDS',
      'TIDB_CLOUD_API_KEY_SECRET_ARN',
    ]) {
      expect(run.stderr).toContain(name);
    }
  });

  it('rejects a bad flag with exit 2 and prints its help with exit 0', async () => {
    const bad = await spawnCli(['preflight', '--timeout-ms', 'soon'], {});
    expect(bad).toMatchObject({ code: 2, stdout: '' });
    expect(bad.stderr).toMatch(/--timeout-ms must be a positive whole number up to 600000; got "soon"/);
    const help = await spawnCli(['preflight', '--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: tidb-privatelink preflight/);
    const main = await spawnCli(['--help'], {});
    expect(main.stdout).toMatch(/^ {2}preflight {3}before a deploy/m);
  });
});

describe('tidb-privatelink preflight (in-process on the EC2 fake and the simulator)', () => {
  let world: World;
  let env: Record<string, string>;

  beforeEach(async () => {
    world = await startWorld();
    world.addCluster();
    env = {
      AWS_REGION: 'us-east-1',
      TIDB_CLOUD_PUBLIC_KEY: world.sim.publicKey,
      TIDB_CLOUD_PRIVATE_KEY: world.sim.privateKey,
      PRIVATELINK_VPC_ID: world.ec2.world.vpcId,
      PRIVATELINK_SUBNET_IDS: world.ec2.world.subnetIds.join(','),
    };
  });

  afterEach(() => world.close());

  it('--json: the report, exit 0 with a warning (keys from the environment, no secret yet)', async () => {
    const run = await runCliAsOperator(world, ['preflight', '--json'], env);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as PreflightReport;
    expect(report).toMatchObject({ region: 'us-east-1', vpcId: world.ec2.world.vpcId, ready: true });
    expect(report.checks.filter((check) => check.status !== 'pass').map((check) => check.id)).toEqual([
      'tidb.api-key-secret',
    ]);
  });

  it('exit 1 with the fix printed under the failed check', async () => {
    world.ec2.setVpcDnsAttributes(world.ec2.world.vpcId, { enableDnsSupport: false });
    const run = await runCliAsOperator(world, ['preflight'], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `    fix: aws ec2 modify-vpc-attribute --vpc-id ${world.ec2.world.vpcId} --enable-dns-support '{"Value":true}'`,
    );
    expect(run.stdout).toMatch(/^NOT READY: 8 passed, 1 warnings, 1 failed, 0 skipped/m);
  });
});
