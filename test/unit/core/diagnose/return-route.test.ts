import { describe, expect, it } from 'vitest';
import { awsReturnRoute } from '../../../../functions/core/diagnose/checks/aws-return-route.ts';
import { type DiagnoseContext, deriveTarget } from '../../../../functions/core/diagnose/context.ts';
import { gather } from '../../../../functions/core/diagnose/gather.ts';
import {
  hopKind,
  knownReturnTarget,
  matchRoutes,
  returnPaths,
} from '../../../../functions/core/diagnose/return-route.ts';
import type { Route, RouteTable } from '../../../../functions/core/model.ts';
import { DnsPathFake } from '../../../../testing/dns-path-fake.ts';
import {
  contextFor,
  fakeEc2,
  fakeTidb,
  healthyWorld,
  REQUEST,
  runCheck,
  VPC_ID,
  type World,
} from './fakes.ts';

const route = (destination: string, target: string, state = 'active'): Route => ({
  destination,
  target,
  state,
});
const LOCAL = route('10.0.0.0/16', 'local');

describe('matchRoutes: longest prefix match for every part of the source', () => {
  const cases: {
    name: string;
    routes: Route[];
    source: string;
    legs: [string[], string | undefined, string][];
  }[] = [
    {
      name: 'a source inside the VPC takes the local route',
      routes: [LOCAL, route('0.0.0.0/0', 'igw-1')],
      source: '10.0.4.0/24',
      legs: [[['10.0.4.0/24'], 'local', 'local']],
    },
    {
      name: 'a peered VPC through its peering connection',
      routes: [LOCAL, route('10.1.0.0/16', 'pcx-1'), route('0.0.0.0/0', 'nat-1')],
      source: '10.1.2.0/24',
      legs: [[['10.1.2.0/24'], 'pcx-1', 'peering']],
    },
    {
      name: 'the default route to a transit gateway covers anything',
      routes: [LOCAL, route('0.0.0.0/0', 'tgw-1')],
      source: '192.168.0.0/16',
      legs: [[['192.168.0.0/16'], 'tgw-1', 'transit-gateway']],
    },
    {
      name: 'a more specific route wins over a broader one',
      routes: [LOCAL, route('192.168.0.0/16', 'vgw-1'), route('192.168.5.0/24', 'igw-1')],
      source: '192.168.5.0/24',
      legs: [[['192.168.5.0/24'], 'igw-1', 'wrong-way']],
    },
    {
      name: 'a source split between two routes, and a part with none',
      routes: [LOCAL, route('172.16.0.0/25', 'tgw-1'), route('172.16.0.128/26', 'pcx-2')],
      source: '172.16.0.0/24',
      legs: [
        [['172.16.0.128/26'], 'pcx-2', 'peering'],
        [['172.16.0.0/25'], 'tgw-1', 'transit-gateway'],
        [['172.16.0.192/26'], undefined, 'no-route'],
      ],
    },
    {
      name: 'a route whose peering connection is gone is a blackhole',
      routes: [LOCAL, route('10.1.0.0/16', 'pcx-gone', 'blackhole')],
      source: '10.1.0.0/16',
      legs: [[['10.1.0.0/16'], 'pcx-gone', 'blackhole']],
    },
    {
      name: 'through a firewall appliance (an ENI)',
      routes: [LOCAL, route('0.0.0.0/0', 'eni-fw')],
      source: '192.168.0.0/24',
      legs: [[['192.168.0.0/24'], 'eni-fw', 'appliance']],
    },
    {
      name: 'IPv6 routes are matched within their family only',
      routes: [LOCAL, route('::/0', 'eigw-1'), route('2600:1f18::/32', 'tgw-6')],
      source: '2600:1f18:1::/48',
      legs: [[['2600:1f18:1::/48'], 'tgw-6', 'transit-gateway']],
    },
  ];
  it.each(cases)('$name', ({ routes, source, legs }) => {
    expect(matchRoutes(routes, source).map((leg) => [leg.cidrs, leg.route?.target, leg.kind])).toEqual(legs);
  });

  it('a prefix-list destination stands for each of its CIDRs', () => {
    const routes: Route[] = [
      LOCAL,
      { destinationPrefixListId: 'pl-onprem', target: 'vgw-1', state: 'active' },
    ];
    const legs = matchRoutes(routes, '192.168.7.0/24', [
      { prefixListId: 'pl-onprem', cidrs: ['192.168.0.0/16'] },
    ]);
    expect(legs.map((leg) => [leg.cidrs, leg.kind])).toEqual([[['192.168.7.0/24'], 'vpn-gateway']]);
  });

  it.each([
    ['pcx-1', 'peering'],
    ['tgw-1', 'transit-gateway'],
    ['vgw-1', 'vpn-gateway'],
    ['arn:aws:networkmanager::123456789012:core-network/core-network-1', 'core-network'],
    ['vpce-gwlb', 'appliance'],
    ['i-0abc', 'appliance'],
    ['igw-1', 'wrong-way'],
    ['nat-1', 'wrong-way'],
    ['local', 'local'],
  ])('hop %s is %s', (target, kind) => {
    expect(hopKind(target)).toBe(kind);
  });
});

describe('returnPaths: which table serves each endpoint subnet', () => {
  const main: RouteTable = {
    routeTableId: 'rtb-main',
    vpcId: VPC_ID,
    main: true,
    subnetIds: [],
    routes: [LOCAL],
  };
  const custom: RouteTable = {
    routeTableId: 'rtb-a',
    vpcId: VPC_ID,
    main: false,
    subnetIds: ['subnet-a'],
    routes: [LOCAL, route('192.168.0.0/16', 'tgw-1')],
  };

  it('an explicit association, else the main table', () => {
    const paths = returnPaths([main, custom], ['subnet-a', 'subnet-b'], '192.168.1.0/24');
    expect(paths.map((p) => [p.subnetId, p.routeTableId, p.viaMain, p.legs.map((l) => l.kind)])).toEqual([
      ['subnet-a', 'rtb-a', false, ['transit-gateway']],
      ['subnet-b', 'rtb-main', true, ['no-route']],
    ]);
  });

  it('the hop another table already uses for the source is the target to copy', () => {
    expect(knownReturnTarget([main, custom], '192.168.1.0/24')).toBe('tgw-1');
    expect(knownReturnTarget([main], '192.168.1.0/24')).toBeUndefined();
  });
});

describe('aws.return-route', () => {
  const SOURCE = { source: { cidr: '192.168.10.0/24' } };
  const tableFor = (world: World, routes: Route[], subnetIds: string[] = []) => {
    world.routeTables.push({
      routeTableId: 'rtb-endpoint',
      vpcId: VPC_ID,
      main: false,
      subnetIds,
      routes: [LOCAL, ...routes],
    });
  };
  const check = (world: World, request: Parameters<typeof contextFor>[2] = SOURCE) =>
    contextFor(world, undefined, request).then((context) => runCheck(awsReturnRoute, context));

  it('is skipped for a source inside the VPC, and for the VPC itself', async () => {
    expect(await check(healthyWorld(), { source: { cidr: '10.0.9.0/24' } })).toMatchObject({
      status: 'skip',
      summary: 'Skipped: 10.0.9.0/24 is inside the VPC (the local route returns its traffic).',
    });
    expect((await check(healthyWorld(), {})).status).toBe('skip');
  });

  it('passes when both endpoint subnets route the source back through a peering connection', async () => {
    const world = healthyWorld();
    tableFor(world, [route('192.168.0.0/16', 'pcx-1')], ['subnet-a', 'subnet-b']);
    expect(await check(world)).toMatchObject({
      status: 'pass',
      summary: 'The endpoint subnets route 192.168.10.0/24 back via pcx-1.',
      evidence: {
        routeTables: [{ subnetId: 'subnet-a', routeTableId: 'rtb-endpoint', main: false }, expect.anything()],
      },
    });
  });

  it('fails on the main table with no route back, copying the hop another table uses', async () => {
    const world = healthyWorld();
    tableFor(world, [route('192.168.0.0/16', 'tgw-1')], ['subnet-a']);
    const outcome = await check(world);
    expect(outcome).toMatchObject({
      status: 'fail',
      summary:
        'Replies to 192.168.10.0/24 cannot get back: rtb-main (main) of subnet-b has no route to 192.168.10.0/24.',
    });
    expect(outcome.remediation).toBe(
      'aws ec2 create-route --route-table-id rtb-main --destination-cidr-block 192.168.10.0/24 --transit-gateway-id tgw-1',
    );
  });

  it('replaces a route for exactly the source that goes to the internet, naming no hop it cannot know', async () => {
    const world = healthyWorld();
    world.routeTables = [
      {
        routeTableId: 'rtb-main',
        vpcId: VPC_ID,
        main: true,
        subnetIds: [],
        routes: [LOCAL, route('192.168.10.0/24', 'igw-1')],
      },
    ];
    const outcome = await check(world);
    expect(outcome.status).toBe('fail');
    expect(outcome.summary).toContain('sends 192.168.10.0/24 to igw-1, not back to a private network');
    expect(outcome.remediation).toBe(
      'aws ec2 replace-route --route-table-id rtb-main --destination-cidr-block 192.168.10.0/24 <--vpc-peering-connection-id pcx-… | --transit-gateway-id tgw-… | --gateway-id vgw-…>',
    );
  });

  it('fails on a blackhole route (the peering connection was deleted)', async () => {
    const world = healthyWorld();
    tableFor(world, [route('192.168.0.0/16', 'pcx-gone', 'blackhole')], ['subnet-a', 'subnet-b']);
    const outcome = await check(world);
    expect(outcome.summary).toContain('sends 192.168.10.0/24 to pcx-gone, which is gone (blackhole)');
    expect(outcome.remediation).toContain(
      'aws ec2 create-route --route-table-id rtb-endpoint --destination-cidr-block 192.168.10.0/24',
    );
  });

  it('warns for on-premises behind a VPN gateway when the VPC has no inbound Resolver endpoint', async () => {
    const world = healthyWorld();
    tableFor(world, [route('192.168.0.0/16', 'vgw-1')], ['subnet-a', 'subnet-b']);
    const dns = new DnsPathFake();
    const outcome = await runCheck(awsReturnRoute, await contextWithResolver(world, dns));
    expect(outcome).toMatchObject({
      status: 'warn',
      summary: expect.stringContaining(`${VPC_ID} has no Route 53 Resolver inbound endpoint`),
      evidence: { inboundResolverEndpoints: [] },
    });
    expect(outcome.remediation).toContain('aws route53resolver create-resolver-endpoint --direction INBOUND');
    expect(outcome.remediation).toContain('--ip-addresses SubnetId=subnet-a SubnetId=subnet-b');

    const inbound = dns.addResolverEndpoint(VPC_ID, 'INBOUND');
    const fixed = await runCheck(awsReturnRoute, await contextWithResolver(world, dns));
    expect(fixed).toMatchObject({ status: 'pass', evidence: { inboundResolverEndpoints: [inbound] } });
  });

  it('warns when replies pass through an appliance', async () => {
    const world = healthyWorld();
    tableFor(world, [route('0.0.0.0/0', 'eni-firewall')], ['subnet-a', 'subnet-b']);
    expect(await check(world)).toMatchObject({
      status: 'warn',
      summary: expect.stringContaining('pass through eni-firewall'),
    });
  });

  it('fails with the read error when the route tables cannot be read', async () => {
    const world = healthyWorld();
    world.failures.describeRouteTables = new Error('UnauthorizedOperation');
    expect(await check(world)).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('Could not read the route tables'),
      remediation: expect.stringContaining('ec2:DescribeRouteTables'),
    });
  });
});

/** The context with the Resolver port too: where the inbound endpoints are read from. */
async function contextWithResolver(world: World, dns: DnsPathFake): Promise<DiagnoseContext> {
  const observation = await gather(
    { tidb: fakeTidb(world), ec2: fakeEc2(world), resolver: dns, hostedZones: dns },
    { ...REQUEST, source: { cidr: '192.168.10.0/24' } },
    new AbortController().signal,
  );
  return {
    observation,
    target: deriveTarget(observation),
    dnsServer: undefined,
    dataPlane: () => Promise.reject(new Error('aws.return-route never probes')),
  };
}
