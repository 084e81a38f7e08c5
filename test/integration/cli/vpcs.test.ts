/**
 * The command line with `PRIVATELINK_VPCS` (two VPCs): `provision`, `reconcile` and `status` show one row per
 * cluster per VPC; bad settings are refused with exit 2. The TiDB Cloud simulator over HTTP and the EC2 fake.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DiagnosticReport } from '../../../functions/core/diagnose/report.ts';
import type { ProvisionOutcome, VpcPlacement } from '../../../functions/core/reconcile/types.ts';
import { runCliAsOperator } from '../../../testing/operator-cli.ts';
import { startVpcStandIn } from '../../../testing/vpc-stand-in.ts';
import { startWorld, type World } from '../../../testing/world.ts';

let world: World;
let vpcs: VpcPlacement[];

beforeEach(async () => {
  world = await startWorld();
  const vpcId = world.ec2.createVpc({ cidrBlocks: ['10.1.0.0/16'] });
  const subnetIds = ['use1-az1', 'use1-az4'].map((availabilityZoneId, index) =>
    world.ec2.createSubnet({ vpcId, availabilityZoneId, cidrBlock: `10.1.${index * 16}.0/20` }),
  );
  vpcs = [
    {
      vpcId: world.ec2.world.vpcId,
      subnetIds: world.ec2.world.subnetIds,
      securityGroupIds: [world.ec2.world.securityGroupId],
    },
    { vpcId, subnetIds, securityGroupIds: [] },
  ];
  // A cold package of this stack's policies takes longer than a test may: made (or found cached) here.
  await world.cliDepsAs('operator-provision', { ...world.settings, vpcs });
});

afterEach(async () => {
  await world.close();
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    TIDB_CLOUD_API_URL: world.sim.url,
    TIDB_CLOUD_PUBLIC_KEY: world.sim.publicKey,
    TIDB_CLOUD_PRIVATE_KEY: world.sim.privateKey,
    AWS_REGION: 'us-east-1',
    PRIVATELINK_VPCS: JSON.stringify(vpcs),
    ...extra,
  };
}

/** The CLI under the operator policies of a stack serving both VPCs (packaged once for this shape). */
const cli = (args: string[], extra?: Record<string, string>) =>
  runCliAsOperator(world, args, env(extra), {}, { ...world.settings, vpcs });

describe('two VPCs on the command line', () => {
  it('provision --wait: Ready in both VPCs, one outcome per VPC (exit 0)', async () => {
    const cluster = world.addCluster();
    const run = await cli(['provision', '--cluster', cluster.clusterId, '--wait', '--json']);
    expect(run.code).toBe(0);
    const { clusters } = JSON.parse(run.stdout) as { clusters: ProvisionOutcome[] };
    expect(clusters.map((o) => [o.clusterId, o.vpcId, o.phase])).toEqual(
      vpcs.map((vpc) => [cluster.clusterId, vpc.vpcId, 'Ready']),
    );
    const text = await cli(['provision', '--cluster', cluster.clusterId]);
    expect(text.stdout).toContain(`${cluster.clusterId} in ${vpcs[1]?.vpcId}: Ready`);
  });

  it('provision is Blocked (exit 1) when either VPC is, naming the VPC', async () => {
    world.ec2.setVpcDnsAttributes(vpcs[1]?.vpcId ?? '', { enableDnsSupport: false });
    const cluster = world.addCluster();
    const run = await cli(['provision', '--cluster', cluster.clusterId, '--wait']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${cluster.clusterId} in ${vpcs[1]?.vpcId}: Blocked`);
    expect(run.stdout).toContain(`${cluster.clusterId} in ${vpcs[0]?.vpcId}: Ready`);
  });

  it('reconcile and status: one row per cluster per VPC, with a VPC column', async () => {
    const cluster = world.addCluster();
    await cli(['provision', '--cluster', cluster.clusterId, '--wait']);

    const reconcile = await cli(['reconcile', '--json']);
    expect(reconcile.code).toBe(0);
    const outcomes = (JSON.parse(reconcile.stdout) as { clusters: ProvisionOutcome[] }).clusters;
    expect(outcomes.map((o) => [o.vpcId, o.phase])).toEqual(vpcs.map((vpc) => [vpc.vpcId, 'Ready']));
    const table = await cli(['reconcile']);
    expect(table.stdout.split('\n')[0]).toMatch(/^CLUSTER\s+VPC\s+PHASE\s+ENDPOINT/);

    const status = await cli(['status', '--json']);
    expect(status.code).toBe(0);
    const rows = (JSON.parse(status.stdout) as { clusters: Array<Record<string, unknown>> }).clusters;
    expect(rows.map((row) => [row.vpcId, row.connectionState, row.privateDnsEnabled])).toEqual(
      vpcs.map((vpc) => [vpc.vpcId, 'ACTIVE', true]),
    );
    expect(new Set(rows.map((row) => row.vpcEndpointId)).size).toBe(2);
    expect(outcomes.map((o) => o.vpcEndpointId).sort()).toEqual(rows.map((row) => row.vpcEndpointId).sort());
    const statusTable = await cli(['status']);
    expect(statusTable.stdout.split('\n')[0]).toMatch(/^CLUSTER\s+VPC\s+NAME/);
  });

  it('refuses a bad list and both forms at once: one message, exit 2, nothing created', async () => {
    const cluster = world.addCluster();
    const bad = await cli(['provision', '--cluster', cluster.clusterId], {
      PRIVATELINK_VPCS: '[{"vpcId":"vpc-0aaa"},{"vpcId":"vpc-0aaa","subnetIds":["subnet-0b"]}]',
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('PRIVATELINK_VPCS[0] needs "subnetIds"');
    const both = await cli(['reconcile'], { PRIVATELINK_VPC_ID: world.ec2.world.vpcId });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('PRIVATELINK_VPCS and PRIVATELINK_VPC_ID are both set');
    expect(await world.ec2.listManagedEndpoints()).toEqual([]);
  });

  it("doctor --vpc refuses a VPC that is not the stack's, before any call (exit 2)", async () => {
    const cluster = world.addCluster();
    world.sim.clearRequests();
    const run = await cli(['doctor', '--cluster', cluster.clusterId, '--vpc', 'vpc-0ffff']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `--vpc vpc-0ffff is not one of this stack's VPCs (${vpcs[0]?.vpcId}, ${vpcs[1]?.vpcId})`,
    );
    expect(world.sim.requests).toHaveLength(0);
  });

  it("doctor --vpc diagnoses in that VPC: its endpoint, its VPC's facts", async () => {
    // Loopback addresses for the first endpoints and a local resolver: nothing leaves the machine.
    const standIn = await startVpcStandIn(world.ec2, { sourceCidr: '10.0.0.0/8' });
    try {
      const cluster = world.addCluster({ port: standIn.port });
      standIn.serve(cluster.serviceDnsName, cluster.serviceName);
      await cli(['provision', '--cluster', cluster.clusterId, '--wait']);
      const endpoints = await world.ec2.listManagedEndpoints();
      const second = endpoints.find((e) => e.vpcId === vpcs[1]?.vpcId);
      const doctorIn = async (vpcId: string) => {
        const args = ['doctor', '--cluster', cluster.clusterId, '--vpc', vpcId, '--json'];
        const run = await cli([...args, '--dns-server', standIn.dnsServer, '--timeout-ms', '2000']);
        return JSON.parse(run.stdout) as DiagnosticReport;
      };
      const report = await doctorIn(vpcs[1]?.vpcId ?? '');
      expect(report).toMatchObject({ vpcId: vpcs[1]?.vpcId, vpcEndpointId: second?.vpcEndpointId });
      const first = await doctorIn(vpcs[0]?.vpcId ?? '');
      expect(first.vpcEndpointId).not.toBe(second?.vpcEndpointId);
    } finally {
      await standIn.close();
    }
  });
});
