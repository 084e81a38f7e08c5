/**
 * Plan mode (issue 11): the real converge loop with a recorder in place of apply, against the TiDB Cloud
 * simulator over HTTP and the EC2 fake. It observes, plans and changes nothing: no mutating EC2 call, no
 * request to TiDB Cloud but GETs, no event.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ORPHANED_SINCE_TAG } from '../../../functions/core/model.ts';
import { provision, reconcileAll } from '../../../functions/core/reconcile/reconcile.ts';
import { startWorld, type World } from '../../../testing/world.ts';

const HOUR = 3_600_000;
let world: World;

beforeEach(async () => {
  world = await startWorld();
});

afterEach(async () => {
  await world.close();
});

const wait = () => ({ deadline: world.clock.now() + HOUR });

/** Everything that could have changed something since the counters were reset. */
function changes() {
  return {
    ec2: world.ec2.mutatingCalls,
    tidb: world.sim.requests.filter((request) => request.method !== 'GET').map((r) => r.path),
    events: world.events.published.length,
  };
}

function resetCounters() {
  world.ec2.resetCalls();
  world.sim.clearRequests();
  world.events.published.length = 0;
}

describe('provision --dry-run of a fresh cluster', () => {
  it('plans create, register and enable in order, with their equivalents, and changes nothing', async () => {
    const cluster = world.addCluster({ displayName: 'orders' });
    resetCounters();

    const outcome = await provision(world.deps, { clusterId: cluster.clusterId }, { dryRun: true });

    expect(changes()).toEqual({ ec2: 0, tidb: [], events: 0 });
    expect(await world.ec2.listManagedEndpoints()).toEqual([]);
    expect(outcome).toMatchObject({ phase: 'Progressing', vpcEndpointId: null, actions: [] });
    const planned = outcome.plannedActions ?? [];
    expect(planned.map((action) => action.type)).toEqual([
      'create-endpoint',
      'register-connection',
      'enable-private-dns',
    ]);
    const [create, register, enable] = planned;
    const { vpcId, securityGroupId, subnetIdByZoneId } = world.ec2.world;
    expect(create?.equivalent).toContain('aws ec2 create-vpc-endpoint --region us-east-1');
    for (const part of [
      `--vpc-id ${vpcId}`,
      `--service-name ${cluster.serviceName}`,
      // The service's AZs here are use1-az1/az4/az6; the VPC has subnets in az1, az2 and az4.
      `--subnet-ids ${subnetIdByZoneId['use1-az1']} ${subnetIdByZoneId['use1-az4']}`,
      `--security-group-ids ${securityGroupId}`,
      '--no-private-dns-enabled',
      'Key=tidb-privatelink:managed-by,Value=tidb-privatelink',
      `Key=tidb-privatelink:cluster-id,Value=${cluster.clusterId}`,
    ]) {
      expect(create?.equivalent).toContain(part);
    }
    expect(register?.equivalent).toBe(
      `TiDB Cloud API: POST /v1beta1/clusters/${cluster.clusterId}/tidbNodeGroups/${cluster.tidbNodeGroupId}/privateEndpointConnections {"endpointId":"<new endpoint id>"}`,
    );
    expect(enable).toMatchObject({
      equivalent:
        'aws ec2 modify-vpc-endpoint --region us-east-1 --vpc-endpoint-id <new endpoint id> --private-dns-enabled',
      when: expect.stringContaining('after TiDB Cloud accepts'),
    });
  });

  it('plans exactly what the real run then does', async () => {
    const cluster = world.addCluster();
    const planned = await provision(world.deps, { clusterId: cluster.clusterId }, { dryRun: true });
    const real = await provision(world.deps, { clusterId: cluster.clusterId }, wait());
    expect(real.phase).toBe('Ready');
    expect(real.actions.map((action) => action.type)).toEqual(
      planned.plannedActions?.map((action) => action.type),
    );
    const [create] = real.actions;
    expect(create?.type === 'create-endpoint' && create.subnetIds).toEqual(
      planned.plannedActions?.[0]?.type === 'create-endpoint' && planned.plannedActions[0].subnetIds,
    );
  });
});

describe('dry runs part way', () => {
  it('a connection still PENDING: nothing to do yet, waiting for TiDB', async () => {
    const cluster = world.addCluster();
    await provision(world.deps, { clusterId: cluster.clusterId });
    resetCounters();
    const outcome = await provision(world.deps, { clusterId: cluster.clusterId }, { dryRun: true });
    expect(outcome).toMatchObject({ phase: 'Progressing', plannedActions: [] });
    expect(outcome.waitingFor).toContain('TiDB Cloud to accept');
    expect(changes()).toEqual({ ec2: 0, tidb: [], events: 0 });
  });

  it('a changed subnet list: plans the in-place subnet change with modify-vpc-endpoint', async () => {
    const cluster = world.addCluster();
    const ready = await provision(world.deps, { clusterId: cluster.clusterId }, wait());
    const az1 = world.ec2.world.subnetIdByZoneId['use1-az1'] ?? '';
    world.settings.subnetIds = [az1];
    resetCounters();
    const outcome = await provision(world.deps, { clusterId: cluster.clusterId }, { dryRun: true });
    expect(outcome.plannedActions).toEqual([
      expect.objectContaining({
        type: 'modify-endpoint-subnets',
        equivalent: `aws ec2 modify-vpc-endpoint --region us-east-1 --vpc-endpoint-id ${ready.vpcEndpointId} --remove-subnet-ids ${world.ec2.world.subnetIdByZoneId['use1-az4']}`,
      }),
    ]);
    expect(changes()).toEqual({ ec2: 0, tidb: [], events: 0 });
  });

  it('a Blocked cluster stays Blocked with nothing planned', async () => {
    const cluster = world.addCluster({ regionId: 'aws-eu-west-1' });
    const outcome = await provision(world.deps, { clusterId: cluster.clusterId }, { dryRun: true });
    expect(outcome).toMatchObject({ phase: 'Blocked', reason: 'REGION_MISMATCH', plannedActions: [] });
  });
});

describe('reconcile --dry-run', () => {
  it('plans for every cluster and every orphan (mark, delete connection then endpoint), changing nothing', async () => {
    world.settings.deleteOrphansAfterMs = HOUR;
    const ready = world.addCluster({ displayName: 'ready' });
    await provision(world.deps, { clusterId: ready.clusterId }, wait());
    const retiring = world.addCluster({ displayName: 'retiring' });
    const retiringOutcome = await provision(world.deps, { clusterId: retiring.clusterId }, wait());
    world.sim.setClusterState(retiring.clusterId, 'DELETING');
    await reconcileAll(world.deps);
    await world.clock.sleep(2 * HOUR);
    const gone = world.addCluster({ displayName: 'gone' });
    const goneOutcome = await provision(world.deps, { clusterId: gone.clusterId }, wait());
    world.sim.removeCluster(gone.clusterId);
    const fresh = world.addCluster({ displayName: 'fresh' });
    resetCounters();

    const outcomes = await reconcileAll(world.deps, { dryRun: true });

    expect(changes()).toEqual({ ec2: 0, tidb: [], events: 0 });
    const plans = Object.fromEntries(
      outcomes.map((o) => [o.clusterId, o.plannedActions?.map((action) => action.type)]),
    );
    expect(plans).toEqual({
      [ready.clusterId]: [],
      [fresh.clusterId]: ['create-endpoint', 'register-connection', 'enable-private-dns'],
      [retiring.clusterId]: ['delete-connection', 'delete-endpoint'],
      [gone.clusterId]: ['mark-orphaned'],
    });
    const retiringPlan = outcomes.find((o) => o.clusterId === retiring.clusterId)?.plannedActions ?? [];
    expect(retiringPlan.map((action) => action.equivalent)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^TiDB Cloud API: DELETE /v1beta1/clusters/${retiring.clusterId}/tidbNodeGroups/${retiring.tidbNodeGroupId}/privateEndpointConnections/\\d+$`,
        ),
      ),
      `aws ec2 delete-vpc-endpoints --region us-east-1 --vpc-endpoint-ids ${retiringOutcome.vpcEndpointId}`,
    ]);
    const [endpoint] = await world.ec2.findEndpoints({ vpcEndpointIds: [goneOutcome.vpcEndpointId ?? ''] });
    expect(endpoint?.tags[ORPHANED_SINCE_TAG]).toBeUndefined();
  });
});
