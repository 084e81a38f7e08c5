/**
 * The CLI under the stack's operator policies (resources/operator-policies.yml), in-process against the
 * simulator and the EC2 fake, every EC2 call decided against the policy first: the read-only policy
 * is enough for `status` and the dry runs and refuses a real provision; with the provision policy too, the
 * provision reaches Ready.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SUBNET_CONFIG_TAG } from '../../../functions/core/model.ts';
import { DETAIL_TYPES } from '../../../functions/core/ports.ts';
import { enforcedEvents } from '../../../testing/iam/enforce.ts';
import { authorizerAs } from '../../../testing/iam/enforce-ports.ts';
import { runCliWith } from '../../../testing/run-cli.ts';
import { cliEnvOf, type OperatorPolicies, startWorld, type World } from '../../../testing/world.ts';

let world: World;

beforeEach(async () => {
  world = await startWorld();
});

afterEach(async () => {
  await world.close();
});

const cliAs = async (holder: OperatorPolicies, args: string[]) =>
  runCliWith(args, cliEnvOf(world), await world.cliDepsAs(holder));

describe('the read-only operator policy', () => {
  it('runs status and both dry runs', async () => {
    const cluster = world.addCluster();
    for (const args of [
      ['status'],
      ['reconcile', '--dry-run'],
      ['provision', '--cluster', cluster.clusterId, '--dry-run'],
    ]) {
      const run = await cliAs('operator-read-only', args);
      expect(run.stderr, args.join(' ')).not.toMatch(/not authorized/);
      expect(run.code, args.join(' ')).toBe(0);
    }
  });

  it('refuses a real provision as EC2 does, and nothing is created', async () => {
    const cluster = world.addCluster();
    const run = await cliAs('operator-read-only', ['provision', '--cluster', cluster.clusterId, '--json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({
      phase: 'Blocked',
      reason: 'ENDPOINT_CREATE_FAILED',
      message: expect.stringMatching(
        /\(UnauthorizedOperation\): You are not authorized to perform this operation\. .* ec2:CreateVpcEndpoint on resource/,
      ),
      // The fix is the missing permission, not the subnets or the quota.
      remediation: expect.stringContaining('OperatorProvisionPolicy'),
    });
    expect(JSON.parse(run.stdout).remediation).not.toMatch(/subnets, security groups/);
    expect(world.ec2.peekEndpoints()).toEqual([]);
  });
});

describe('the provision operator policy (with the read-only one)', () => {
  it("with PRIVATELINK_EVENT_BUS, publishes the run's events to the stack's bus", async () => {
    const cluster = world.addCluster();
    const holder = await world.cliDepsAs('operator-provision');
    // The bus the package names (the world's stack keeps EventBridge's default bus).
    const authorizer = await authorizerAs('operator-provision', [world.settings]);
    const events = enforcedEvents(world.events, authorizer, 'default');
    const env = cliEnvOf(world, { PRIVATELINK_EVENT_BUS: 'default' });
    const run = await runCliWith(['provision', '--cluster', cluster.clusterId, '--wait'], env, {
      ...holder,
      events,
    });
    expect(run.code).toBe(0);
    expect(world.events.ofType(DETAIL_TYPES.endpointReady).map((e) => e.detail.clusterId)).toEqual([
      cluster.clusterId,
    ]);
  });

  it('moves a live endpoint to a changed subnet configuration and records it', async () => {
    const cluster = world.addCluster({ availableZones: ['use1-az1', 'use1-az4', 'use1-az6'] });
    expect(
      (await cliAs('operator-provision', ['provision', '--cluster', cluster.clusterId, '--wait'])).code,
    ).toBe(0);
    const az6 = world.ec2.createSubnet({
      vpcId: world.ec2.world.vpcId,
      availabilityZoneId: 'use1-az6',
      cidrBlock: '10.0.64.0/20',
    });
    const subnets = [...world.ec2.world.subnetIds, az6].join(',');
    const run = await runCliWith(
      ['reconcile', '--json'],
      cliEnvOf(world, { PRIVATELINK_SUBNET_IDS: subnets }),
      await world.cliDepsAs('operator-provision'),
    );
    expect(run.code).toBe(0);
    const [endpoint] = world.ec2.peekEndpoints();
    expect(endpoint?.subnetIds).toContain(az6);
    expect(endpoint?.tags[SUBNET_CONFIG_TAG]).toBeDefined();
  });

  it('provisions a cluster to Ready', async () => {
    const cluster = world.addCluster();
    const run = await cliAs('operator-provision', ['provision', '--cluster', cluster.clusterId, '--wait']);
    expect(run.code).toBe(0);
    expect(world.ec2.peekEndpoints().map((e) => [e.state, e.privateDnsEnabled])).toEqual([
      ['available', true],
    ]);
  });
});
