/**
 * The provisioning Lambdas with two VPCs in one stack: the Detected event takes the immediate steps in both
 * VPCs, a direct invoke converges both; the scheduled reconcile answers one outcome per cluster per VPC.
 * The TiDB Cloud simulator over HTTP and the EC2 fake.
 */
import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProvisionHandler, createReconcileHandler } from '../../../functions/app/provisioning.ts';
import type { ProvisionOutcome, ReconcileDeps } from '../../../functions/core/reconcile/types.ts';
import { MemoryClusterRegistry } from '../../../testing/registry-fake.ts';
import { startWorld, type World } from '../../../testing/world.ts';

const logger = new Logger({ serviceName: 'tidb-privatelink', logLevel: 'SILENT' });
const context = (remainingMs: number) => ({ getRemainingTimeInMillis: () => remainingMs }) as Context;
const detected = JSON.parse(
  readFileSync(new URL('../../../events/cluster-detected.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

let world: World;
let deps: ReconcileDeps;
let vpcIds: string[];

beforeEach(async () => {
  world = await startWorld();
  const vpcId = world.ec2.createVpc({ cidrBlocks: ['10.1.0.0/16'] });
  const subnetId = world.ec2.createSubnet({
    vpcId,
    availabilityZoneId: 'use1-az1',
    cidrBlock: '10.1.0.0/20',
  });
  const { settings } = world;
  const first = {
    vpcId: settings.vpcId,
    subnetIds: settings.subnetIds,
    securityGroupIds: settings.securityGroupIds,
  };
  // A stack packaged with both VPCs, under the reconcile's role (the provision's grants the same here).
  deps = await world.depsFor('reconcile', {
    ...settings,
    vpcs: [first, { vpcId, subnetIds: [subnetId], securityGroupIds: [] }],
  });
  vpcIds = [settings.vpcId, vpcId];
});

afterEach(async () => {
  await world.close();
});

describe('provisioning handlers with two VPCs', () => {
  it('provision: TiDB Cluster Detected takes the immediate steps in both VPCs, one outcome each', async () => {
    const cluster = world.addCluster();
    const handler = createProvisionHandler(async () => deps, logger);
    const event = { ...detected, detail: { clusterId: cluster.clusterId } };
    const result = (await handler(event, context(900_000))) as { clusters: ProvisionOutcome[] };
    // One pass per event (the scheduled reconcile polls what waits): an endpoint created in each VPC.
    expect(result.clusters.map((o) => [o.clusterId, o.vpcId, o.actions[0]?.type])).toEqual(
      vpcIds.map((vpcId) => [cluster.clusterId, vpcId, 'create-endpoint']),
    );
  });

  it('provision: a direct invoke converges to Ready in both VPCs', async () => {
    const cluster = world.addCluster();
    const handler = createProvisionHandler(async () => deps, logger);
    const result = (await handler({ clusterId: cluster.clusterId }, context(900_000))) as {
      clusters: ProvisionOutcome[];
    };
    expect(result.clusters.map((o) => [o.clusterId, o.vpcId, o.phase])).toEqual(
      vpcIds.map((vpcId) => [cluster.clusterId, vpcId, 'Ready']),
    );
  });

  it('reconcile: one outcome per cluster per VPC', async () => {
    const clusters = [world.addCluster(), world.addCluster()];
    const handler = createReconcileHandler(async () => deps, logger);
    const { clusters: outcomes } = (await handler({}, context(900_000))) as { clusters: ProvisionOutcome[] };
    expect(outcomes).toHaveLength(4);
    for (const cluster of clusters) {
      const own = outcomes.filter((o) => o.clusterId === cluster.clusterId);
      expect(own.map((o) => o.vpcId).sort()).toEqual([...vpcIds].sort());
      expect(own.every((o) => o.phase === 'Ready')).toBe(true);
    }
  });

  it("reconcile: the registry records each cluster's most pressing VPC", async () => {
    // The first VPC is the Blocked one: its outcome comes first, so a last-write-wins record would say Ready.
    world.ec2.setVpcDnsAttributes(vpcIds[0] ?? '', { enableDnsHostnames: false });
    const cluster = world.addCluster();
    const registry = (await world.portsFor('reconcile', deps.settings)).registry(new MemoryClusterRegistry());
    const handler = createReconcileHandler(async () => ({ ...deps, registry }), logger);
    const { clusters: outcomes } = (await handler({}, context(900_000))) as { clusters: ProvisionOutcome[] };
    expect(outcomes.map((o) => [o.vpcId, o.phase])).toEqual([
      [vpcIds[0], 'Blocked'],
      [vpcIds[1], 'Ready'],
    ]);
    expect(registry.rows.get(cluster.clusterId)?.phase).toBe('Blocked');
  });
});
