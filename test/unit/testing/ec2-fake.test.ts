/**
 * Pins Ec2Fake to the EC2 behaviour and texts in SANDBOX.md, so cores tested against it are tested against
 * what AWS really does where moto cannot show it.
 */
import { describe, expect, it } from 'vitest';
import { AwsError } from '../../../functions/core/errors.ts';
import { CLUSTER_ID_TAG, MANAGED_BY_TAG, MANAGED_BY_VALUE } from '../../../functions/core/model.ts';
import type { CreateEndpointInput } from '../../../functions/core/ports.ts';
import { Ec2Fake, type Ec2FakeWithWorld, type TokenReplay, zoneIdPrefix } from '../../../testing/ec2-fake.ts';

const SERVICE = 'com.amazonaws.vpce.us-east-1.vpce-svc-0a1b2c3d4e5f60718';

function world(): Ec2FakeWithWorld {
  const fake = Ec2Fake.withDefaultWorld({ region: 'us-east-1' });
  fake.registerService(SERVICE, ['use1-az1', 'use1-az2']);
  return fake;
}

function input(fake: Ec2FakeWithWorld, overrides: Partial<CreateEndpointInput> = {}): CreateEndpointInput {
  return {
    vpcId: fake.world.vpcId,
    serviceName: SERVICE,
    subnetIds: [fake.world.subnetIdByZoneId['use1-az1'] ?? '', fake.world.subnetIdByZoneId['use1-az2'] ?? ''],
    securityGroupIds: [fake.world.securityGroupId],
    clientToken: 'tidb-1379661944646413143-1934178998036000000',
    tags: { [MANAGED_BY_TAG]: MANAGED_BY_VALUE, [CLUSTER_ID_TAG]: '1379661944646413143' },
    ...overrides,
  };
}

async function rejection(promise: Promise<unknown>): Promise<AwsError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AwsError);
  return error as AwsError;
}

describe('Ec2Fake world', () => {
  it('maps AZ names to IDs in an order that differs from the IDs, so only ID comparisons work', async () => {
    const fake = world();

    const zones = await fake.describeAvailabilityZones();
    const subnets = await fake.describeSubnets(fake.world.subnetIds);

    // EC2 lists in no promised order: compared as a set of (ID, name) pairs.
    const pairs = subnets.map((subnet) => `${subnet.availabilityZoneId}=${subnet.availabilityZone}`).sort();
    expect(pairs).toEqual(['use1-az1=us-east-1c', 'use1-az2=us-east-1d', 'use1-az4=us-east-1a']);
    expect(zones).toContainEqual({ zoneName: 'us-east-1a', zoneId: 'use1-az4' });
    // The service is registered by AZ ID (as TiDB lists it); EC2 answers in this account's names.
    expect(await fake.describeServiceZones(SERVICE)).toEqual(['us-east-1c', 'us-east-1d']);
  });

  it('lists in a seeded order of its own, new for every listing and every seed', async () => {
    const orders = async (listingSeed: number) => {
      const fake = Ec2Fake.withDefaultWorld({ region: 'us-east-1', listingSeed });
      const seen: string[] = [];
      for (let i = 0; i < 8; i++) {
        const subnets = await fake.describeSubnets(fake.world.subnetIds);
        expect(subnets.map((subnet) => subnet.subnetId).sort()).toEqual([...fake.world.subnetIds].sort());
        seen.push(subnets.map((subnet) => subnet.subnetId).join());
      }
      return seen;
    };
    const first = await orders(1);
    expect(new Set(first).size).toBeGreaterThan(1);
    expect(await orders(1)).toEqual(first);
    expect(await orders(2)).not.toEqual(first);
  });

  it('derives AZ ID prefixes for other regions', () => {
    expect(zoneIdPrefix('us-east-1')).toBe('use1');
    expect(zoneIdPrefix('ap-southeast-1')).toBe('apse1');
    expect(zoneIdPrefix('eu-central-1')).toBe('euc1');
    expect(Ec2Fake.withDefaultWorld({ region: 'eu-west-2' }).world.subnetIds).toHaveLength(3);
  });

  it('has a security group admitting 4000 from the VPC CIDR, default egress, and an allow-all default NACL', async () => {
    const fake = world();

    const rules = await fake.describeSecurityGroupRules([fake.world.securityGroupId, 'sg-unknown']);
    const [acl] = await fake.describeNetworkAcls([fake.world.subnetIds[0] ?? '']);
    const vpc = await fake.describeVpc(fake.world.vpcId);

    expect(rules).toEqual([
      {
        groupId: fake.world.securityGroupId,
        isEgress: false,
        ipProtocol: 'tcp',
        fromPort: 4000,
        toPort: 4000,
        cidrIpv4: '10.0.0.0/16',
      },
      {
        groupId: fake.world.securityGroupId,
        isEgress: true,
        ipProtocol: '-1',
        fromPort: -1,
        toPort: -1,
        cidrIpv4: '0.0.0.0/0',
      },
    ]);
    expect(acl?.networkAclId).toBe(fake.world.defaultNetworkAclId);
    expect(acl?.subnetIds).toEqual(fake.world.subnetIds);
    expect(acl?.entries).toContainEqual({
      ruleNumber: 100,
      egress: false,
      protocol: '-1',
      ruleAction: 'allow',
      cidrBlock: '0.0.0.0/0',
    });
    expect(vpc).toEqual({ vpcId: fake.world.vpcId, cidrBlocks: ['10.0.0.0/16'] });
    expect(await fake.describeVpcDnsAttributes(fake.world.vpcId)).toEqual({
      enableDnsSupport: true,
      enableDnsHostnames: true,
    });
  });

  it('lets a test edit SG rules, NACLs, prefix lists, CIDRs and DNS attributes', async () => {
    const fake = world();
    const subnetId = fake.world.subnetIds[0] ?? '';
    const prefixListId = fake.createPrefixList(['192.168.0.0/24']);

    fake.revokeRules(fake.world.securityGroupId, (rule) => !rule.isEgress);
    fake.authorizeIngress(fake.world.securityGroupId, {
      ipProtocol: 'tcp',
      fromPort: 4000,
      toPort: 4000,
      prefixListId,
    });
    const aclId = fake.createNetworkAcl(fake.world.vpcId, { subnetIds: [subnetId] });
    fake.addVpcCidrBlock(fake.world.vpcId, '10.1.0.0/16');
    fake.setVpcDnsAttributes(fake.world.vpcId, { enableDnsHostnames: false });

    const rules = await fake.describeSecurityGroupRules([fake.world.securityGroupId]);
    expect(rules.filter((rule) => !rule.isEgress)).toEqual([
      {
        groupId: fake.world.securityGroupId,
        isEgress: false,
        ipProtocol: 'tcp',
        fromPort: 4000,
        toPort: 4000,
        prefixListId,
      },
    ]);
    expect(await fake.describePrefixLists([prefixListId])).toEqual([
      { prefixListId, cidrs: ['192.168.0.0/24'] },
    ]);
    const acls = await fake.describeNetworkAcls([subnetId]);
    expect(acls.map((acl) => acl.networkAclId)).toEqual([aclId]);
    // A custom ACL starts with only the catch-all denies.
    expect(acls[0]?.entries.every((entry) => entry.ruleAction === 'deny')).toBe(true);
    expect((await fake.describeVpc(fake.world.vpcId)).cidrBlocks).toEqual(['10.0.0.0/16', '10.1.0.0/16']);
    expect(await fake.describeVpcDnsAttributes(fake.world.vpcId)).toEqual({
      enableDnsSupport: true,
      enableDnsHostnames: false,
    });
    expect((await rejection(fake.describePrefixLists(['pl-missing']))).awsCode).toBe(
      'InvalidPrefixListID.NotFound',
    );
  });
});

describe('Ec2Fake: the token of a deleted endpoint (tokenReplay)', () => {
  async function deletedThenAgain(tokenReplay: TokenReplay, forget = false) {
    const fake = Ec2Fake.withDefaultWorld({ region: 'us-east-1', tokenReplay });
    fake.registerService(SERVICE, ['use1-az1', 'use1-az2']);
    const first = await fake.createInterfaceEndpoint(input(fake));
    fake.deleteEndpoint(first.vpcEndpointId);
    if (forget) fake.forgetEndpoint(first.vpcEndpointId);
    return { fake, first, again: fake.createInterfaceEndpoint(input(fake)) };
  }

  it('current: replays the endpoint as it is now', async () => {
    const { first, again } = await deletedThenAgain({ mode: 'current' });
    expect(await again).toMatchObject({ vpcEndpointId: first.vpcEndpointId, state: 'deleted' });
  });

  it('original: replays the first response; a forgotten endpoint is no longer listed', async () => {
    const { fake, first, again } = await deletedThenAgain({ mode: 'original' }, true);
    expect(await again).toEqual(first);
    expect(await fake.findEndpoints({ vpcEndpointIds: [first.vpcEndpointId] })).toEqual([]);
    expect(await fake.listManagedEndpoints()).toEqual([]);
    expect(fake.peekEndpoint(first.vpcEndpointId)).toBeUndefined();
  });

  it('peekEndpoint: the endpoint peekEndpoints lists, by id, without counting a call', async () => {
    const { fake, first } = await deletedThenAgain({ mode: 'current' });
    const calls = fake.totalCalls;
    expect(fake.peekEndpoint(first.vpcEndpointId)).toEqual(
      fake.peekEndpoints().find((e) => e.vpcEndpointId === first.vpcEndpointId),
    );
    expect(fake.peekEndpoint(first.vpcEndpointId)?.state).toBe('deleted');
    expect(fake.peekEndpoint('vpce-0000000000000000')).toBeUndefined();
    expect(fake.totalCalls).toBe(calls);
  });

  it('error: refuses with the code given, InvalidVpcEndpointId.NotFound by default', async () => {
    expect((await rejection((await deletedThenAgain({ mode: 'error' })).again)).awsCode).toBe(
      'InvalidVpcEndpointId.NotFound',
    );
    const custom = await deletedThenAgain({ mode: 'error', errorCode: 'InvalidParameter' });
    expect((await rejection(custom.again)).awsCode).toBe('InvalidParameter');
  });
});

describe('Ec2Fake CreateVpcEndpoint', () => {
  it('is idempotent on ClientToken: the same request returns the same endpoint', async () => {
    const fake = world();

    const first = await fake.createInterfaceEndpoint(input(fake));
    const again = await fake.createInterfaceEndpoint(input(fake));

    expect(again.vpcEndpointId).toBe(first.vpcEndpointId);
    expect(await fake.findEndpoints({ vpcId: fake.world.vpcId, serviceName: SERVICE })).toHaveLength(1);
    expect(fake.calls.CreateVpcEndpoint).toBe(2);
  });

  it('holds the token to the order first sent: the same subnets in another order are a mismatch', async () => {
    const fake = world();
    await fake.createInterfaceEndpoint(input(fake));
    const reordered = input(fake, { subnetIds: [...input(fake).subnetIds].reverse() });
    expect((await rejection(fake.createInterfaceEndpoint(reordered))).awsCode).toBe(
      'IdempotentParameterMismatch',
    );
  });

  it('creates one endpoint for concurrent requests with the same token', async () => {
    const fake = world();

    const results = await Promise.all([1, 2, 3].map(() => fake.createInterfaceEndpoint(input(fake))));

    expect(new Set(results.map((endpoint) => endpoint.vpcEndpointId)).size).toBe(1);
    expect(await fake.listManagedEndpoints()).toHaveLength(1);
  });

  it('rejects a reused token with different parameters (IdempotentParameterMismatch)', async () => {
    const fake = world();
    await fake.createInterfaceEndpoint(input(fake));

    const error = await rejection(
      fake.createInterfaceEndpoint(
        input(fake, { subnetIds: [fake.world.subnetIdByZoneId['use1-az1'] ?? ''] }),
      ),
    );

    expect(error.awsCode).toBe('IdempotentParameterMismatch');
    expect(await fake.listManagedEndpoints()).toHaveLength(1);
  });

  it('keeps a token bound to its endpoint after deletion: the same request replays the deleted endpoint', async () => {
    const fake = world();
    const first = await fake.createInterfaceEndpoint(input(fake));
    fake.deleteEndpoint(first.vpcEndpointId);
    const replay = await fake.createInterfaceEndpoint(input(fake));
    expect(replay).toMatchObject({ vpcEndpointId: first.vpcEndpointId, state: 'deleted' });
    const error = await rejection(
      fake.createInterfaceEndpoint(
        input(fake, { subnetIds: [fake.world.subnetIdByZoneId['use1-az1'] ?? ''] }),
      ),
    );
    expect(error.awsCode).toBe('IdempotentParameterMismatch');
  });

  it("rejects a subnet in an AZ the service does not support, with AWS's text", async () => {
    const fake = world();
    const unsupported = fake.world.subnetIdByZoneId['use1-az4'] ?? '';

    const error = await rejection(
      fake.createInterfaceEndpoint(
        input(fake, { subnetIds: [fake.world.subnetIdByZoneId['use1-az1'] ?? '', unsupported] }),
      ),
    );

    expect(error.awsCode).toBe('InvalidParameter');
    expect(error.message).toBe(
      `The VPC endpoint service ${SERVICE} does not support the availability zone of the subnet: ${unsupported}.`,
    );
    expect(await fake.findEndpoints({ vpcId: fake.world.vpcId })).toEqual([]);
  });

  it('rejects an unknown service, VPC, subnet or security group with the NotFound codes', async () => {
    const fake = world();

    const codes = await Promise.all([
      rejection(
        fake.createInterfaceEndpoint(input(fake, { serviceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-x' })),
      ),
      rejection(fake.createInterfaceEndpoint(input(fake, { vpcId: 'vpc-missing', clientToken: 'b' }))),
      rejection(
        fake.createInterfaceEndpoint(input(fake, { subnetIds: ['subnet-missing'], clientToken: 'c' })),
      ),
      rejection(
        fake.createInterfaceEndpoint(input(fake, { securityGroupIds: ['sg-missing'], clientToken: 'd' })),
      ),
    ]);

    expect(codes.map((error) => error.awsCode)).toEqual([
      'InvalidServiceName',
      'InvalidVpcID.NotFound',
      'InvalidSubnetID.NotFound',
      'InvalidGroup.NotFound',
    ]);
  });

  it('starts pendingAcceptance with private DNS off, tags and one loopback ENI per subnet', async () => {
    const fake = world();
    const seen: string[] = [];
    fake.onEndpointCreated((endpoint) => seen.push(endpoint.vpcEndpointId));

    const endpoint = await fake.createInterfaceEndpoint(input(fake));
    const enis = await fake.describeNetworkInterfaces(endpoint.networkInterfaceIds);

    expect(endpoint).toMatchObject({
      state: 'pendingAcceptance',
      privateDnsEnabled: false,
      tags: input(fake).tags,
    });
    expect(seen).toEqual([endpoint.vpcEndpointId]);
    expect(enis.map((eni) => eni.subnetId)).toEqual(input(fake).subnetIds);
    expect(enis.map((eni) => eni.privateIpAddress)).toEqual(['127.0.0.10', '127.0.0.11']);
    expect(fake.endpointAddresses(endpoint.vpcEndpointId)).toEqual(['127.0.0.10', '127.0.0.11']);
  });

  it('gives ENIs the addresses the test chooses', async () => {
    const fake = world();
    fake.useEniAddresses(['127.0.0.42']);

    const endpoint = await fake.createInterfaceEndpoint(input(fake));
    const [first, second] = endpoint.networkInterfaceIds;
    fake.setEniAddress(second ?? '', '127.0.0.43');

    expect(fake.endpointAddresses(endpoint.vpcEndpointId)).toEqual(['127.0.0.42', '127.0.0.43']);
    expect((await fake.describeNetworkInterfaces([first ?? '']))[0]?.privateIpAddress).toBe('127.0.0.42');
  });

  it('becomes available on accept, rejected on reject, deleted (without ENIs) on delete', async () => {
    const fake = world();
    const a = await fake.createInterfaceEndpoint(input(fake));
    const b = await fake.createInterfaceEndpoint(input(fake, { clientToken: 'other', tags: {} }));

    fake.accept(a.vpcEndpointId);
    fake.reject(b.vpcEndpointId);

    const states = await fake.findEndpoints({
      vpcEndpointIds: [a.vpcEndpointId, b.vpcEndpointId, 'vpce-missing'],
    });
    expect(states.map((endpoint) => endpoint.state)).toEqual(['available', 'rejected']);

    fake.deleteEndpoint(a.vpcEndpointId);
    const [deleted] = await fake.findEndpoints({ vpcEndpointIds: [a.vpcEndpointId] });
    expect(deleted).toMatchObject({ state: 'deleted', networkInterfaceIds: [] });
    expect((await rejection(fake.describeNetworkInterfaces(a.networkInterfaceIds))).awsCode).toBe(
      'InvalidNetworkInterfaceID.NotFound',
    );
  });

  it('is available at once for a service that does not require acceptance', async () => {
    const fake = Ec2Fake.withDefaultWorld();
    fake.registerService(SERVICE, ['us-east-1c'], { acceptanceRequired: false });

    const endpoint = await fake.createInterfaceEndpoint(
      input(fake, { subnetIds: [fake.world.subnetIdByZoneId['use1-az1'] ?? ''] }),
    );

    expect(endpoint.state).toBe('available');
  });

  it('rejects two subnets in the same AZ', async () => {
    const fake = world();
    const second = fake.createSubnet({
      vpcId: fake.world.vpcId,
      availabilityZoneId: 'use1-az1',
      cidrBlock: '10.0.64.0/20',
    });

    const error = await rejection(
      fake.createInterfaceEndpoint(
        input(fake, { subnetIds: [fake.world.subnetIdByZoneId['use1-az1'] ?? '', second] }),
      ),
    );

    expect(error.awsCode).toBe('DuplicateSubnetsInSameZone');
  });

  it('stops at 50 interface endpoints per VPC (VpcEndpointLimitExceeded)', async () => {
    const fake = world();
    for (let index = 0; index < 50; index += 1) {
      await fake.createInterfaceEndpoint(input(fake, { clientToken: `token-${index}` }));
    }

    const error = await rejection(fake.createInterfaceEndpoint(input(fake, { clientToken: 'token-50' })));

    expect(error.awsCode).toBe('VpcEndpointLimitExceeded');
    // The limit is per VPC: another VPC still has room.
    const otherVpc = fake.createVpc({ cidrBlocks: ['10.9.0.0/16'] });
    const subnetId = fake.createSubnet({
      vpcId: otherVpc,
      availabilityZoneId: 'use1-az1',
      cidrBlock: '10.9.0.0/20',
    });
    await expect(
      fake.createInterfaceEndpoint({
        ...input(fake),
        vpcId: otherVpc,
        subnetIds: [subnetId],
        securityGroupIds: [],
        clientToken: 'x',
      }),
    ).resolves.toMatchObject({ vpcId: otherVpc });
  });

  it('throttles CreateVpcEndpoint bursts with RequestLimitExceeded when throttling is on', async () => {
    let now = 0;
    const fake = Ec2Fake.withDefaultWorld({ throttle: { now: () => now } });
    fake.registerService(SERVICE, ['use1-az1', 'use1-az2']);

    for (let index = 0; index < 4; index += 1) {
      await fake.createInterfaceEndpoint(input(fake, { clientToken: `t-${index}` }));
    }
    const error = await rejection(fake.createInterfaceEndpoint(input(fake, { clientToken: 't-4' })));
    now += 3_400; // 0.3 tokens/s: one token after ~3.3 s
    const later = await fake.createInterfaceEndpoint(input(fake, { clientToken: 't-4' }));

    expect(error.awsCode).toBe('RequestLimitExceeded');
    expect(later.vpcEndpointId).toMatch(/^vpce-/);
    // Describe calls have their own, larger bucket.
    await expect(fake.describeVpc(fake.world.vpcId)).resolves.toBeDefined();
  });

  it('can fail after the side effect, so a retry with the same token finds the created endpoint', async () => {
    const fake = world();
    fake.failNext('CreateVpcEndpoint', new AwsError('InternalError', 'An internal error has occurred'), {
      afterSideEffect: true,
    });

    const error = await rejection(fake.createInterfaceEndpoint(input(fake)));
    const [orphan] = await fake.listManagedEndpoints();
    const retried = await fake.createInterfaceEndpoint(input(fake));

    expect(error.awsCode).toBe('InternalError');
    expect(retried.vpcEndpointId).toBe(orphan?.vpcEndpointId);
    expect(await fake.listManagedEndpoints()).toHaveLength(1);
  });

  it('can fail before the side effect', async () => {
    const fake = world();
    fake.failNext('CreateVpcEndpoint', new AwsError('RequestLimitExceeded', 'Request limit exceeded.'));

    await rejection(fake.createInterfaceEndpoint(input(fake)));

    expect(await fake.listManagedEndpoints()).toEqual([]);
    await expect(fake.createInterfaceEndpoint(input(fake))).resolves.toBeDefined();
  });
});

describe('Ec2Fake ModifyVpcEndpoint subnets', () => {
  it('adds and removes subnets (and their ENIs) on a live endpoint', async () => {
    const fake = world();
    const az1 = fake.world.subnetIdByZoneId['use1-az1'] ?? '';
    const az2 = fake.world.subnetIdByZoneId['use1-az2'] ?? '';
    const endpoint = await fake.createInterfaceEndpoint(input(fake, { subnetIds: [az1] }));
    await fake.modifyEndpointSubnets(endpoint.vpcEndpointId, { addSubnetIds: [az2], removeSubnetIds: [az1] });
    const [after] = await fake.findEndpoints({ vpcEndpointIds: [endpoint.vpcEndpointId] });
    expect(after?.subnetIds).toEqual([az2]);
    expect(fake.endpointAddresses(endpoint.vpcEndpointId)).toHaveLength(1);
  });

  it("refuses a subnet in an AZ the service does not offer, with AWS's text", async () => {
    const fake = world();
    const endpoint = await fake.createInterfaceEndpoint(input(fake));
    const az4 = fake.world.subnetIdByZoneId['use1-az4'] ?? '';
    const error = await rejection(
      fake.modifyEndpointSubnets(endpoint.vpcEndpointId, { addSubnetIds: [az4], removeSubnetIds: [] }),
    );
    expect(error.message).toContain('does not support the availability zone of the subnet');
  });
});

describe('Ec2Fake DeleteVpcEndpoints and DeleteTags', () => {
  it('deletes as EC2 does (listed as deleted, ENIs gone), ignores unknown ids, and counts both as mutating', async () => {
    const fake = world();
    const endpoint = await fake.createInterfaceEndpoint(input(fake));
    fake.resetCalls();
    await fake.deleteVpcEndpoints([endpoint.vpcEndpointId, 'vpce-0000000000000dead']);
    const [after] = await fake.findEndpoints({ vpcEndpointIds: [endpoint.vpcEndpointId] });
    expect(after?.state).toBe('deleted');
    expect(fake.endpointAddresses(endpoint.vpcEndpointId)).toEqual([]);
    await fake.deleteTags(endpoint.vpcEndpointId, [CLUSTER_ID_TAG]);
    expect(fake.calls).toMatchObject({ DeleteVpcEndpoints: 1, DeleteTags: 1 });
    expect(fake.mutatingCalls).toBe(2);
  });

  it('removes only the tags named, and nothing (no call) for no keys', async () => {
    const fake = world();
    const endpoint = await fake.createInterfaceEndpoint(input(fake));
    await fake.tagResource(endpoint.vpcEndpointId, { extra: 'x' });
    await fake.deleteTags(endpoint.vpcEndpointId, ['extra']);
    await fake.deleteTags(endpoint.vpcEndpointId, []);
    const [after] = await fake.findEndpoints({ vpcEndpointIds: [endpoint.vpcEndpointId] });
    expect(after?.tags).toEqual(endpoint.tags);
    expect(fake.calls.DeleteTags).toBe(1);
    await expect(fake.deleteTags('vpce-0000000000000dead', ['extra'])).rejects.toMatchObject({
      awsCode: 'InvalidVpcEndpointId.NotFound',
    });
  });
});

describe('Ec2Fake DescribeVpcEndpointServices', () => {
  it('shows the private DNS name and its verification state, or none', async () => {
    const fake = world();
    fake.registerService('svc-unverified', ['use1-az1'], {
      privateDnsVerificationState: 'pendingVerification',
    });
    fake.registerService('svc-none', ['use1-az1'], { privateDnsName: null });
    expect(await fake.describeEndpointService(SERVICE)).toMatchObject({
      privateDnsName: 'vpce-svc-0a1b2c3d4e5f60718.clusters.tidb-cloud.com',
      privateDnsVerificationState: 'verified',
    });
    expect(await fake.describeEndpointService('svc-unverified')).toMatchObject({
      privateDnsVerificationState: 'pendingVerification',
    });
    expect(await fake.describeEndpointService('svc-none')).toEqual({ zoneNames: ['us-east-1c'] });
  });
});

describe('Ec2Fake private DNS', () => {
  it('cannot be enabled before the provider accepts the endpoint', async () => {
    const fake = world();
    const endpoint = await fake.createInterfaceEndpoint(input(fake));

    const error = await rejection(fake.enablePrivateDns(endpoint.vpcEndpointId));

    expect(error.awsCode).toBe('IncorrectState');
    expect(error.message).toContain('accepted');
    expect(
      (await fake.findEndpoints({ vpcEndpointIds: [endpoint.vpcEndpointId] }))[0]?.privateDnsEnabled,
    ).toBe(false);
  });

  it('is enabled after acceptance, and enabling twice is harmless', async () => {
    const fake = world();
    const endpoint = await fake.createInterfaceEndpoint(input(fake));
    fake.accept(endpoint.vpcEndpointId);

    await fake.enablePrivateDns(endpoint.vpcEndpointId);
    await fake.enablePrivateDns(endpoint.vpcEndpointId);

    expect(
      (await fake.findEndpoints({ vpcEndpointIds: [endpoint.vpcEndpointId] }))[0]?.privateDnsEnabled,
    ).toBe(true);
    expect(fake.calls.ModifyVpcEndpoint).toBe(2);
  });

  it.each([
    { enableDnsSupport: false, enableDnsHostnames: true },
    { enableDnsSupport: true, enableDnsHostnames: false },
  ])("needs both VPC DNS attributes, with AWS's text (%o)", async (attributes) => {
    const fake = world();
    const endpoint = await fake.createInterfaceEndpoint(input(fake));
    fake.accept(endpoint.vpcEndpointId);
    fake.setVpcDnsAttributes(fake.world.vpcId, attributes);

    const error = await rejection(fake.enablePrivateDns(endpoint.vpcEndpointId));

    expect(error.awsCode).toBe('InvalidParameter');
    expect(error.message).toBe(
      `Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true for ${fake.world.vpcId}`,
    );
  });

  it('fails on a conflicting DNS domain (another endpoint or a hosted zone already serves it)', async () => {
    const fake = world();
    const first = await fake.createInterfaceEndpoint(input(fake));
    const second = await fake.createInterfaceEndpoint(input(fake, { clientToken: 'second' }));
    fake.accept(first.vpcEndpointId);
    fake.accept(second.vpcEndpointId);
    await fake.enablePrivateDns(first.vpcEndpointId);

    const error = await rejection(fake.enablePrivateDns(second.vpcEndpointId));

    expect(error.awsCode).toBe('InvalidParameter');
    expect(error.message).toMatch(
      /^private-dns-enabled cannot be set because there is already a conflicting DNS domain/,
    );

    const zoned = world();
    zoned.registerService(SERVICE, ['use1-az1', 'use1-az2'], {
      privateDnsName: 'abc.clusters.tidb-cloud.com',
    });
    zoned.claimPrivateDnsDomain(zoned.world.vpcId, 'abc.clusters.tidb-cloud.com');
    const third = await zoned.createInterfaceEndpoint(input(zoned));
    zoned.accept(third.vpcEndpointId);
    expect((await rejection(zoned.enablePrivateDns(third.vpcEndpointId))).message).toContain(
      'abc.clusters.tidb-cloud.com',
    );
  });

  it('fails for a service without a private DNS name', async () => {
    const fake = Ec2Fake.withDefaultWorld();
    fake.registerService(SERVICE, ['use1-az1'], { privateDnsName: null, acceptanceRequired: false });
    const endpoint = await fake.createInterfaceEndpoint(
      input(fake, { subnetIds: [fake.world.subnetIdByZoneId['use1-az1'] ?? ''] }),
    );

    const error = await rejection(fake.enablePrivateDns(endpoint.vpcEndpointId));

    expect(error.message).toBe(
      `Private DNS can't be enabled because the service ${SERVICE} does not provide a private DNS name.`,
    );
  });
});

describe('Ec2Fake bookkeeping', () => {
  it('finds endpoints by managed-by tag plus extra tags, and applies later tags', async () => {
    const fake = world();
    const managed = await fake.createInterfaceEndpoint(input(fake));
    await fake.createInterfaceEndpoint(
      input(fake, { clientToken: 'unmanaged', tags: { [CLUSTER_ID_TAG]: '1379661944646413143' } }),
    );

    await fake.tagResource(managed.vpcEndpointId, { 'tidb-privatelink:health': 'healthy' });

    expect((await fake.listManagedEndpoints()).map((endpoint) => endpoint.vpcEndpointId)).toEqual([
      managed.vpcEndpointId,
    ]);
    expect(await fake.listManagedEndpoints({ [CLUSTER_ID_TAG]: 'another' })).toEqual([]);
    expect(
      (await fake.listManagedEndpoints({ 'tidb-privatelink:health': 'healthy' }))[0]?.vpcEndpointId,
    ).toBe(managed.vpcEndpointId);
    expect(await fake.findEndpoints({ vpcId: fake.world.vpcId, serviceName: SERVICE })).toHaveLength(2);
  });

  it('counts calls per EC2 operation, as the SDK adapter would make them', async () => {
    const fake = world();

    await fake.describeVpcDnsAttributes(fake.world.vpcId);
    await fake.describePrefixLists([fake.createPrefixList([]), fake.createPrefixList([])]);
    await fake.describeSubnets([]);

    expect(fake.calls.DescribeVpcAttribute).toBe(2);
    expect(fake.calls.GetManagedPrefixListEntries).toBe(2);
    expect(fake.calls.DescribeSubnets).toBe(0);
    expect(fake.totalCalls).toBe(4);
    fake.resetCalls();
    expect(fake.totalCalls).toBe(0);
  });

  it('honours an aborted signal', async () => {
    const fake = world();
    const controller = new AbortController();
    controller.abort(new Error('deadline'));

    await expect(fake.describeVpc(fake.world.vpcId, { signal: controller.signal })).rejects.toThrow(
      'deadline',
    );
  });

  it('returns copies: callers cannot change the fake by mutating results', async () => {
    const fake = world();
    const endpoint = await fake.createInterfaceEndpoint(input(fake));

    endpoint.tags.Name = 'mutated';
    endpoint.subnetIds.length = 0;

    const [fresh] = await fake.findEndpoints({ vpcEndpointIds: [endpoint.vpcEndpointId] });
    expect(fresh?.tags.Name).toBeUndefined();
    expect(fresh?.subnetIds).toHaveLength(2);
  });
});
