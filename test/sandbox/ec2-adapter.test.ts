/**
 * Ec2Adapter against moto over real HTTP: every method, with a real endpoint service playing TiDB's side.
 * What moto cannot show (ClientToken, AZ rejection, pendingAcceptance, private DNS rules) is pinned on
 * Ec2Fake in test/unit/adapters/aws/ec2-fake.test.ts.
 */
import {
  AssociateVpcCidrBlockCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateNetworkAclCommand,
  CreateNetworkAclEntryCommand,
  CreateVpcEndpointCommand,
  DescribeManagedPrefixListsCommand,
  DescribeNetworkAclsCommand,
  ModifyVpcAttributeCommand,
  ReplaceNetworkAclAssociationCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Ec2Adapter } from '../../functions/adapters/aws/ec2.ts';
import { AwsError } from '../../functions/core/errors.ts';
import {
  CLUSTER_ID_TAG,
  HEALTH_TAG,
  MANAGED_BY_TAG,
  MANAGED_BY_VALUE,
  NODE_GROUP_ID_TAG,
  ORPHANED_SINCE_TAG,
} from '../../functions/core/model.ts';
import { OPERATOR_PROVISION } from '../../testing/iam/roles.ts';
import { sandboxPrincipals } from '../../testing/iam/sandbox-roles.ts';
import {
  buildMotoWorld,
  createSandboxClients,
  destroySandboxClients,
  type MotoWorld,
  type SandboxClients,
} from '../../testing/moto-world.ts';

const CLUSTER_ID = '1379661944646413143';
const NODE_GROUP_ID = '1934178998036000000';

function managedTags(clusterId = CLUSTER_ID): Record<string, string> {
  return {
    [MANAGED_BY_TAG]: MANAGED_BY_VALUE,
    [CLUSTER_ID_TAG]: clusterId,
    [NODE_GROUP_ID_TAG]: NODE_GROUP_ID,
    Name: `tidb-${clusterId}`,
  };
}

describe('Ec2Adapter on moto', () => {
  let clients: SandboxClients;
  /** The adapter's own clients: as a holder of the provision operator policy (every read and write it has). */
  let operator: SandboxClients;
  /** The probe's: the only role that records health on an endpoint. */
  let probe: SandboxClients;
  let world: MotoWorld;
  let ec2: Ec2Adapter;

  beforeAll(async () => {
    const config = { endpointUrl: inject('awsEndpointUrl'), region: inject('awsRegion') };
    clients = createSandboxClients(config);
    world = await buildMotoWorld(clients);
    const principals = await sandboxPrincipals({
      placement: {
        vpcId: world.vpcId,
        subnetIds: Object.values(world.subnetIdByZoneId),
        securityGroupIds: [world.securityGroupId],
      },
    });
    operator = createSandboxClients(config, { as: principals.as(OPERATOR_PROVISION) });
    probe = createSandboxClients(config, { as: principals.as('probe') });
    ec2 = new Ec2Adapter(operator.ec2);
  }, 120_000);

  afterAll(() => {
    destroySandboxClients(clients);
    if (operator) destroySandboxClients(operator);
    if (probe) destroySandboxClients(probe);
  });

  it('maps AZ names to AZ IDs with DescribeAvailabilityZones', async () => {
    const zones = await ec2.describeAvailabilityZones();

    // moto's us-east-1 naming, like a real account's, is not in ID order.
    expect(zones).toContainEqual({ zoneName: 'us-east-1b', zoneId: 'use1-az1' });
    expect(zones).toContainEqual({ zoneName: 'us-east-1c', zoneId: 'use1-az2' });
    expect(zones).toContainEqual({ zoneName: 'us-east-1d', zoneId: 'use1-az4' });
  });

  it('describes subnets with both AZ name and AZ ID', async () => {
    const subnetId = world.subnetIdByZoneId['use1-az4'] ?? '';

    const [subnet] = await ec2.describeSubnets([subnetId]);

    expect(subnet).toEqual({
      subnetId,
      vpcId: world.vpcId,
      availabilityZone: 'us-east-1d',
      availabilityZoneId: 'use1-az4',
      cidrBlock: '10.0.32.0/20',
    });
    expect(await ec2.describeSubnets([])).toEqual([]);
  });

  it("lists the service's zones in this account's naming (DescribeVpcEndpointServices)", async () => {
    const zoneNames = await ec2.describeServiceZones(world.provider.serviceName);
    const zones = await ec2.describeAvailabilityZones();
    const zoneIds = zoneNames.map((name) => zones.find((zone) => zone.zoneName === name)?.zoneId).sort();

    expect(zoneNames.sort()).toEqual(['us-east-1b', 'us-east-1c']);
    expect(zoneIds).toEqual(['use1-az1', 'use1-az2']);
  });

  it('creates a tagged interface endpoint and finds it again by tag, by VPC + service and by ID', async () => {
    const subnetIds = [world.subnetIdByZoneId['use1-az1'] ?? '', world.subnetIdByZoneId['use1-az2'] ?? ''];

    const created = await ec2.createInterfaceEndpoint({
      vpcId: world.vpcId,
      serviceName: world.provider.serviceName,
      subnetIds,
      securityGroupIds: [world.securityGroupId],
      clientToken: `tidb-${CLUSTER_ID}-${NODE_GROUP_ID}`,
      tags: managedTags(),
    });

    expect(created).toMatchObject({
      vpcId: world.vpcId,
      serviceName: world.provider.serviceName,
      subnetIds,
      securityGroupIds: [world.securityGroupId],
      privateDnsEnabled: false,
      tags: managedTags(),
    });
    expect(created.vpcEndpointId).toMatch(/^vpce-/);
    // moto makes endpoints available at once (real ones wait in pendingAcceptance): only assert it is mapped.
    expect(['available', 'pendingAcceptance']).toContain(created.state);
    expect(created.networkInterfaceIds).toHaveLength(2);

    const managed = await ec2.listManagedEndpoints();
    expect(managed.map((endpoint) => endpoint.vpcEndpointId)).toContain(created.vpcEndpointId);
    const byCluster = await ec2.listManagedEndpoints({ [CLUSTER_ID_TAG]: CLUSTER_ID });
    expect(byCluster.map((endpoint) => endpoint.vpcEndpointId)).toEqual([created.vpcEndpointId]);
    expect(await ec2.listManagedEndpoints({ [CLUSTER_ID_TAG]: '1' })).toEqual([]);

    const found = await ec2.findEndpoints({ vpcId: world.vpcId, serviceName: world.provider.serviceName });
    expect(found.map((endpoint) => endpoint.vpcEndpointId)).toContain(created.vpcEndpointId);
    expect(found.find((endpoint) => endpoint.vpcEndpointId === created.vpcEndpointId)).toEqual(
      expect.objectContaining({ tags: managedTags(), securityGroupIds: [world.securityGroupId] }),
    );

    const byId = await ec2.findEndpoints({
      vpcEndpointIds: [created.vpcEndpointId, 'vpce-0000000000000dead'],
    });
    expect(byId.map((endpoint) => endpoint.vpcEndpointId)).toEqual([created.vpcEndpointId]);
    expect(await ec2.findEndpoints({ vpcEndpointIds: ['vpce-0000000000000dead'] })).toEqual([]);
    expect(await ec2.findEndpoints({ vpcEndpointIds: [] })).toEqual([]);

    // Tags added later (the probe's health) are read back.
    await new Ec2Adapter(probe.ec2).tagResource(created.vpcEndpointId, { [HEALTH_TAG]: 'healthy' });
    const [tagged] = await ec2.findEndpoints({ vpcEndpointIds: [created.vpcEndpointId] });
    expect(tagged?.tags[HEALTH_TAG]).toBe('healthy');

    // ENIs: one per subnet. moto hands out random 10.x addresses: read them, never connect to them.
    const enis = await ec2.describeNetworkInterfaces(created.networkInterfaceIds);
    expect(enis.map((eni) => eni.subnetId).sort()).toEqual([...subnetIds].sort());
    for (const eni of enis) expect(eni.privateIpAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(await ec2.describeNetworkInterfaces([])).toEqual([]);

    // moto accepts ModifyVpcEndpoint but ignores PrivateDnsEnabled (SANDBOX.md gap): only prove the call shape.
    await expect(ec2.enablePrivateDns(created.vpcEndpointId)).resolves.toBeUndefined();
  });

  it('does not list an endpoint without the managed-by tag, but finds it by VPC + service', async () => {
    const subnetId = world.subnetIdByZoneId['use1-az2'] ?? '';
    const foreign = await clients.ec2.send(
      new CreateVpcEndpointCommand({
        VpcEndpointType: 'Interface',
        VpcId: world.vpcId,
        ServiceName: world.provider.serviceName,
        SubnetIds: [subnetId],
        TagSpecifications: [
          { ResourceType: 'vpc-endpoint', Tags: [{ Key: CLUSTER_ID_TAG, Value: CLUSTER_ID }] },
        ],
      }),
    );
    const foreignId = foreign.VpcEndpoint?.VpcEndpointId ?? '';

    const managed = await ec2.listManagedEndpoints({ [CLUSTER_ID_TAG]: CLUSTER_ID });
    const found = await ec2.findEndpoints({ vpcId: world.vpcId, serviceName: world.provider.serviceName });

    expect(managed.map((endpoint) => endpoint.vpcEndpointId)).not.toContain(foreignId);
    expect(found.map((endpoint) => endpoint.vpcEndpointId)).toContain(foreignId);
  });

  it('removes one tag by key (DeleteTags) and deletes endpoints (DeleteVpcEndpoints)', async () => {
    const clusterId = '1379661944646413999';
    const created = await ec2.createInterfaceEndpoint({
      vpcId: world.vpcId,
      serviceName: world.provider.serviceName,
      subnetIds: [world.subnetIdByZoneId['use1-az4'] ?? ''],
      securityGroupIds: [world.securityGroupId],
      clientToken: `tidb-${clusterId}-orphan`,
      tags: managedTags(clusterId),
    });
    await ec2.tagResource(created.vpcEndpointId, { [ORPHANED_SINCE_TAG]: '2026-11-26T08:00:00.000Z' });

    await ec2.deleteTags(created.vpcEndpointId, [ORPHANED_SINCE_TAG]);
    const [untagged] = await ec2.findEndpoints({ vpcEndpointIds: [created.vpcEndpointId] });
    expect(untagged?.tags).toEqual(managedTags(clusterId));
    // No keys means no call: DeleteTags without keys would delete every tag.
    await ec2.deleteTags(created.vpcEndpointId, []);
    expect((await ec2.findEndpoints({ vpcEndpointIds: [created.vpcEndpointId] }))[0]?.tags).toEqual(
      managedTags(clusterId),
    );

    await ec2.deleteVpcEndpoints([created.vpcEndpointId]);
    const after = await ec2.listManagedEndpoints({ [CLUSTER_ID_TAG]: clusterId });
    // EC2 lists a deleted endpoint as `deleted` for a while; moto may drop it at once.
    expect(after.filter((endpoint) => !['deleted', 'deleting'].includes(endpoint.state))).toEqual([]);
    // Already gone is what was asked for.
    await expect(ec2.deleteVpcEndpoints(['vpce-0000000000000dead'])).resolves.toBeUndefined();
    await expect(ec2.deleteVpcEndpoints([])).resolves.toBeUndefined();
  });

  it('reads VPC CIDR blocks, including secondary ones', async () => {
    await clients.ec2.send(
      new AssociateVpcCidrBlockCommand({ VpcId: world.vpcId, CidrBlock: '10.1.0.0/16' }),
    );

    const vpc = await ec2.describeVpc(world.vpcId);

    expect(vpc.vpcId).toBe(world.vpcId);
    expect(vpc.cidrBlocks.sort()).toEqual(['10.0.0.0/16', '10.1.0.0/16']);
  });

  it('reads the VPC DNS attributes as ModifyVpcAttribute sets them', async () => {
    const set = async (attribute: 'EnableDnsSupport' | 'EnableDnsHostnames', value: boolean) =>
      clients.ec2.send(new ModifyVpcAttributeCommand({ VpcId: world.vpcId, [attribute]: { Value: value } }));

    await set('EnableDnsSupport', true);
    await set('EnableDnsHostnames', true);
    expect(await ec2.describeVpcDnsAttributes(world.vpcId)).toEqual({
      enableDnsSupport: true,
      enableDnsHostnames: true,
    });

    await set('EnableDnsHostnames', false);
    expect(await ec2.describeVpcDnsAttributes(world.vpcId)).toEqual({
      enableDnsSupport: true,
      enableDnsHostnames: false,
    });

    await set('EnableDnsSupport', false);
    expect(await ec2.describeVpcDnsAttributes(world.vpcId)).toEqual({
      enableDnsSupport: false,
      enableDnsHostnames: false,
    });
  });

  it('reads security group rules, including prefix-list rules, and the prefix lists', async () => {
    // moto 5.1.1 drops the CIDRs of customer-made prefix lists (GetManagedPrefixListEntries answers empty
    // entries), so use an AWS-managed one, as a customer allowing an AWS service's ranges would.
    const prefixLists = await clients.ec2.send(
      new DescribeManagedPrefixListsCommand({
        Filters: [{ Name: 'prefix-list-name', Values: ['com.amazonaws.us-east-1.s3'] }],
      }),
    );
    const prefixListId = prefixLists.PrefixLists?.[0]?.PrefixListId ?? '';
    await clients.ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: world.securityGroupId,
        IpPermissions: [
          {
            IpProtocol: 'tcp',
            FromPort: 4000,
            ToPort: 4000,
            PrefixListIds: [{ PrefixListId: prefixListId }],
          },
        ],
      }),
    );

    const rules = await ec2.describeSecurityGroupRules([world.securityGroupId]);
    const lists = await ec2.describePrefixLists([prefixListId]);

    expect(rules).toContainEqual(
      expect.objectContaining({
        groupId: world.securityGroupId,
        isEgress: false,
        ipProtocol: 'tcp',
        fromPort: 4000,
        toPort: 4000,
        cidrIpv4: world.cidrBlock,
      }),
    );
    expect(rules).toContainEqual(
      expect.objectContaining({ isEgress: false, ipProtocol: 'tcp', fromPort: 4000, prefixListId }),
    );
    // EC2's default egress rule of a new group.
    expect(rules).toContainEqual(
      expect.objectContaining({ isEgress: true, ipProtocol: '-1', cidrIpv4: '0.0.0.0/0' }),
    );
    expect(lists).toHaveLength(1);
    expect(lists[0]?.prefixListId).toBe(prefixListId);
    expect(lists[0]?.cidrs.length).toBeGreaterThan(0);
    for (const cidr of lists[0]?.cidrs ?? []) expect(cidr).toMatch(/^\d+\.\d+\.\d+\.\d+\/\d+$/);
    expect(await ec2.describeSecurityGroupRules([])).toEqual([]);
  });

  it('reads the network ACLs associated with the endpoint subnets', async () => {
    const subnetId = world.subnetIdByZoneId['use1-az1'] ?? '';

    const [defaultAcl] = await ec2.describeNetworkAcls([subnetId]);
    expect(defaultAcl?.vpcId).toBe(world.vpcId);
    expect(defaultAcl?.subnetIds).toContain(subnetId);
    expect(defaultAcl?.entries).toContainEqual(
      expect.objectContaining({
        ruleNumber: 100,
        egress: false,
        protocol: '-1',
        ruleAction: 'allow',
        cidrBlock: '0.0.0.0/0',
      }),
    );

    // Move the subnet to a custom ACL that admits only 4000 from the VPC.
    const custom = await clients.ec2.send(new CreateNetworkAclCommand({ VpcId: world.vpcId }));
    const customId = custom.NetworkAcl?.NetworkAclId ?? '';
    await clients.ec2.send(
      new CreateNetworkAclEntryCommand({
        NetworkAclId: customId,
        RuleNumber: 110,
        Egress: false,
        Protocol: '6',
        RuleAction: 'allow',
        CidrBlock: world.cidrBlock,
        PortRange: { From: 4000, To: 4000 },
      }),
    );
    const current = await clients.ec2.send(
      new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnetId] }] }),
    );
    const associationId =
      current.NetworkAcls?.[0]?.Associations?.find((association) => association.SubnetId === subnetId)
        ?.NetworkAclAssociationId ?? '';
    await clients.ec2.send(
      new ReplaceNetworkAclAssociationCommand({ AssociationId: associationId, NetworkAclId: customId }),
    );

    const acls = await ec2.describeNetworkAcls([subnetId]);

    expect(acls.map((acl) => acl.networkAclId)).toEqual([customId]);
    expect(acls[0]?.entries).toContainEqual({
      ruleNumber: 110,
      egress: false,
      protocol: '6',
      ruleAction: 'allow',
      cidrBlock: world.cidrBlock,
      portRange: { from: 4000, to: 4000 },
    });
    expect(await ec2.describeNetworkAcls([])).toEqual([]);
  });

  it("turns AWS errors into AwsError with AWS's code and message", async () => {
    const unknownService = 'com.amazonaws.vpce.us-east-1.vpce-svc-00000000000000000';

    const serviceError = await ec2.describeServiceZones(unknownService).catch((error: unknown) => error);
    const subnetError = await ec2
      .describeSubnets(['subnet-00000000000000000'])
      .catch((error: unknown) => error);

    expect(serviceError).toBeInstanceOf(AwsError);
    expect(serviceError).toMatchObject({ code: 'AWS', awsCode: 'InvalidServiceName' });
    expect((serviceError as AwsError).message).toContain(unknownService);
    expect(subnetError).toBeInstanceOf(AwsError);
    expect(subnetError).toMatchObject({ awsCode: 'InvalidSubnetID.NotFound' });
  });
});
