/**
 * An unrelated slow or failing read never flips a report. For every optional read of the doctor (DHCP options,
 * route tables, Route 53 hosted zones, Resolver rules and endpoints, DNS Firewall) failing, denied or hanging,
 * and for each kind of traffic source: every check that does not use that read keeps its verdict, a check
 * that does use it still reports its own verdict with that part unknown, and the report ends within its budget.
 */
import { describe, expect, it } from 'vitest';
import { Route53ResolverAdapter } from '../../../../functions/adapters/aws/route53-resolver.ts';
import { type DiagnoseDeps, diagnose } from '../../../../functions/core/diagnose/doctor.ts';
import type { TrafficSourceRequest } from '../../../../functions/core/diagnose/observation.ts';
import type { DataPlaneResult } from '../../../../functions/core/diagnose/ports.ts';
import type { CheckId, CheckResult, DiagnosticReport } from '../../../../functions/core/diagnose/report.ts';
import { AwsError } from '../../../../functions/core/errors.ts';
import { DnsPathFake, type DnsPathOperation } from '../../../../testing/dns-path-fake.ts';
import { schemaErrors } from '../../../../testing/report-schema.ts';
import {
  fakeDataPlane,
  fakeEc2,
  fakeTidb,
  HOST,
  healthyProbe,
  healthyWorld,
  REQUEST,
  SG_ID,
  VPC_ID,
  type World,
} from './fakes.ts';

const TIMEOUT_MS = 1_000;
/** What the report may take past its budget: assembling it after the deadline fired. */
const LATE_MS = TIMEOUT_MS * 0.1;

const NXDOMAIN: DataPlaneResult = {
  dns: { server: 'system', status: 'nxdomain', addresses: [], code: 'ENOTFOUND', durationMs: 1 },
  tcp: [],
};

type Fault = 'error' | 'denied' | 'hang';

interface OptionalRead {
  name: string;
  /** The part of the DNS cause it feeds (as `causeUnread` names it), if any. */
  causePart?: string;
  /** Checks whose verdict rests on this read, so they may change; every other check must not. */
  usedBy: CheckId[];
  inject(fault: Fault, world: World, dns: DnsPathFake): void;
}

const awsFault = (fault: Exclude<Fault, 'hang'>) =>
  fault === 'denied'
    ? new AwsError('AccessDeniedException', 'User is not authorized to perform this operation.')
    : new AwsError('HTTP 500', 'The service answered HTTP 500.');

const ec2Read = (method: string, name: string, rest: Omit<OptionalRead, 'name' | 'inject'>) => ({
  name,
  ...rest,
  inject: (fault: Fault, world: World) => {
    world.failures[method] = fault === 'hang' ? 'hang' : awsFault(fault);
  },
});

const dnsRead = (operation: DnsPathOperation, rest: Omit<OptionalRead, 'name' | 'inject'>) => ({
  name: operation,
  ...rest,
  inject: (fault: Fault, _world: World, dns: DnsPathFake) => {
    if (fault === 'hang') dns.hangAlways(operation);
    else dns.failAlways(operation, awsFault(fault));
  },
});

const OPTIONAL_READS: OptionalRead[] = [
  ec2Read('describeDhcpOptions', 'DescribeDhcpOptions', { causePart: 'DHCP options', usedBy: [] }),
  ec2Read('describeRouteTables', 'DescribeRouteTables', { usedBy: ['aws.return-route'] }),
  dnsRead('ListHostedZonesByVPC', { causePart: 'private hosted zones', usedBy: [] }),
  dnsRead('ListResolverRules', { causePart: 'Resolver rules', usedBy: [] }),
  dnsRead('ListResolverRuleAssociations', { causePart: 'Resolver rules', usedBy: [] }),
  dnsRead('ListResolverEndpoints', { usedBy: ['aws.return-route'] }),
  dnsRead('ListFirewallRuleGroupAssociations', { causePart: 'DNS Firewall rules', usedBy: [] }),
  dnsRead('ListFirewallRules', { causePart: 'DNS Firewall rules', usedBy: [] }),
  dnsRead('ListFirewallDomains', { causePart: 'DNS Firewall domain list', usedBy: [] }),
];

const SOURCES: { name: string; source: TrafficSourceRequest | undefined }[] = [
  { name: 'the whole VPC', source: undefined },
  { name: 'a --source-cidr inside the VPC', source: { cidr: '10.0.0.0/16' } },
  { name: 'a --source-cidr outside the VPC', source: { cidr: '192.168.10.0/24' } },
];

/**
 * The healthy world, its security group admitting the outside source too, with a DNS Firewall rule group
 * (allowing another name) so that every firewall read is made.
 */
function scenario() {
  const world = healthyWorld();
  world.securityGroupRules.push({
    groupId: SG_ID,
    isEgress: false,
    ipProtocol: 'tcp',
    fromPort: 4000,
    toPort: 4000,
    cidrIpv4: '192.168.10.0/24',
  });
  const dns = new DnsPathFake();
  const list = dns.addDomainList(['intranet.example.com']);
  dns.addFirewallRuleGroup(VPC_ID, 101, [{ domainListId: list, action: 'ALLOW', priority: 100 }]);
  return { world, dns };
}

async function run(
  world: World,
  dns: DnsPathFake,
  probe: DataPlaneResult,
  source: TrafficSourceRequest | undefined,
): Promise<{ report: DiagnosticReport; elapsedMs: number }> {
  const deps: DiagnoseDeps = {
    tidb: fakeTidb(world),
    ec2: fakeEc2(world),
    dataPlane: fakeDataPlane(probe),
    hostedZones: dns,
    resolver: dns,
  };
  const begin = performance.now();
  const report = await diagnose(deps, {
    ...REQUEST,
    ...(source ? { source } : {}),
    timeoutMs: TIMEOUT_MS,
  });
  return { report, elapsedMs: performance.now() - begin };
}

/** A check's verdict: what it concluded and why, not the evidence behind it. */
const verdicts = (report: DiagnosticReport, except: readonly CheckId[]) =>
  report.checks
    .filter((check) => !except.includes(check.id))
    .map(({ id, status, summary }) => ({ id, status, summary }));

const dnsCheck = (report: DiagnosticReport): CheckResult | undefined =>
  report.checks.find((check) => check.id === 'dns.resolution');

describe.each(SOURCES)('an optional read failing, denied or hanging, for $name', ({ source }) => {
  for (const read of OPTIONAL_READS) {
    for (const fault of ['error', 'denied', 'hang'] as const) {
      it(`${read.name} ${fault}: the other checks keep their verdicts, within the budget`, async () => {
        for (const probe of [healthyProbe(), NXDOMAIN]) {
          const baseline = scenario();
          const expected = (await run(baseline.world, baseline.dns, probe, source)).report;
          const faulty = scenario();
          read.inject(fault, faulty.world, faulty.dns);
          const { report, elapsedMs } = await run(faulty.world, faulty.dns, probe, source);

          expect(elapsedMs).toBeLessThan(TIMEOUT_MS + LATE_MS);
          expect(schemaErrors(report)).toEqual([]);
          expect(verdicts(report, read.usedBy)).toEqual(verdicts(expected, read.usedBy));
          if (read.usedBy.length === 0) expect(report.healthy).toBe(expected.healthy);
          // A failing DNS check still names what it could not read of the path.
          const unread = dnsCheck(report)?.evidence?.causeUnread;
          if (probe === NXDOMAIN && read.causePart) {
            expect(unread).toEqual(expect.arrayContaining([expect.stringContaining(read.causePart)]));
          }
        }
      });
    }
  }
});

/**
 * A check's own EC2 reads: each is awaited only by the checks named, so one that fails, is denied or hangs
 * (until the deadline: these have no shorter budget) changes those checks alone, never the data plane's.
 */
const CHECK_READS: OptionalRead[] = [
  ec2Read('describeNetworkAcls', 'DescribeNetworkAcls', { usedBy: ['aws.network-acl'] }),
  ec2Read('describeSecurityGroupRules', 'DescribeSecurityGroupRules', {
    usedBy: ['aws.security-group-ingress'],
  }),
  ec2Read('describeAvailabilityZones', 'DescribeAvailabilityZones', { usedBy: ['aws.az-coverage'] }),
  ec2Read('describeServiceZones', 'DescribeVpcEndpointServices', { usedBy: ['aws.az-coverage'] }),
  // tcp.connect labels each address with its AZ when the subnets are known: the summary changes, not the status.
  ec2Read('describeSubnets', 'DescribeSubnets', { usedBy: ['aws.az-coverage', 'tcp.connect'] }),
  ec2Read('describeVpcDnsAttributes', 'DescribeVpcAttribute', { usedBy: ['aws.vpc-dns-attributes'] }),
  ec2Read('describeVpc', 'DescribeVpcs', {
    usedBy: ['aws.security-group-ingress', 'aws.network-acl'],
  }),
];

describe.each(SOURCES)("a check's own read failing, denied or hanging, for $name", ({ source }) => {
  for (const read of CHECK_READS) {
    for (const fault of ['error', 'denied', 'hang'] as const) {
      it(`${read.name} ${fault}: only the checks using it change, within the budget`, async () => {
        const baseline = scenario();
        const expected = (await run(baseline.world, baseline.dns, healthyProbe(), source)).report;
        const faulty = scenario();
        read.inject(fault, faulty.world, faulty.dns);
        const { report, elapsedMs } = await run(faulty.world, faulty.dns, healthyProbe(), source);

        expect(elapsedMs).toBeLessThan(TIMEOUT_MS + LATE_MS);
        expect(schemaErrors(report)).toEqual([]);
        expect(verdicts(report, read.usedBy)).toEqual(verdicts(expected, read.usedBy));
        if (read.usedBy.includes('tcp.connect')) {
          expect(report.checks.find((check) => check.id === 'tcp.connect')?.status).toBe('pass');
        }
      });
    }
  }
});

/** `fetch` for the Resolver adapter: DNS Firewall answers HTTP 500 (as moto, which lacks it), the rest empty. */
const firewallDown: typeof fetch = async (_url, init) => {
  const headers = (init?.headers ?? {}) as Record<string, string>;
  const operation = headers['x-amz-target'] ?? '';
  if (operation.includes('Firewall')) return new Response('', { status: 500 });
  return new Response('{}', { status: 200 });
};

describe('DNS Firewall answering HTTP 500 through the Resolver adapter and its retries', () => {
  const resolver = () =>
    new Route53ResolverAdapter({
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-secret' },
      endpointUrl: 'http://127.0.0.1:9',
      fetch: firewallDown,
      // Backoff long enough that waiting out every retry would take several budgets.
      retryBaseMs: 1_000,
    });
  const deps = (world: World, probe: DataPlaneResult): DiagnoseDeps => ({
    tidb: fakeTidb(world),
    ec2: fakeEc2(world),
    dataPlane: fakeDataPlane(probe),
    hostedZones: new DnsPathFake(),
    resolver: resolver(),
  });

  it('a --source-cidr inside the VPC: aws.return-route is skipped and the report stays healthy', async () => {
    const begin = performance.now();
    const report = await diagnose(deps(healthyWorld(), healthyProbe()), {
      ...REQUEST,
      source: { cidr: '10.0.0.0/16' },
      timeoutMs: 2_000,
    });
    expect(performance.now() - begin).toBeLessThan(2_000);
    expect(report.checks.find((check) => check.id === 'aws.return-route')).toMatchObject({
      status: 'skip',
      summary: expect.stringContaining('is inside the VPC'),
    });
    expect(report.healthy).toBe(true);
  });

  it('a failing DNS check gives up on the firewall before the deadline, naming the 500, not a timeout', async () => {
    const begin = performance.now();
    const report = await diagnose(deps(healthyWorld(), NXDOMAIN), { ...REQUEST, timeoutMs: 2_000 });
    expect(performance.now() - begin).toBeLessThan(2_000);
    expect(dnsCheck(report)).toMatchObject({
      status: 'fail',
      summary: `${HOST} does not resolve from system (NXDOMAIN).`,
      evidence: {
        cause: 'unknown',
        causeUnread: [
          expect.stringContaining('DNS Firewall rules: ListFirewallRuleGroupAssociations failed'),
        ],
      },
    });
  });
});
