/**
 * What Ec2Adapter sends and how it reads EC2's answers, where moto would not notice a mistake (PrivateDnsEnabled
 * on create, ClientToken, pagination, state spelling, error codes).
 */
import { describe, expect, it } from 'vitest';
import { ABSENT_ENDPOINT_STATE, toVpcEndpointState } from '../../../../functions/adapters/aws/ec2-mapping.ts';
import { AwsError, failureKind } from '../../../../functions/core/errors.ts';
import { serviceError, stubbedEc2Adapter } from './sdk-stub.ts';

const adapter = stubbedEc2Adapter;

describe('Ec2Adapter deletes', () => {
  it('reads per-endpoint refusals from Unsuccessful, and ignores an endpoint already gone', async () => {
    const refused = adapter(() => ({
      Unsuccessful: [
        {
          ResourceId: 'vpce-1',
          Error: { Code: 'InvalidVpcEndpoint.NotOwned', Message: 'not yours' },
        },
      ],
    }));
    await expect(refused.ec2.deleteVpcEndpoints(['vpce-1'])).rejects.toMatchObject({
      awsCode: 'InvalidVpcEndpoint.NotOwned',
      message: expect.stringContaining('vpce-1'),
    });
    const gone = adapter(() => ({
      Unsuccessful: [
        { ResourceId: 'vpce-2', Error: { Code: 'InvalidVpcEndpointId.NotFound', Message: 'gone' } },
      ],
    }));
    await expect(gone.ec2.deleteVpcEndpoints(['vpce-2'])).resolves.toBeUndefined();
    expect(gone.calls).toEqual([
      { command: 'DeleteVpcEndpointsCommand', input: { VpcEndpointIds: ['vpce-2'] } },
    ]);
  });

  it('deletes tags by key only, and sends nothing for no keys (DeleteTags without keys deletes them all)', async () => {
    const { ec2, calls } = adapter(() => ({}));
    await ec2.deleteTags('vpce-1', []);
    await ec2.deleteTags('vpce-1', ['tidb-privatelink:orphaned-since']);
    expect(calls).toEqual([
      {
        command: 'DeleteTagsCommand',
        input: { Resources: ['vpce-1'], Tags: [{ Key: 'tidb-privatelink:orphaned-since' }] },
      },
    ]);
  });
});

describe('Ec2Adapter requests', () => {
  it('creates an Interface endpoint with private DNS off, IPv4 pinned, the client token and vpc-endpoint tags', async () => {
    const { ec2, calls } = adapter(() => ({
      VpcEndpoint: {
        VpcEndpointId: 'vpce-1',
        VpcId: 'vpc-1',
        ServiceName: 'svc',
        State: 'pendingAcceptance',
      },
    }));

    const endpoint = await ec2.createInterfaceEndpoint({
      vpcId: 'vpc-1',
      serviceName: 'svc',
      subnetIds: ['subnet-1', 'subnet-2'],
      securityGroupIds: ['sg-1'],
      clientToken: 'token-1',
      tags: { Name: 'tidb' },
    });

    expect(calls).toEqual([
      {
        command: 'CreateVpcEndpointCommand',
        input: {
          VpcEndpointType: 'Interface',
          VpcId: 'vpc-1',
          ServiceName: 'svc',
          SubnetIds: ['subnet-1', 'subnet-2'],
          SecurityGroupIds: ['sg-1'],
          PrivateDnsEnabled: false,
          IpAddressType: 'ipv4',
          DnsOptions: { DnsRecordIpType: 'ipv4' },
          ClientToken: 'token-1',
          TagSpecifications: [{ ResourceType: 'vpc-endpoint', Tags: [{ Key: 'Name', Value: 'tidb' }] }],
        },
      },
    ]);
    expect(endpoint).toMatchObject({
      state: 'pendingAcceptance',
      tags: { Name: 'tidb' },
      securityGroupIds: ['sg-1'],
    });
  });

  it('lists managed endpoints with the managed-by tag filter plus extra tag filters, following every page', async () => {
    const { ec2, calls } = adapter((call) =>
      call.input.NextToken
        ? { VpcEndpoints: [{ VpcEndpointId: 'vpce-2', State: 'Available' }] }
        : { VpcEndpoints: [{ VpcEndpointId: 'vpce-1', State: 'available' }], NextToken: 'page-2' },
    );

    const endpoints = await ec2.listManagedEndpoints({
      'tidb-privatelink:cluster-id': '1379661944646413143',
    });

    expect(endpoints.map((endpoint) => [endpoint.vpcEndpointId, endpoint.state])).toEqual([
      ['vpce-1', 'available'],
      ['vpce-2', 'available'],
    ]);
    expect(calls).toHaveLength(2);
    expect(calls[0]?.input.Filters).toEqual([
      { Name: 'tag:tidb-privatelink:managed-by', Values: ['tidb-privatelink'] },
      { Name: 'tag:tidb-privatelink:cluster-id', Values: ['1379661944646413143'] },
    ]);
  });

  it('enables private DNS with ModifyVpcEndpoint', async () => {
    const { ec2, calls } = adapter(() => ({ Return: true }));

    await ec2.enablePrivateDns('vpce-1');

    expect(calls).toEqual([
      { command: 'ModifyVpcEndpointCommand', input: { VpcEndpointId: 'vpce-1', PrivateDnsEnabled: true } },
    ]);
  });

  it('asks for both DNS attributes', async () => {
    const { ec2, calls } = adapter((call) =>
      call.input.Attribute === 'enableDnsSupport'
        ? { EnableDnsSupport: { Value: true } }
        : { EnableDnsHostnames: { Value: false } },
    );

    expect(await ec2.describeVpcDnsAttributes('vpc-1')).toEqual({
      enableDnsSupport: true,
      enableDnsHostnames: false,
    });
    expect(calls.map((call) => call.input.Attribute).sort()).toEqual([
      'enableDnsHostnames',
      'enableDnsSupport',
    ]);
  });

  it('filters SG rules by group-id and NACLs by association.subnet-id', async () => {
    const { ec2, calls } = adapter((call) =>
      call.command === 'DescribeSecurityGroupRulesCommand'
        ? {
            SecurityGroupRules: [
              {
                GroupId: 'sg-1',
                IsEgress: false,
                IpProtocol: 'tcp',
                FromPort: 4000,
                ToPort: 4000,
                ReferencedGroupInfo: { GroupId: 'sg-2' },
              },
            ],
          }
        : {
            NetworkAcls: [
              {
                NetworkAclId: 'acl-1',
                VpcId: 'vpc-1',
                Associations: [{ SubnetId: 'subnet-1' }],
                Entries: [],
              },
            ],
          },
    );

    const rules = await ec2.describeSecurityGroupRules(['sg-1']);
    const acls = await ec2.describeNetworkAcls(['subnet-1']);

    expect(rules).toEqual([
      {
        groupId: 'sg-1',
        isEgress: false,
        ipProtocol: 'tcp',
        fromPort: 4000,
        toPort: 4000,
        referencedGroupId: 'sg-2',
      },
    ]);
    expect(acls).toEqual([{ networkAclId: 'acl-1', vpcId: 'vpc-1', subnetIds: ['subnet-1'], entries: [] }]);
    expect(calls.map((call) => call.input.Filters)).toEqual([
      [{ Name: 'group-id', Values: ['sg-1'] }],
      [{ Name: 'association.subnet-id', Values: ['subnet-1'] }],
    ]);
  });
});

describe('Ec2Adapter errors and states', () => {
  it("throws AwsError with AWS's code and message", async () => {
    const text =
      'The VPC endpoint service svc does not support the availability zone of the subnet: subnet-1.';
    const { ec2 } = adapter(() => {
      throw serviceError('InvalidParameter', text);
    });

    const error = await ec2.describeServiceZones('svc').catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(AwsError);
    expect(error).toMatchObject({ code: 'AWS', awsCode: 'InvalidParameter', message: text });
  });

  it('passes aborts through untouched', async () => {
    const { ec2 } = adapter(() => {
      throw Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    });

    const error = await ec2.describeAvailabilityZones().catch((caught: unknown) => caught);

    expect(error).not.toBeInstanceOf(AwsError);
    expect((error as Error).name).toBe('AbortError');
  });

  it('drops unknown endpoint IDs instead of failing the find', async () => {
    const { ec2 } = adapter((call) => {
      const ids = call.input.VpcEndpointIds as string[];
      if (ids.includes('vpce-missing')) throw serviceError('InvalidVpcEndpointId.NotFound', 'not found');
      return { VpcEndpoints: ids.map((id) => ({ VpcEndpointId: id, State: 'available' })) };
    });

    const found = await ec2.findEndpoints({ vpcEndpointIds: ['vpce-1', 'vpce-missing'] });

    expect(found.map((endpoint) => endpoint.vpcEndpointId)).toEqual(['vpce-1']);
  });

  it('reads known states in either spelling; any other state passes through verbatim, never as failed', () => {
    expect(toVpcEndpointState('pendingAcceptance')).toBe('pendingAcceptance');
    expect(toVpcEndpointState('PendingAcceptance')).toBe('pendingAcceptance');
    expect(toVpcEndpointState('Failed')).toBe('failed');
    expect(toVpcEndpointState('partial')).toBe('partial');
    expect(toVpcEndpointState('Partial')).toBe('Partial');
    expect(toVpcEndpointState('quarantined')).toBe('quarantined');
    expect(toVpcEndpointState(undefined)).toBe(ABSENT_ENDPOINT_STATE);
    expect(toVpcEndpointState('')).not.toBe('failed');
  });

  it('hands an unknown state from DescribeVpcEndpoints to the core verbatim', async () => {
    const { ec2 } = adapter(() => ({
      VpcEndpoints: [
        { VpcEndpointId: 'vpce-1', State: 'partial' },
        { VpcEndpointId: 'vpce-2', State: 'quarantined' },
        { VpcEndpointId: 'vpce-3' },
      ],
    }));

    const found = await ec2.findEndpoints({ vpcEndpointIds: ['vpce-1', 'vpce-2', 'vpce-3'] });

    expect(found.map((endpoint) => endpoint.state)).toEqual([
      'partial',
      'quarantined',
      ABSENT_ENDPOINT_STATE,
    ]);
  });

  it('marks whose fault an error was: throttling and socket errors are transient, refusals are not', async () => {
    const throttled = await adapter(() => {
      throw Object.assign(serviceError('RequestLimitExceeded', 'Request limit exceeded.'), {
        $fault: 'client',
      });
    })
      .ec2.describeAvailabilityZones()
      .catch((caught: unknown) => caught);
    const socket = await adapter(() => {
      throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    })
      .ec2.describeAvailabilityZones()
      .catch((caught: unknown) => caught);
    const refused = await adapter(() => {
      throw serviceError('UnauthorizedOperation', 'You are not authorized to perform this operation.');
    })
      .ec2.describeAvailabilityZones()
      .catch((caught: unknown) => caught);
    expect(socket).toMatchObject({ awsCode: 'ECONNRESET', fault: 'network' });
    expect([throttled, socket, refused].map(failureKind)).toEqual(['transient', 'transient', 'refused']);
  });
});

describe('Ec2Adapter: what provisioning adds', () => {
  it("reads the service's private DNS name and its verification state with its zones", async () => {
    const { ec2 } = adapter(() => ({
      ServiceDetails: [
        {
          ServiceName: 'svc',
          AvailabilityZones: ['us-east-1a'],
          PrivateDnsName: 'x.clusters.tidb-cloud.com',
          PrivateDnsNameVerificationState: 'pendingVerification',
        },
      ],
    }));
    expect(await ec2.describeEndpointService('svc')).toEqual({
      zoneNames: ['us-east-1a'],
      privateDnsName: 'x.clusters.tidb-cloud.com',
      privateDnsVerificationState: 'pendingVerification',
    });
  });

  it('changes subnets in place with ModifyVpcEndpoint Add/RemoveSubnetIds', async () => {
    const { ec2, calls } = adapter(() => ({ Return: true }));
    await ec2.modifyEndpointSubnets('vpce-1', { addSubnetIds: ['subnet-2'], removeSubnetIds: [] });
    expect(calls).toEqual([
      { command: 'ModifyVpcEndpointCommand', input: { VpcEndpointId: 'vpce-1', AddSubnetIds: ['subnet-2'] } },
    ]);
  });

  it('reads CreationTimestamp', async () => {
    const { ec2 } = adapter(() => ({
      VpcEndpoints: [{ VpcEndpointId: 'vpce-1', State: 'available', CreationTimestamp: new Date(0) }],
    }));
    const [endpoint] = await ec2.listManagedEndpoints();
    expect(endpoint?.createdAt).toBe('1970-01-01T00:00:00.000Z');
  });
});
