/**
 * Several VPCs in one stack: each endpoint is probed by the data plane that runs in its own VPC, with that
 * data plane's placement as the traffic source; the troubleshoot function does the same for the VPC named.
 * Reconciled against the TiDB Cloud simulator and the EC2 fake; the data planes answer from the request alone
 * (the endpoint's own addresses), so nothing is contacted and which one was asked is all that differs.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTroubleshootHandler } from '../../../functions/app/diagnostics.ts';
import type { DiagnosticsDeps } from '../../../functions/app/lambda-deps.ts';
import type {
  DataPlaneBatchPort,
  DataPlaneProbeInput,
  DataPlaneResult,
} from '../../../functions/core/diagnose/ports.ts';
import type { DiagnosticReport } from '../../../functions/core/diagnose/report.ts';
import { DEFAULT_TIDB_PORT } from '../../../functions/core/model.ts';
import { probeAll } from '../../../functions/core/probe/probe.ts';
import type { ProbeSite } from '../../../functions/core/probe/sites.ts';
import type { VpcPlacement } from '../../../functions/core/reconcile/types.ts';
import { reconcileStack } from '../../../functions/core/reconcile/vpcs.ts';
import { DATA_PLANE_FUNCTION } from '../../../testing/iam/enforce-ports.ts';
import { startWorld, type World } from '../../../testing/world.ts';

/** One endpoint's answer: the endpoint's own addresses resolve and accept, TiDB greets. */
function answerFor(input: DataPlaneProbeInput): DataPlaneResult {
  const addresses = input.expectedAddresses;
  return {
    dns: { server: 'system', status: 'answered', addresses, durationMs: 1 },
    tcp: addresses.map((address) => ({ address, port: input.port, status: 'connected', latencyMs: 1 })),
    handshake: {
      address: addresses[0] ?? '',
      status: 'greeting',
      serverVersion: '8.0.11-TiDB-v7.5.2',
      latencyMs: 1,
    },
  };
}

/** A data plane that reaches exactly the addresses it is told are the endpoint's, recording every request. */
function answeringDataPlane(): DataPlaneBatchPort & { inputs: DataPlaneProbeInput[]; trips: number } {
  const plane = {
    inputs: [] as DataPlaneProbeInput[],
    trips: 0,
    probe: async (input: DataPlaneProbeInput) => {
      plane.trips += 1;
      plane.inputs.push(input);
      return answerFor(input);
    },
    probeMany: async (inputs: DataPlaneProbeInput[]) => {
      plane.trips += 1;
      plane.inputs.push(...inputs);
      return inputs.map((input) => ({ ok: true as const, result: answerFor(input) }));
    },
  };
  return plane;
}

let world: World;
let vpcs: VpcPlacement[];
let sites: Array<ProbeSite & { dataPlane: ReturnType<typeof answeringDataPlane> }>;

beforeEach(async () => {
  world = await startWorld();
  const vpcId = world.ec2.createVpc({ cidrBlocks: ['10.1.0.0/16'] });
  const subnetIds = ['use1-az1', 'use1-az4'].map((availabilityZoneId, index) =>
    world.ec2.createSubnet({ vpcId, availabilityZoneId, cidrBlock: `10.1.${index * 16}.0/20` }),
  );
  const tidbPort = { ipProtocol: 'tcp', fromPort: DEFAULT_TIDB_PORT, toPort: DEFAULT_TIDB_PORT };
  const groupId = world.ec2.createSecurityGroup(vpcId, {
    ingress: [{ ...tidbPort, cidrIpv4: '10.1.0.0/16' }],
  });
  vpcs = [
    {
      vpcId: world.settings.vpcId,
      subnetIds: world.settings.subnetIds,
      securityGroupIds: world.settings.securityGroupIds,
    },
    { vpcId, subnetIds, securityGroupIds: [groupId] },
  ];
  // Each VPC's data plane runs in that VPC's subnets, with an egress-only group of its own.
  sites = vpcs.map((vpc) => ({
    vpcId: vpc.vpcId,
    dataPlane: answeringDataPlane(),
    placement: { securityGroupIds: [world.ec2.createSecurityGroup(vpc.vpcId)], subnetIds: vpc.subnetIds },
  }));
  world.addCluster();
  world.addCluster();
  // The reconcile of a stack packaged with both VPCs, under its role.
  const outcomes = await reconcileStack(await world.depsFor('reconcile', { ...world.settings, vpcs }), {
    deadline: world.clock.now() + 3_600_000,
  });
  expect(outcomes.map((o) => o.phase)).toEqual(['Ready', 'Ready', 'Ready', 'Ready']);
});

afterEach(async () => {
  await world.close();
});

const NO_METRICS = { record: () => undefined };
/** The data plane function of a VPC: the stack's first has the plain name, the nth `…dataPlane<n>`. */
function dataPlaneFunctionOf(vpcId: string): string {
  const index = vpcs.findIndex((vpc) => vpc.vpcId === vpcId);
  return `${DATA_PLANE_FUNCTION}${index === 0 ? '' : index + 1}`;
}

/**
 * The probe's deps in a stack packaged with both VPCs, under its role, with one data plane per VPC (each
 * its own function); the default data plane is never the one asked.
 */
async function probeDeps(chosen: ProbeSite[], fn: 'probe' | 'troubleshoot' = 'probe') {
  const stack = { ...world.settings, vpcs };
  const [{ ec2, events }, ports] = await Promise.all([world.depsFor(fn, stack), world.portsFor(fn, stack)]);
  return {
    ...world.cliDeps,
    ec2,
    events,
    dataPlane: answeringDataPlane(),
    sites: chosen.map((site) => ({
      ...site,
      dataPlane: ports.dataPlane(site.dataPlane, dataPlaneFunctionOf(site.vpcId)),
    })),
    metrics: NO_METRICS,
  };
}
const SETTINGS = { region: 'us-east-1', timeoutMs: 1000, concurrency: 4 };

async function addressesOf(vpcId: string): Promise<string[][]> {
  const endpoints = (await world.ec2.listManagedEndpoints()).filter((e) => e.vpcId === vpcId);
  return endpoints.map((e) => [...world.ec2.endpointAddresses(e.vpcEndpointId)].sort());
}

describe('the probe with two VPCs', () => {
  it("asks each endpoint's own VPC's data plane, and both VPCs' endpoints are healthy", async () => {
    const probes = await probeAll(await probeDeps(sites), SETTINGS);

    expect(probes).toHaveLength(4);
    expect(probes.every((probe) => probe.health === 'healthy')).toBe(true);
    for (const site of sites) {
      const asked = site.dataPlane.inputs.map((input) => [...input.expectedAddresses].sort());
      expect(asked.sort()).toEqual((await addressesOf(site.vpcId)).sort());
      // The batched probe: one invocation per VPC's data plane for that VPC's endpoints.
      expect(site.dataPlane.trips).toBe(1);
    }
  });

  it("judges security groups from each data plane's own placement", async () => {
    // The second VPC's endpoints admit nothing from its data plane's subnets any more.
    world.ec2.revokeRules(vpcs[1]?.securityGroupIds[0] ?? '', () => true);
    const probes = await probeAll(await probeDeps(sites), SETTINGS);
    const endpoints = await world.ec2.listManagedEndpoints();
    const vpcOf = (id: string) => endpoints.find((e) => e.vpcEndpointId === id)?.vpcId;
    const healthBy = probes.map((probe) => [vpcOf(probe.vpcEndpointId), probe.health, probe.failing]);
    expect(healthBy).toEqual(
      expect.arrayContaining([
        [vpcs[0]?.vpcId, 'healthy', []],
        [vpcs[1]?.vpcId, 'unhealthy', expect.arrayContaining(['aws.security-group-ingress'])],
      ]),
    );
  });

  it('leaves alone endpoints in a VPC no data plane of the stack runs in', async () => {
    const probes = await probeAll(await probeDeps(sites.slice(0, 1)), SETTINGS);
    expect(probes).toHaveLength(2);
    expect(sites[1]?.dataPlane.inputs).toHaveLength(0);
  });
});

describe('troubleshoot with two VPCs', () => {
  const context = { getRemainingTimeInMillis: () => 20_000 } as Context;
  const logger = new Logger({ serviceName: 'tidb-privatelink', logLevel: 'SILENT' });
  const deps = async (): Promise<DiagnosticsDeps> => ({
    ...(await probeDeps(sites, 'troubleshoot')),
    settings: { ...SETTINGS, vpcId: vpcs[0]?.vpcId },
  });

  it("diagnoses in the VPC the request names, through that VPC's data plane", async () => {
    const clusterId = (await world.sim.connections())[0]?.clusterId ?? '';
    const handler = createTroubleshootHandler(async () => deps(), logger);
    const report = (await handler({ clusterId, vpcId: vpcs[1]?.vpcId }, context)) as DiagnosticReport;
    expect(report).toMatchObject({ clusterId, vpcId: vpcs[1]?.vpcId, healthy: true });
    expect(sites[1]?.dataPlane.inputs).toHaveLength(1);
    expect(sites[0]?.dataPlane.inputs).toHaveLength(0);
  });

  it("refuses a VPC that is not the stack's", async () => {
    const handler = createTroubleshootHandler(async () => deps(), logger);
    // Rejected before any side effect, like every invalid request (the event is not retried).
    expect(await handler({ clusterId: '1', vpcId: 'vpc-0ffff' }, context)).toEqual({
      rejected: true,
      reason: '"vpc-0ffff" is not one of this stack\'s VPCs.',
    });
    expect(sites.every((site) => site.dataPlane.inputs.length === 0)).toBe(true);
  });
});
