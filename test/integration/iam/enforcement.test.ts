/**
 * The sandbox's IAM (testing/iam): a function's view of the shared EC2 fake and of the events port is
 * decided against its packaged role, and a denied call fails as AWS answers it, before the fake acts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE, SUBNET_CONFIG_TAG } from '../../../functions/core/model.ts';
import { DETAIL_TYPES } from '../../../functions/core/ports.ts';
import { Authorizer, awsFailureOf, enforcedEvents } from '../../../testing/iam/enforce.ts';
import { rolesFor } from '../../../testing/iam/roles.ts';
import type { Role } from '../../../testing/iam-engine.ts';
import { startWorld, type World } from '../../../testing/world.ts';

let world: World;

beforeEach(async () => {
  world = await startWorld();
});

afterEach(async () => {
  await world.close();
});

/** A managed endpoint of this stack, made on the fake itself (no IAM in front of the test's own hand). */
async function managedEndpoint(): Promise<string> {
  const cluster = world.addCluster();
  const endpoint = await world.ec2.createInterfaceEndpoint({
    vpcId: world.settings.vpcId,
    serviceName: cluster.serviceName,
    subnetIds: [world.ec2.world.subnetIdByZoneId['use1-az1'] ?? ''],
    securityGroupIds: world.settings.securityGroupIds,
    clientToken: 'test',
    tags: { [MANAGED_BY_TAG]: MANAGED_BY_VALUE },
  });
  return endpoint.vpcEndpointId;
}

describe("a function's view of the EC2 fake", () => {
  it("denies the probe's CreateVpcEndpoint as EC2 does, and the fake never creates it", async () => {
    const cluster = world.addCluster();
    const probe = await world.depsFor('probe');
    const error = await awsFailureOf(
      probe.ec2.createInterfaceEndpoint({
        vpcId: world.settings.vpcId,
        serviceName: cluster.serviceName,
        subnetIds: world.settings.subnetIds.slice(0, 1),
        securityGroupIds: world.settings.securityGroupIds,
        clientToken: 'probe',
        tags: { [MANAGED_BY_TAG]: MANAGED_BY_VALUE },
      }),
    );
    expect(error?.awsCode).toBe('UnauthorizedOperation');
    expect(error?.message).toMatch(
      /^You are not authorized to perform this operation\. User: arn:aws:sts::123456789012:assumed-role\/tidb-privatelink-dev-probe-.* is not authorized to perform: ec2:CreateVpcEndpoint on resource: arn:aws:ec2:/,
    );
    expect(world.ec2.peekEndpoints()).toEqual([]);
  });

  it('lets the probe write the health tag on a managed endpoint, and nothing else', async () => {
    const id = await managedEndpoint();
    const probe = await world.depsFor('probe');
    await probe.ec2.tagResource(id, { 'tidb-privatelink:health': 'healthy' });
    const error = await awsFailureOf(probe.ec2.tagResource(id, { [SUBNET_CONFIG_TAG]: 'subnet-0aaa' }));
    expect(error?.awsCode).toBe('UnauthorizedOperation');
    expect(world.ec2.peekEndpoints()[0]?.tags).toEqual({
      [MANAGED_BY_TAG]: MANAGED_BY_VALUE,
      'tidb-privatelink:health': 'healthy',
    });
  });

  it("lets the reconcile delete this stack's endpoint, never an unmanaged one", async () => {
    const cluster = world.addCluster();
    const unmanaged = await world.ec2.createInterfaceEndpoint({
      vpcId: world.settings.vpcId,
      serviceName: cluster.serviceName,
      subnetIds: world.settings.subnetIds.slice(0, 1),
      securityGroupIds: [],
      clientToken: 'someone',
      tags: {},
    });
    const error = await awsFailureOf(world.deps.ec2.deleteVpcEndpoints([unmanaged.vpcEndpointId]));
    expect(error?.awsCode).toBe('UnauthorizedOperation');
    expect(world.ec2.peekEndpoints().map((e) => e.state)).toEqual(['pendingAcceptance']);
    const ours = await managedEndpoint();
    await world.deps.ec2.deleteVpcEndpoints([ours]);
    expect(world.ec2.peekEndpoints().find((e) => e.vpcEndpointId === ours)?.state).toBe('deleted');
  });

  it('leaves the fake itself open: world building and a test looking are not a function calling', async () => {
    await managedEndpoint();
    await expect(
      world.ec2.deleteVpcEndpoints(world.ec2.peekEndpoints().map((e) => e.vpcEndpointId)),
    ).resolves.toBeUndefined();
  });
});

describe('the events port', () => {
  const event = {
    detailType: DETAIL_TYPES.probeCompleted,
    detail: { clusterId: '1', tidbNodeGroupId: '2' },
  };

  it("publishes under a role that may, and refuses as EventBridge does under one that may not (the data plane's)", async () => {
    const roles = await rolesFor([world.settings]);
    await world.deps.events.publish([event]);
    const dataPlane = enforcedEvents(
      world.events,
      new Authorizer('dataPlane', roles.dataPlane as Role),
      'default',
    );
    const error = await awsFailureOf(dataPlane.publish([event]));
    expect(error?.awsCode).toBe('AccessDeniedException');
    expect(error?.message).toMatch(
      /is not authorized to perform: events:PutEvents on resource: arn:aws:events:us-east-1:123456789012:event-bus\/default/,
    );
    expect(world.events.published).toHaveLength(1);
  });
});
