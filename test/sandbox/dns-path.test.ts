/**
 * The DNS-path adapters against moto: Route 53 private zones by VPC, Route 53 Resolver rules, associations and
 * endpoints over the signed JSON client, and the whole DNS-path gather, where DNS Firewall (which moto lacks)
 * fails alone. DHCP options are covered on the EC2 fake: moto's DescribeDhcpOptions reply carries stray text
 * that makes the JS SDK read `DhcpConfigurations` as empty.
 */
import { randomUUID } from 'node:crypto';
import { CreateSecurityGroupCommand } from '@aws-sdk/client-ec2';
import type { Route53Client } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Ec2Adapter } from '../../functions/adapters/aws/ec2.ts';
import { Route53Adapter } from '../../functions/adapters/aws/route53.ts';
import { Route53ResolverAdapter } from '../../functions/adapters/aws/route53-resolver.ts';
import { dnsPathDeps } from '../../functions/app/dns-path-deps.ts';
import { diagnoseDnsPath } from '../../functions/core/diagnose/dns-path.ts';
import { gatherNetworkPath } from '../../functions/core/diagnose/gather-network.ts';
import { observer } from '../../functions/core/diagnose/observation.ts';
import { AwsError } from '../../functions/core/errors.ts';
import { motoProxy } from '../../testing/iam/moto-proxy.ts';
import { sandboxPrincipals } from '../../testing/iam/sandbox-roles.ts';
import {
  associateResolverRule,
  createPrivateZone,
  createSandboxRoute53,
  resolverCall,
} from '../../testing/moto-dns.ts';
import {
  buildMotoWorld,
  createSandboxClients,
  destroySandboxClients,
  type MotoWorld,
  type SandboxClients,
} from '../../testing/moto-world.ts';

const HOST = 'privatelink-19341789.ubkypd000000.clusters.tidb-cloud.com';

let clients: SandboxClients;
let route53: Route53Client;
let world: MotoWorld;
/** The troubleshoot function's clients (it gathers the DNS path), each call decided against its role. */
let troubleshoot: SandboxClients;
let troubleshootRoute53: Route53Client;
let resolver: Route53ResolverAdapter;

beforeAll(async () => {
  const config = { endpointUrl: inject('awsEndpointUrl'), region: inject('awsRegion') };
  clients = createSandboxClients(config);
  route53 = createSandboxRoute53(config);
  world = await buildMotoWorld(clients);
  const principals = await sandboxPrincipals({
    placement: {
      vpcId: world.vpcId,
      subnetIds: Object.values(world.subnetIdByZoneId),
      securityGroupIds: [world.securityGroupId],
    },
  });
  const as = principals.as('troubleshoot');
  troubleshoot = createSandboxClients(config, { as });
  troubleshootRoute53 = createSandboxRoute53(config, { as });
  const proxy = await motoProxy(config);
  resolver = new Route53ResolverAdapter({
    region: config.region,
    endpointUrl: proxy.url,
    credentials: proxy.principal(as),
    maxAttempts: 1,
  });
}, 120_000);

afterAll(() => {
  route53.destroy();
  troubleshootRoute53?.destroy();
  destroySandboxClients(clients);
  if (troubleshoot) destroySandboxClients(troubleshoot);
});

describe('Route53Adapter on moto', () => {
  it("lists the VPC's private zones with their owner, and no other VPC's", async () => {
    const zoneId = await createPrivateZone(route53, {
      name: 'tidb-cloud.com',
      vpcId: world.vpcId,
      region: 'us-east-1',
    });
    await createPrivateZone(route53, {
      name: 'other.example',
      vpcId: world.provider.vpcId,
      region: 'us-east-1',
    });
    const zones = await new Route53Adapter(troubleshootRoute53).listHostedZonesByVpc(
      world.vpcId,
      'us-east-1',
    );
    expect(zones).toEqual([
      { hostedZoneId: zoneId, name: 'tidb-cloud.com.', owningAccount: expect.stringMatching(/^\d{12}$/) },
    ]);
  });
});

describe('dnsPathDeps on moto', () => {
  it('imports its clients on the first call and reads what the adapters read', async () => {
    const zoneId = await createPrivateZone(route53, {
      name: 'lazy.example',
      // The provider's VPC: the gather below reads the consumer VPC's zones and expects only its own.
      vpcId: world.provider.vpcId,
      region: 'us-east-1',
    });
    // The credentials come from the environment, as on Lambda (the sandbox's global setup sets them).
    const lazy = dnsPathDeps({ region: inject('awsRegion'), endpointUrl: inject('awsEndpointUrl') });
    expect(await lazy.hostedZones.listHostedZonesByVpc(world.provider.vpcId, 'us-east-1')).toContainEqual({
      hostedZoneId: zoneId,
      name: 'lazy.example.',
      owningAccount: expect.stringMatching(/^\d{12}$/),
    });
    expect(await lazy.resolver.listResolverRuleAssociations(world.vpcId)).toEqual(
      await resolver.listResolverRuleAssociations(world.vpcId),
    );
  });
});

describe('Route53ResolverAdapter on moto', () => {
  it('lists every rule across pages, and the associations of this VPC only', async () => {
    const before = await resolver.listResolverRules();
    const mine = await associateResolverRule(clients.config, {
      vpcId: world.vpcId,
      domainName: 'tidb-cloud.com',
      ruleType: 'FORWARD',
      targetIp: '10.200.0.2',
    });
    await associateResolverRule(clients.config, {
      vpcId: world.provider.vpcId,
      domainName: 'elsewhere.example',
      ruleType: 'FORWARD',
      targetIp: '10.200.0.3',
    });
    // moto pages by 10: eleven more rules make at least two pages.
    for (let i = 0; i < 11; i += 1) {
      await resolverCall(clients.config, 'CreateResolverRule', {
        CreatorRequestId: randomUUID(),
        Name: `filler-${i}`,
        RuleType: 'SYSTEM',
        DomainName: `filler-${i}.example`,
      });
    }
    const rules = await resolver.listResolverRules();
    expect(rules).toHaveLength(before.length + 13);
    expect(rules.find((rule) => rule.resolverRuleId === mine.ruleId)).toEqual({
      resolverRuleId: mine.ruleId,
      name: expect.any(String),
      domainName: 'tidb-cloud.com.',
      ruleType: 'FORWARD',
      targetIps: ['10.200.0.2:53'],
    });
    const associations = await resolver.listResolverRuleAssociations(world.vpcId);
    expect(associations).toEqual([
      {
        resolverRuleAssociationId: mine.associationId,
        resolverRuleId: mine.ruleId,
        vpcId: world.vpcId,
        status: expect.any(String),
      },
    ]);
  });

  it("lists the VPC's inbound endpoints", async () => {
    const group = await clients.ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: `resolver-${randomUUID().slice(0, 8)}`,
        Description: 'resolver',
        VpcId: world.vpcId,
      }),
    );
    const [first, second] = Object.values(world.subnetIdByZoneId);
    const created = await resolverCall(clients.config, 'CreateResolverEndpoint', {
      CreatorRequestId: randomUUID(),
      Name: 'inbound',
      Direction: 'INBOUND',
      SecurityGroupIds: [group.GroupId],
      IpAddresses: [
        { SubnetId: first, Ip: '10.0.0.53' },
        { SubnetId: second, Ip: '10.0.16.53' },
      ],
    });
    const id = String((created.ResolverEndpoint as Record<string, unknown>).Id);
    expect(await resolver.listResolverEndpoints(world.vpcId)).toEqual([
      { resolverEndpointId: id, direction: 'INBOUND', hostVpcId: world.vpcId, status: expect.any(String) },
    ]);
    expect(await resolver.listResolverEndpoints(world.provider.vpcId)).toEqual([]);
  });

  it('turns an operation moto lacks (DNS Firewall) into an AwsError', async () => {
    await expect(resolver.listFirewallRuleGroupAssociations(world.vpcId)).rejects.toBeInstanceOf(AwsError);
  });
});

describe('the DNS path gathered from moto', () => {
  it('finds the forwarding rule, with DNS Firewall unknown (moto lacks it) and nothing else lost', async () => {
    const observe = observer(new AbortController().signal);
    const reads = gatherNetworkPath(
      {
        ec2: new Ec2Adapter(troubleshoot.ec2),
        hostedZones: new Route53Adapter(troubleshootRoute53),
        resolver,
      },
      observe,
      Promise.resolve(world.vpcId),
      { region: 'us-east-1' },
    );
    const path = {
      dhcp: await reads.dhcp,
      hostedZones: await reads.hostedZones,
      firewall: await reads.firewall,
      resolverRules: await reads.resolverRules,
    };
    expect(path.dhcp).toEqual({ ok: true, value: undefined });
    expect(path.hostedZones).toMatchObject({ ok: true, value: [{ name: 'tidb-cloud.com.' }] });
    expect(path.firewall).toMatchObject({
      ok: false,
      error: { action: 'route53resolver:ListFirewallRuleGroupAssociations' },
    });
    const diagnosis = diagnoseDnsPath(
      {
        vpcId: world.vpcId,
        vpcDns: { ok: true, value: { enableDnsSupport: true, enableDnsHostnames: true } },
        endpoint: undefined,
        ...path,
      },
      HOST,
    );
    expect(diagnosis.finding).toMatchObject({
      cause: 'resolver-forwarding-rule',
      rule: { domainName: 'tidb-cloud.com.' },
    });
    expect(diagnosis.unread).toEqual([expect.stringMatching(/^DNS Firewall rules: /)]);
  });
});
