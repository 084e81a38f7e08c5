/**
 * Route tables as moto models them, read by Ec2Adapter and judged by the return-route analysis: the main
 * table serving subnets without an association, a custom table, and routes to a peering connection, a
 * transit gateway and a virtual private gateway.
 */
import {
  AssociateRouteTableCommand,
  AttachVpnGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateTransitGatewayCommand,
  CreateVpcPeeringConnectionCommand,
  CreateVpnGatewayCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Ec2Adapter } from '../../functions/adapters/aws/ec2.ts';
import { returnPaths } from '../../functions/core/diagnose/return-route.ts';
import { sandboxPrincipals } from '../../testing/iam/sandbox-roles.ts';
import {
  buildMotoWorld,
  createSandboxClients,
  destroySandboxClients,
  type MotoWorld,
  type SandboxClients,
} from '../../testing/moto-world.ts';

let clients: SandboxClients;
/** The troubleshoot function's clients: its route-table reads are decided against its packaged role. */
let troubleshoot: SandboxClients;
let world: MotoWorld;
let ids: { table: string; pcx: string; tgw: string; vgw: string };

const required = (value: string | undefined, what: string): string => {
  if (!value) throw new Error(`moto returned no ${what}`);
  return value;
};

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
  troubleshoot = createSandboxClients(config, { as: principals.as('troubleshoot') });
  const { ec2 } = clients;
  const table = await ec2.send(new CreateRouteTableCommand({ VpcId: world.vpcId }));
  const peering = await ec2.send(
    new CreateVpcPeeringConnectionCommand({ VpcId: world.vpcId, PeerVpcId: world.provider.vpcId }),
  );
  const tgw = await ec2.send(new CreateTransitGatewayCommand({ Description: 'to on-premises' }));
  const vgw = await ec2.send(new CreateVpnGatewayCommand({ Type: 'ipsec.1' }));
  ids = {
    table: required(table.RouteTable?.RouteTableId, 'RouteTableId'),
    pcx: required(peering.VpcPeeringConnection?.VpcPeeringConnectionId, 'VpcPeeringConnectionId'),
    tgw: required(tgw.TransitGateway?.TransitGatewayId, 'TransitGatewayId'),
    vgw: required(vgw.VpnGateway?.VpnGatewayId, 'VpnGatewayId'),
  };
  await ec2.send(new AttachVpnGatewayCommand({ VpcId: world.vpcId, VpnGatewayId: ids.vgw }));
  await ec2.send(
    new AssociateRouteTableCommand({ RouteTableId: ids.table, SubnetId: world.subnetIdByZoneId['use1-az1'] }),
  );
  const route = (DestinationCidrBlock: string, target: Record<string, string>) =>
    ec2.send(new CreateRouteCommand({ RouteTableId: ids.table, DestinationCidrBlock, ...target }));
  await route('10.100.0.0/16', { VpcPeeringConnectionId: ids.pcx });
  await route('172.16.0.0/12', { TransitGatewayId: ids.tgw });
  await route('192.168.0.0/16', { GatewayId: ids.vgw });
}, 120_000);

afterAll(() => {
  destroySandboxClients(clients);
  if (troubleshoot) destroySandboxClients(troubleshoot);
});

describe('route tables on moto', () => {
  it('reads the main and the custom table with their associations and targets', async () => {
    const tables = await new Ec2Adapter(troubleshoot.ec2).describeRouteTables(world.vpcId);
    const main = tables.find((table) => table.main);
    const custom = tables.find((table) => table.routeTableId === ids.table);
    expect(main?.routes).toContainEqual({ destination: world.cidrBlock, target: 'local', state: 'active' });
    expect(custom).toMatchObject({ main: false, subnetIds: [world.subnetIdByZoneId['use1-az1']] });
    expect(custom?.routes).toEqual(
      expect.arrayContaining([
        { destination: '10.100.0.0/16', target: ids.pcx, state: 'active' },
        { destination: '172.16.0.0/12', target: ids.tgw, state: 'active' },
        { destination: '192.168.0.0/16', target: ids.vgw, state: 'active' },
      ]),
    );
  });

  it('the custom table routes each kind of outside client back; the main table serving az2 does not', async () => {
    const tables = await new Ec2Adapter(troubleshoot.ec2).describeRouteTables(world.vpcId);
    const subnets = [world.subnetIdByZoneId['use1-az1'] ?? '', world.subnetIdByZoneId['use1-az2'] ?? ''];
    const kinds = (source: string) =>
      returnPaths(tables, subnets, source).map((path) => [path.viaMain, path.legs.map((leg) => leg.kind)]);
    expect(kinds('10.100.16.0/20')).toEqual([
      [false, ['peering']],
      [true, ['no-route']],
    ]);
    expect(kinds('172.20.0.0/16')[0]).toEqual([false, ['transit-gateway']]);
    expect(kinds('192.168.1.0/24')[0]).toEqual([false, ['vpn-gateway']]);
    expect(kinds('10.0.32.0/20')).toEqual([
      [false, ['local']],
      [true, ['local']],
    ]);
  });
});
