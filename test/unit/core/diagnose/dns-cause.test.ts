/**
 * The doctor end to end on fakes: the DNS path is read with the rest, `dns.resolution` names the cause with
 * its resource ids and fix, and a read that fails or is denied leaves only that part unknown.
 */
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../../../functions/core/diagnose/doctor.ts';
import type { DataPlaneResult } from '../../../../functions/core/diagnose/ports.ts';
import type { CheckResult } from '../../../../functions/core/diagnose/report.ts';
import { AwsError } from '../../../../functions/core/errors.ts';
import { DnsPathFake } from '../../../../testing/dns-path-fake.ts';
import { schemaErrors } from '../../../../testing/report-schema.ts';
import {
  fakeDataPlane,
  fakeEc2,
  fakeTidb,
  HOST,
  healthyProbe,
  healthyWorld,
  REQUEST,
  VPC_ID,
  VPCE_ID,
  type World,
} from './fakes.ts';

const answering = (...addresses: string[]): DataPlaneResult => ({
  dns: { server: 'system', status: 'answered', addresses, durationMs: 1 },
  tcp: [],
});
const NXDOMAIN: DataPlaneResult = {
  dns: { server: 'system', status: 'nxdomain', addresses: [], code: 'ENOTFOUND', durationMs: 1 },
  tcp: [],
};

async function dnsCheck(
  world: World,
  dns: DnsPathFake,
  probe: DataPlaneResult,
  timeoutMs = 5_000,
): Promise<CheckResult> {
  const report = await diagnose(
    {
      tidb: fakeTidb(world),
      ec2: fakeEc2(world),
      dataPlane: fakeDataPlane(probe),
      hostedZones: dns,
      resolver: dns,
    },
    { ...REQUEST, timeoutMs },
  );
  expect(schemaErrors(report)).toEqual([]);
  const check = report.checks.find((c) => c.id === 'dns.resolution');
  if (!check) throw new Error('no dns.resolution in the report');
  return check;
}

describe('dns.resolution names the cause on the VPC DNS path', () => {
  it('a healthy answer carries no cause, and every part of the path was read', async () => {
    const dns = new DnsPathFake();
    const check = await dnsCheck(healthyWorld(), dns, healthyProbe());
    expect(check.status).toBe('pass');
    expect(check.evidence).not.toHaveProperty('cause');
    expect(new Set(dns.calls)).toEqual(
      new Set([
        'ListHostedZonesByVPC',
        'ListResolverRules',
        'ListResolverRuleAssociations',
        'ListFirewallRuleGroupAssociations',
      ]),
    );
  });

  it('a customer zone for a parent domain shadows the name: the zone id and the command that detaches it', async () => {
    const world = healthyWorld();
    // EC2 refused private DNS because of the zone: it stays off until the zone is gone.
    for (const endpoint of world.endpoints) endpoint.privateDnsEnabled = false;
    const dns = new DnsPathFake();
    dns.addHostedZone(VPC_ID, {
      hostedZoneId: 'Z0CUSTOMER',
      name: 'tidb-cloud.com.',
      owningAccount: '123456789012',
    });
    const check = await dnsCheck(world, dns, answering('10.0.99.99'));
    expect(check).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining(
        'Cause: the private hosted zone Z0CUSTOMER (tidb-cloud.com.) claims the name.',
      ),
      evidence: {
        cause: 'shadowing-private-hosted-zone',
        causeResources: { hostedZoneId: 'Z0CUSTOMER', hostedZoneName: 'tidb-cloud.com.' },
      },
    });
    expect(check.remediation).toContain(
      `aws route53 disassociate-vpc-from-hosted-zone --hosted-zone-id Z0CUSTOMER --vpc VPCRegion=us-east-1,VPCId=${VPC_ID}`,
    );
    expect(check.remediation).toContain(
      `aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${VPCE_ID} --private-dns-enabled`,
    );
  });

  it("the endpoint's own zone, owned by AWS, is not shadowing", async () => {
    const dns = new DnsPathFake();
    dns.addHostedZone(VPC_ID, {
      hostedZoneId: 'Z0AWS',
      name: `${HOST}.`,
      owningService: 'vpce.amazonaws.com',
    });
    const check = await dnsCheck(healthyWorld(), dns, answering('52.1.2.3'));
    expect(check.evidence).toMatchObject({ cause: 'unknown' });
  });

  it('a DNS Firewall rule blocking the domain: rule group, list and an ALLOW rule ahead of it', async () => {
    const dns = new DnsPathFake();
    const group = dns.blockDomains(VPC_ID, ['*.tidb-cloud.com']);
    const check = await dnsCheck(healthyWorld(), dns, NXDOMAIN);
    expect(check.evidence).toMatchObject({
      cause: 'dns-firewall-block',
      causeResources: { firewallRuleGroupId: group, firewallRule: 'block-100' },
    });
    expect(check.remediation).toContain(
      `aws route53resolver create-firewall-rule --firewall-rule-group-id ${group} --firewall-domain-list-id <the new rslvr-fdl-id> --priority 99 --action ALLOW`,
    );
  });

  it('a threat-protection rule (no domain list) is not read as a list, nor blamed', async () => {
    const dns = new DnsPathFake();
    dns.addFirewallRuleGroup(VPC_ID, 101, [{ domainListId: '', action: 'BLOCK', priority: 100 }]);
    const check = await dnsCheck(healthyWorld(), dns, NXDOMAIN);
    expect(check.evidence).toMatchObject({ cause: 'unknown' });
    expect(check.evidence).not.toHaveProperty('causeUnread');
    expect(dns.calls).not.toContain('ListFirewallDomains');
  });

  it('an AWS-managed domain list it cannot read is named, not fatal', async () => {
    const dns = new DnsPathFake();
    const managed = dns.addDomainList([], { managed: true });
    dns.addFirewallRuleGroup(VPC_ID, 101, [{ domainListId: managed, action: 'BLOCK', priority: 100 }]);
    const check = await dnsCheck(healthyWorld(), dns, NXDOMAIN);
    expect(check.evidence).toMatchObject({
      cause: 'unknown',
      causeUnread: [
        expect.stringMatching(/^DNS Firewall domain list rslvr-fdl-managed-\w+: You cannot list/),
      ],
    });
  });

  it('a FORWARD rule for a parent domain: the rule, its targets, and a more specific SYSTEM rule as the fix', async () => {
    const dns = new DnsPathFake();
    const ruleId = dns.associateRule(VPC_ID, {
      domainName: 'tidb-cloud.com.',
      ruleType: 'FORWARD',
      targetIps: ['10.200.0.2:53'],
    });
    const check = await dnsCheck(healthyWorld(), dns, answering('52.1.2.3'));
    expect(check.evidence).toMatchObject({
      cause: 'resolver-forwarding-rule',
      causeResources: { resolverRuleId: ruleId, targetIps: ['10.200.0.2:53'] },
    });
    expect(check.remediation).toContain(
      'aws route53resolver create-resolver-rule --rule-type SYSTEM --domain-name ubkypd000000.clusters.tidb-cloud.com',
    );
    expect(check.remediation).toContain(`--vpc-id ${VPC_ID} --resolver-rule-id ${ruleId}`);
  });

  it('a DHCP options set without AmazonProvidedDNS (read through the EC2 port)', async () => {
    const world = healthyWorld();
    world.dhcpOptions = { dhcpOptionsId: 'dopt-0corp', domainNameServers: ['10.200.0.2'] };
    const check = await dnsCheck(world, new DnsPathFake(), NXDOMAIN);
    expect(check.evidence).toMatchObject({
      cause: 'custom-dhcp-dns',
      causeResources: { dhcpOptionsId: 'dopt-0corp', domainNameServers: ['10.200.0.2'] },
    });
    expect(check.remediation).toContain(`aws ec2 associate-dhcp-options --vpc-id ${VPC_ID}`);
  });

  it('VPC DNS attributes off come first, with the modify-vpc-attribute fix', async () => {
    const world = healthyWorld();
    world.dnsAttributes.enableDnsHostnames = false;
    const dns = new DnsPathFake();
    dns.addHostedZone(VPC_ID, { hostedZoneId: 'Z0CUSTOMER', name: HOST, owningAccount: '1' });
    const check = await dnsCheck(world, dns, NXDOMAIN);
    expect(check.evidence).toMatchObject({
      cause: 'vpc-dns-attributes-off',
      causeResources: { off: ['enableDnsHostnames'] },
    });
    expect(check.remediation).toBe(
      `aws ec2 modify-vpc-attribute --vpc-id ${VPC_ID} --enable-dns-hostnames '{"Value":true}'`,
    );
  });

  it('denied reads leave the cause unknown, name what was not read, and fail nothing else', async () => {
    const world = healthyWorld();
    world.failures.describeDhcpOptions = new AwsError(
      'UnauthorizedOperation',
      'You are not authorized to perform this operation.',
    );
    const dns = new DnsPathFake();
    dns.failAlways(
      'ListHostedZonesByVPC',
      new AwsError('AccessDenied', 'User is not authorized to perform: route53:ListHostedZonesByVPC'),
    );
    dns.failAlways('ListResolverRules', new AwsError('AccessDeniedException', 'not authorized'));
    const report = await diagnose(
      {
        tidb: fakeTidb(world),
        ec2: fakeEc2(world),
        dataPlane: fakeDataPlane(NXDOMAIN),
        hostedZones: dns,
        resolver: dns,
      },
      REQUEST,
    );
    const failing = report.checks.filter((c) => c.status === 'fail').map((c) => c.id);
    expect(failing).toEqual(['dns.resolution']);
    const check = report.checks.find((c) => c.id === 'dns.resolution');
    expect(check?.evidence).toMatchObject({
      cause: 'unknown',
      causeUnread: [
        'DHCP options: You are not authorized to perform this operation.',
        'Resolver rules: not authorized',
        'private hosted zones: User is not authorized to perform: route53:ListHostedZonesByVPC',
      ],
    });
    // Nothing else found: the generic fix stays.
    expect(check?.remediation).toContain('Query from inside the VPC');
  });

  it('a DNS-path read that never answers holds up nothing while DNS is healthy', async () => {
    const world = healthyWorld();
    world.failures.describeDhcpOptions = 'hang';
    const report = await diagnose(
      { tidb: fakeTidb(world), ec2: fakeEc2(world), dataPlane: fakeDataPlane(healthyProbe()) },
      { ...REQUEST, timeoutMs: 60_000 },
    );
    // Returned long before the 60 s deadline (the test's own 5 s timeout would fail first).
    expect(report.healthy).toBe(true);
  });

  it('a failure waits for a hung DNS-path read only until its budget: its own verdict, that part unknown', async () => {
    const world = healthyWorld();
    world.failures.describeDhcpOptions = 'hang';
    const begin = performance.now();
    const report = await diagnose(
      { tidb: fakeTidb(world), ec2: fakeEc2(world), dataPlane: fakeDataPlane(NXDOMAIN) },
      { ...REQUEST, timeoutMs: 300 },
    );
    expect(performance.now() - begin).toBeLessThan(300);
    expect(report.checks.filter((c) => c.status === 'fail').map((c) => c.id)).toEqual(['dns.resolution']);
    expect(report.checks.find((c) => c.id === 'dns.resolution')).toMatchObject({
      summary: `${HOST} does not resolve from system (NXDOMAIN).`,
      evidence: {
        cause: 'unknown',
        causeUnread: expect.arrayContaining(['DHCP options: no answer before the deadline']),
      },
    });
  });

  it('without the Route 53 and Resolver ports (the scheduled probe) those parts are "not read"', async () => {
    const world = healthyWorld();
    const report = await diagnose(
      { tidb: fakeTidb(world), ec2: fakeEc2(world), dataPlane: fakeDataPlane(NXDOMAIN) },
      REQUEST,
    );
    const check = report.checks.find((c) => c.id === 'dns.resolution');
    expect(check?.evidence).toMatchObject({
      cause: 'unknown',
      causeUnread: [
        'DNS Firewall rules: not read',
        'Resolver rules: not read',
        'private hosted zones: not read',
      ],
    });
  });
});
