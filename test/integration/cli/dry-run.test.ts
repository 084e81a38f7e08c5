/**
 * `provision --dry-run` and `reconcile --dry-run` as a user runs them: the real command line in-process, so
 * the EC2 fake and the simulator can prove nothing changed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProvisionOutcome } from '../../../functions/core/reconcile/types.ts';
import { runCliAsOperator } from '../../../testing/operator-cli.ts';
import { cliEnvOf, startWorld, type World } from '../../../testing/world.ts';

let world: World;

beforeEach(async () => {
  world = await startWorld();
});

afterEach(async () => {
  await world.close();
});

const cli = (args: string[]) => runCliAsOperator(world, args, cliEnvOf(world));
const mutatingTidbRequests = () => world.sim.requests.filter((request) => request.method !== 'GET');

describe('provision --dry-run', () => {
  it('prints create, register and enable in order with their equivalents, exits 0, changes nothing', async () => {
    const cluster = world.addCluster({ displayName: 'orders' });
    const run = await cli(['provision', '--cluster', cluster.clusterId, '--dry-run']);

    expect(run.code).toBe(0);
    expect(world.ec2.mutatingCalls).toBe(0);
    expect(mutatingTidbRequests()).toEqual([]);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toContain('Dry run: nothing was changed');
    const steps = lines.filter((line) => line.includes('would '));
    expect(steps).toEqual([
      '  would 1: create-endpoint',
      '  would 2: register-connection',
      expect.stringMatching(/^ {2}would 3: enable-private-dns \(after TiDB Cloud accepts/),
    ]);
    const commandAfter = (step: string) => lines[lines.indexOf(step) + 1]?.trim();
    expect(commandAfter('  would 1: create-endpoint')).toMatch(
      /^aws ec2 create-vpc-endpoint .*--vpc-id vpc-\S+ --service-name \S+ --subnet-ids subnet-\S+ subnet-\S+ --security-group-ids sg-\S+ --no-private-dns-enabled/,
    );
    expect(commandAfter('  would 2: register-connection')).toMatch(
      /^TiDB Cloud API: POST \/v1beta1\/clusters\/\d+\/tidbNodeGroups\/\d+\/privateEndpointConnections /,
    );
  });

  it('--json carries the planned actions, each with its equivalent', async () => {
    const cluster = world.addCluster();
    const run = await cli(['provision', '--cluster', cluster.clusterId, '--dry-run', '--json']);
    expect(run.code).toBe(0);
    const outcome = JSON.parse(run.stdout) as ProvisionOutcome;
    expect(outcome).toMatchObject({ phase: 'Progressing', actions: [], vpcEndpointId: null });
    expect(outcome.plannedActions?.map((action) => [action.type, typeof action.equivalent])).toEqual([
      ['create-endpoint', 'string'],
      ['register-connection', 'string'],
      ['enable-private-dns', 'string'],
    ]);
  });

  it('a Blocked cluster still exits 0 (nothing failed: nothing was tried)', async () => {
    const cluster = world.addCluster({ regionId: 'aws-eu-west-1' });
    const run = await cli(['provision', '--cluster', cluster.clusterId, '--dry-run']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Blocked');
  });

  it('an API error exits 2', async () => {
    const run = await cli(['provision', '--cluster', '1379661944646413143', '--dry-run']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
  });

  it('refuses --dry-run with --wait in one sentence, exit 2', async () => {
    const run = await cli(['provision', '--cluster', '1', '--dry-run', '--wait']);
    expect(run).toMatchObject({ code: 2, stdout: '' });
    expect(run.stderr).toContain('--dry-run and --wait cannot be combined');
  });
});

describe('reconcile --dry-run', () => {
  it('lists every cluster with its plan, changes nothing, and a real reconcile then does it', async () => {
    const first = world.addCluster({ displayName: 'a' });
    const second = world.addCluster({ displayName: 'b' });
    const run = await cli(['reconcile', '--dry-run', '--json']);
    expect(run.code).toBe(0);
    expect(world.ec2.mutatingCalls).toBe(0);
    expect(mutatingTidbRequests()).toEqual([]);
    expect(world.events.published).toEqual([]);
    const { clusters } = JSON.parse(run.stdout) as { clusters: ProvisionOutcome[] };
    expect(clusters.map((c) => [c.clusterId, c.plannedActions?.length])).toEqual([
      [first.clusterId, 3],
      [second.clusterId, 3],
    ]);

    const real = await cli(['reconcile', '--json']);
    expect(real.code).toBe(0);
    expect(world.ec2.calls.CreateVpcEndpoint).toBe(2);
  });
});
