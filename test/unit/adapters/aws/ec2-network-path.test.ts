/**
 * DHCP options and route tables: how Ec2Adapter reads EC2's answers (moto's DescribeDhcpOptions reply is
 * unreadable to the JS SDK, so the mapping is pinned here) and how the EC2 fake models them.
 */
import { describe, expect, it } from 'vitest';
import { AwsError } from '../../../../functions/core/errors.ts';
import { Ec2Fake } from '../../../../testing/ec2-fake.ts';
import { stubbedEc2Adapter } from './sdk-stub.ts';

const adapter = stubbedEc2Adapter;

describe('Ec2Adapter: DHCP options', () => {
  it("reads the VPC's set, then its domain-name-servers", async () => {
    const { ec2, calls } = adapter(({ command }) =>
      command === 'DescribeVpcsCommand'
        ? { Vpcs: [{ VpcId: 'vpc-1', DhcpOptionsId: 'dopt-1' }] }
        : {
            DhcpOptions: [
              {
                DhcpOptionsId: 'dopt-1',
                DhcpConfigurations: [
                  { Key: 'domain-name', Values: [{ Value: 'corp.example' }] },
                  { Key: 'domain-name-servers', Values: [{ Value: '10.9.0.2' }, { Value: '10.9.0.3' }] },
                ],
              },
            ],
          },
    );
    expect(await ec2.describeDhcpOptions('vpc-1')).toEqual({
      dhcpOptionsId: 'dopt-1',
      domainNameServers: ['10.9.0.2', '10.9.0.3'],
    });
    expect(calls.map((call) => [call.command, call.input])).toEqual([
      ['DescribeVpcsCommand', { VpcIds: ['vpc-1'] }],
      ['DescribeDhcpOptionsCommand', { DhcpOptionsIds: ['dopt-1'] }],
    ]);
  });

  it('a VPC without a set (`default`) uses AmazonProvidedDNS: undefined, one call', async () => {
    const { ec2, calls } = adapter(() => ({ Vpcs: [{ VpcId: 'vpc-1', DhcpOptionsId: 'default' }] }));
    expect(await ec2.describeDhcpOptions('vpc-1')).toBeUndefined();
    expect(calls).toHaveLength(1);
  });
});

describe('Ec2Adapter: route tables', () => {
  it('filters by VPC and maps main, associations, destinations, targets and blackholes', async () => {
    const { ec2, calls } = adapter(() => ({
      RouteTables: [
        {
          RouteTableId: 'rtb-1',
          VpcId: 'vpc-1',
          Associations: [
            { Main: true, AssociationState: { State: 'associated' } },
            { SubnetId: 'subnet-a', AssociationState: { State: 'associated' } },
            { SubnetId: 'subnet-old', AssociationState: { State: 'disassociated' } },
          ],
          Routes: [
            { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', State: 'active' },
            { DestinationCidrBlock: '10.1.0.0/16', VpcPeeringConnectionId: 'pcx-1', State: 'blackhole' },
            { DestinationPrefixListId: 'pl-1', TransitGatewayId: 'tgw-1', State: 'active' },
            { DestinationIpv6CidrBlock: '::/0', EgressOnlyInternetGatewayId: 'eigw-1', State: 'active' },
            {
              DestinationCidrBlock: '0.0.0.0/0',
              InstanceId: 'i-1',
              NetworkInterfaceId: 'eni-1',
              State: 'active',
            },
          ],
        },
      ],
    }));
    expect(await ec2.describeRouteTables('vpc-1')).toEqual([
      {
        routeTableId: 'rtb-1',
        vpcId: 'vpc-1',
        main: true,
        subnetIds: ['subnet-a'],
        routes: [
          { destination: '10.0.0.0/16', target: 'local', state: 'active' },
          { destination: '10.1.0.0/16', target: 'pcx-1', state: 'blackhole' },
          { destinationPrefixListId: 'pl-1', target: 'tgw-1', state: 'active' },
          { destination: '::/0', target: 'eigw-1', state: 'active' },
          { destination: '0.0.0.0/0', target: 'eni-1', state: 'active' },
        ],
      },
    ]);
    expect(calls[0]?.input).toMatchObject({ Filters: [{ Name: 'vpc-id', Values: ['vpc-1'] }] });
  });
});

describe('Ec2Fake: DHCP options and route tables', () => {
  it('gives a new VPC the default set (AmazonProvidedDNS) and reads a custom one as the adapter does', async () => {
    const fake = Ec2Fake.withDefaultWorld();
    const { vpcId } = fake.world;
    expect(await fake.describeDhcpOptions(vpcId)).toMatchObject({ domainNameServers: ['AmazonProvidedDNS'] });
    const corp = fake.createDhcpOptions(['10.9.0.2']);
    fake.associateDhcpOptions(corp, vpcId);
    fake.resetCalls();
    expect(await fake.describeDhcpOptions(vpcId)).toEqual({
      dhcpOptionsId: corp,
      domainNameServers: ['10.9.0.2'],
    });
    expect([fake.calls.DescribeVpcs, fake.calls.DescribeDhcpOptions]).toEqual([1, 1]);
    fake.associateDhcpOptions('default', vpcId);
    expect(await fake.describeDhcpOptions(vpcId)).toBeUndefined();
    expect(() => fake.associateDhcpOptions('dopt-missing', vpcId)).toThrow(AwsError);
  });

  it('keeps a main table with local routes, moves subnets to custom tables, refuses duplicate routes', async () => {
    const fake = Ec2Fake.withDefaultWorld();
    const { vpcId, subnetIds } = fake.world;
    fake.addVpcCidrBlock(vpcId, '10.1.0.0/16');
    const table = fake.createRouteTable(vpcId, { subnetIds: [subnetIds[0] ?? ''] });
    fake.addRoute(table, { destination: '192.168.0.0/16', target: 'tgw-1' });
    expect(() => fake.addRoute(table, { destination: '192.168.0.0/16', target: 'vgw-1' })).toThrow(
      expect.objectContaining({ awsCode: 'RouteAlreadyExists' }),
    );
    fake.blackholeRoutesTo('tgw-1');
    const tables = await fake.describeRouteTables(vpcId);
    expect(tables.find((t) => t.main)?.routes.map((r) => r.destination)).toEqual([
      '10.0.0.0/16',
      '10.1.0.0/16',
    ]);
    expect(tables.find((t) => t.routeTableId === table)).toMatchObject({
      main: false,
      subnetIds: [subnetIds[0]],
      routes: expect.arrayContaining([
        { destination: '192.168.0.0/16', target: 'tgw-1', state: 'blackhole' },
      ]),
    });
    expect(fake.mainRouteTableId(vpcId)).toBe(tables.find((t) => t.main)?.routeTableId);
  });
});
