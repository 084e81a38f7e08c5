/**
 * A hub and a spoke (issue 17): the stack's own VPC and a second account's VPC, reached by an assumed role.
 * Against the TiDB Cloud simulator over HTTP and two EC2 fakes (one per account), every call decided by the
 * policy engine: the hub's under its packaged role, AssumeRole under the hub role and the spoke template's
 * trust policy, the spoke's EC2 calls under the spoke role's policies as the hub function's session. The
 * spoke's endpoints are created in the spoke's VPC with the spoke's zones, registered with TiDB by their id
 * and Ready; its events name its account; a refused role (a wrong external id) blocks that spoke's pairs
 * only, STS throttling is Error for them only.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLUSTER_ID_TAG } from '../../../functions/core/model.ts';
import { DETAIL_TYPES } from '../../../functions/core/ports.ts';
import type { ReconcileDeps } from '../../../functions/core/reconcile/types.ts';
import { perCluster, provisionStack, reconcileStack } from '../../../functions/core/reconcile/vpcs.ts';
import { SPOKE_ACCOUNT, type SpokeAccount, spokeAccount } from '../../../testing/spoke-account.ts';
import { startWorld, VirtualClock, type World } from '../../../testing/world.ts';

const HOUR = 3_600_000;

let world: World;
let spoke: SpokeAccount;
let deps: ReconcileDeps;

const EXTERNAL_ID = 'tenant-42-shared';
/** The hub's own VPC as its package's shape (one own VPC): AssumeRole does not depend on its ids. */
const HUB_SHAPE = [
  { vpcId: 'vpc-0aaa', subnetIds: ['subnet-0a1', 'subnet-0a2', 'subnet-0a3'], securityGroupIds: ['sg-0a'] },
];

beforeEach(async () => {
  const clock = new VirtualClock();
  spoke = await spokeAccount(clock, HUB_SHAPE, { externalId: EXTERNAL_ID });
  world = await startWorld({ clock, accounts: [spoke.ec2] });
  const { vpcId, subnetIds, securityGroupIds } = world.settings;
  // The hub's function, under its packaged role for its own VPC; the spoke's calls go through the spoke's port.
  const hub = await world.depsFor('reconcile');
  deps = {
    ...hub,
    accounts: spoke.accounts,
    settings: { ...world.settings, vpcs: [{ vpcId, subnetIds, securityGroupIds }, spoke.placement] },
  };
});

afterEach(async () => {
  await world.close();
});

const waitUntil = () => ({ deadline: world.clock.now() + HOUR });

const live = async (account: { listManagedEndpoints: World['ec2']['listManagedEndpoints'] }) =>
  (await account.listManagedEndpoints()).filter((e) => !['deleted', 'deleting'].includes(e.state));

describe('a hub and a spoke account', () => {
  it("creates the spoke's endpoints in the spoke's VPC and account, registered with TiDB and Ready", async () => {
    const cluster = world.addCluster();

    const outcomes = await reconcileStack(deps, waitUntil());

    expect(outcomes.map((o) => [o.vpcId, o.accountId, o.phase])).toEqual([
      [world.settings.vpcId, undefined, 'Ready'],
      [spoke.placement.vpcId, SPOKE_ACCOUNT, 'Ready'],
    ]);
    const [own] = await live(world.ec2);
    const [theirs] = await live(spoke.ec2);
    expect(own?.vpcId).toBe(world.settings.vpcId);
    expect(theirs?.vpcId).toBe(spoke.placement.vpcId);
    expect(theirs?.tags[CLUSTER_ID_TAG]).toBe(cluster.clusterId);
    expect(theirs?.state).toBe('available');
    // Only the spoke's subnets in AZ IDs the service supports, by the spoke's own zone names.
    expect(theirs?.subnetIds.sort()).toEqual(
      ['use1-az1', 'use1-az4'].map((zoneId) => spoke.ec2.world.subnetIdByZoneId[zoneId]).sort(),
    );
    const connections = await world.sim.connections();
    expect(connections.map((c) => c.endpointId).sort()).toEqual(
      [own?.vpcEndpointId, theirs?.vpcEndpointId].sort(),
    );
    expect(connections.every((c) => c.endpointState === 'ACTIVE')).toBe(true);
    expect(spoke.assumed).toBeGreaterThanOrEqual(1);
  });

  it("keeps to the spoke role's grants: a call it does not allow is refused in the spoke", async () => {
    const port = spoke.accounts.ec2Of(spoke.placement.vpcId);
    // The spoke role may describe the network, never delete a VPC endpoint that is not the hub's.
    await expect(port?.describeSubnets(spoke.placement.subnetIds)).resolves.toHaveLength(3);
    await expect(port?.deleteVpcEndpoints(['vpce-0123456789abcdef0'])).rejects.toMatchObject({
      awsCode: 'UnauthorizedOperation',
    });
  });

  it("names the spoke's account in its pairs' events, never in the cluster's Detected", async () => {
    world.addCluster();
    await reconcileStack(deps, waitUntil());
    const ready = world.events.ofType(DETAIL_TYPES.endpointReady);
    expect(ready.map((e) => e.detail.accountId).sort()).toEqual([SPOKE_ACCOUNT, undefined].sort());
    const [spokeReady] = ready.filter((e) => e.detail.accountId === SPOKE_ACCOUNT);
    const [spokeEndpoint] = await live(spoke.ec2);
    expect(spokeReady?.detail.vpcEndpointId).toBe(spokeEndpoint?.vpcEndpointId);
    const progressed = world.events.ofType(DETAIL_TYPES.provisioningProgressed);
    expect(progressed.some((e) => e.detail.accountId === SPOKE_ACCOUNT)).toBe(true);
    const detected = world.events.ofType(DETAIL_TYPES.clusterDetected);
    expect(detected).toHaveLength(1);
    expect(detected[0]?.detail).not.toHaveProperty('accountId');
  });

  it('a refused role (wrong external id) blocks only the spoke: SPOKE_ACCESS_DENIED; the hub VPC is Ready', async () => {
    spoke.externalId = 'not-the-spoke-s';
    const clusters = [world.addCluster(), world.addCluster()];

    const outcomes = await reconcileStack(deps, waitUntil());

    for (const cluster of clusters) {
      const own = outcomes.filter((o) => o.clusterId === cluster.clusterId);
      expect(own.map((o) => [o.vpcId, o.phase, o.reason])).toEqual([
        [world.settings.vpcId, 'Ready', undefined],
        [spoke.placement.vpcId, 'Blocked', 'SPOKE_ACCESS_DENIED'],
      ]);
      const blocked = own[1];
      expect(blocked?.accountId).toBe(SPOKE_ACCOUNT);
      expect(blocked?.remediation).toContain(`aws sts assume-role --role-arn ${spoke.spoke.roleArn}`);
    }
    expect(await live(spoke.ec2)).toEqual([]);
    const blockedEvents = world.events.ofType(DETAIL_TYPES.provisioningBlocked);
    expect(blockedEvents.map((e) => [e.detail.reason, e.detail.accountId])).toEqual([
      ['SPOKE_ACCESS_DENIED', SPOKE_ACCOUNT],
      ['SPOKE_ACCESS_DENIED', SPOKE_ACCOUNT],
    ]);
    // The registry keeps one phase per cluster: the most pressing, the spoke's.
    expect(perCluster(outcomes).map((o) => o.reason)).toEqual(['SPOKE_ACCESS_DENIED', 'SPOKE_ACCESS_DENIED']);
  });

  it('STS throttling is Error for the spoke pairs only; the next run, with STS back, reaches Ready', async () => {
    spoke.stsOutage = 'Throttling';
    const cluster = world.addCluster();
    const outcomes = await provisionStack(deps, { clusterId: cluster.clusterId }, waitUntil());
    expect(outcomes.map((o) => [o.vpcId, o.phase, o.error?.code])).toEqual([
      [world.settings.vpcId, 'Ready', undefined],
      [spoke.placement.vpcId, 'Error', 'Throttling'],
    ]);
    spoke.stsOutage = undefined;
    const again = await provisionStack(deps, { clusterId: cluster.clusterId }, waitUntil());
    expect(again.map((o) => o.phase)).toEqual(['Ready', 'Ready']);
  });
});
