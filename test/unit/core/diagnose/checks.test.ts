import { describe, expect, it } from 'vitest';
import { awsAzCoverage } from '../../../../functions/core/diagnose/checks/aws-az-coverage.ts';
import { awsEndpointState } from '../../../../functions/core/diagnose/checks/aws-endpoint-state.ts';
import { awsPrivateDns } from '../../../../functions/core/diagnose/checks/aws-private-dns.ts';
import { awsRegionMatch } from '../../../../functions/core/diagnose/checks/aws-region-match.ts';
import { awsVpcDnsAttributes } from '../../../../functions/core/diagnose/checks/aws-vpc-dns-attributes.ts';
import { dnsResolution } from '../../../../functions/core/diagnose/checks/dns-resolution.ts';
import { CHECKS } from '../../../../functions/core/diagnose/checks/index.ts';
import { tcpConnect } from '../../../../functions/core/diagnose/checks/tcp-connect.ts';
import { tidbClusterState } from '../../../../functions/core/diagnose/checks/tidb-cluster-state.ts';
import { tidbConnectionState } from '../../../../functions/core/diagnose/checks/tidb-connection-state.ts';
import { tidbHandshake } from '../../../../functions/core/diagnose/checks/tidb-handshake.ts';
import { tidbServiceReady } from '../../../../functions/core/diagnose/checks/tidb-service-ready.ts';
import type { DataPlaneResult } from '../../../../functions/core/diagnose/ports.ts';
import { CHECK_IDS } from '../../../../functions/core/diagnose/report.ts';
import { TidbCloudNotFoundError } from '../../../../functions/core/errors.ts';
import { contextFor, HOST, healthyProbe, healthyWorld, runCheck, VPCE_ID, type World } from './fakes.ts';

const outcomeFor = async (
  check: Parameters<typeof runCheck>[0],
  world: World,
  probe?: DataPlaneResult,
  dnsServer?: string,
) => runCheck(check, await contextFor(world, probe, dnsServer ? { dnsServer } : {}));
const changed = (change: (world: World) => void) => {
  const world = healthyWorld();
  change(world);
  return world;
};
const probeWith = (change: (probe: DataPlaneResult) => void) => {
  const probe = healthyProbe();
  change(probe);
  return probe;
};
const endpointOf = (world: World) => {
  const [endpoint] = world.endpoints;
  if (!endpoint) throw new Error('fixture has an endpoint');
  return endpoint;
};

it('lists the checks in contract order', () => {
  expect(CHECKS.map((check) => check.id)).toEqual([...CHECK_IDS]);
});

describe('every check passes on a healthy world', () => {
  // aws.return-route is for clients outside the VPC: with the VPC as the source it is skipped.
  const inVpc = CHECKS.filter((check) => check.id !== 'aws.return-route');
  it.each(inVpc.map((check) => [check.id, check] as const))('%s', async (_id, check) => {
    expect((await outcomeFor(check, healthyWorld())).status).toBe('pass');
  });
});

describe('tidb.cluster-state', () => {
  it('warns while the cluster keeps serving, fails when it does not', async () => {
    expect(
      (
        await outcomeFor(
          tidbClusterState,
          changed((w) => {
            w.cluster.state = 'MODIFYING';
          }),
        )
      ).status,
    ).toBe('warn');
    const paused = await outcomeFor(
      tidbClusterState,
      changed((w) => {
        w.cluster.state = 'PAUSED';
      }),
    );
    expect(paused).toMatchObject({ status: 'fail', remediation: expect.stringContaining(':resumeCluster') });
  });
});

describe('tidb.service-ready', () => {
  it('fails while the service is CREATING or has no name', async () => {
    const creating = await outcomeFor(
      tidbServiceReady,
      changed((w) => {
        w.service.state = 'CREATING';
      }),
    );
    expect(creating).toMatchObject({ status: 'fail', summary: expect.stringContaining('is CREATING') });
    const unnamed = await outcomeFor(
      tidbServiceReady,
      changed((w) => {
        w.service.serviceName = '';
      }),
    );
    expect(unnamed.summary).toContain('no service name yet');
  });

  it('reads a 404 as "not created yet", and other API errors as such', async () => {
    const missing = await outcomeFor(
      tidbServiceReady,
      changed((w) => {
        w.failures.getPrivateLinkService = new TidbCloudNotFoundError('not found');
      }),
    );
    expect(missing).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('not created yet'),
      remediation: expect.stringContaining('3-5 minutes'),
    });
    const broken = await outcomeFor(
      tidbServiceReady,
      changed((w) => {
        w.failures.getPrivateLinkService = new Error('502 Bad Gateway');
      }),
    );
    expect(broken).toMatchObject({
      status: 'fail',
      remediation: expect.stringContaining('tidbcloud:GetPrivateLinkService failed: 502 Bad Gateway'),
    });
  });

  it('fails when the cluster has no node group', async () => {
    const outcome = await outcomeFor(
      tidbServiceReady,
      changed((w) => {
        w.cluster.nodeGroups = [];
      }),
    );
    expect(outcome).toMatchObject({ status: 'fail', summary: expect.stringContaining('no TiDB node group') });
  });
});

describe('aws.region-match', () => {
  it('fails across regions with the VPC peering advice', async () => {
    const outcome = await outcomeFor(
      awsRegionMatch,
      changed((w) => {
        w.cluster.regionId = 'aws-us-west-2';
      }),
    );
    expect(outcome).toMatchObject({ status: 'fail', remediation: expect.stringContaining('VPC peering') });
    expect(outcome.summary).toContain('same-region only');
  });

  it('fails for a non-AWS cluster, skips when the cluster is unreadable', async () => {
    const gcp = await outcomeFor(
      awsRegionMatch,
      changed((w) => {
        w.cluster.cloudProvider = 'gcp';
        w.cluster.regionId = 'gcp-us-east1';
      }),
    );
    expect(gcp.status).toBe('fail');
    const unreadable = await outcomeFor(
      awsRegionMatch,
      changed((w) => {
        w.failures.getCluster = new Error('503');
      }),
    );
    expect(unreadable.status).toBe('skip');
  });
});

describe('aws.vpc-dns-attributes', () => {
  it('fails naming the attribute that is off, with one command per attribute', async () => {
    const outcome = await outcomeFor(
      awsVpcDnsAttributes,
      changed((w) => {
        w.dnsAttributes.enableDnsHostnames = false;
      }),
    );
    expect(outcome).toMatchObject({
      status: 'fail',
      summary: 'vpc-0aaa has enableDnsHostnames off: private DNS for the endpoint needs both.',
      remediation: `aws ec2 modify-vpc-attribute --vpc-id vpc-0aaa --enable-dns-hostnames '{"Value":true}'`,
    });
  });

  it('skips without a VPC', async () => {
    const context = await contextFor(
      changed((w) => {
        w.endpoints = [];
      }),
      undefined,
      { vpcId: undefined },
    );
    expect((await runCheck(awsVpcDnsAttributes, context)).status).toBe('skip');
  });
});

describe('aws.endpoint-state', () => {
  it.each([
    ['pendingAcceptance', 'warn'],
    ['pending', 'warn'],
    ['rejected', 'fail'],
    ['failed', 'fail'],
    ['deleting', 'fail'],
    ['deleted', 'fail'],
  ] as const)('%s → %s', async (state, status) => {
    const outcome = await outcomeFor(
      awsEndpointState,
      changed((w) => {
        endpointOf(w).state = state;
      }),
    );
    expect(outcome.status).toBe(status);
  });

  it('fails when none is found, with the create command', async () => {
    const outcome = await outcomeFor(
      awsEndpointState,
      changed((w) => {
        w.endpoints = [];
      }),
    );
    expect(outcome).toMatchObject({
      status: 'fail',
      remediation: expect.stringContaining('--no-private-dns-enabled'),
    });
  });

  it('finds an untagged endpoint by service name in the VPC', async () => {
    const outcome = await outcomeFor(
      awsEndpointState,
      changed((w) => {
        endpointOf(w).tags = {};
      }),
    );
    expect(outcome).toMatchObject({ status: 'pass', evidence: { foundBy: 'service-name' } });
  });

  it('fails when --vpc-endpoint names an endpoint of another service', async () => {
    const world = changed((w) => {
      endpointOf(w).serviceName = 'com.amazonaws.vpce.us-east-1.vpce-svc-other';
    });
    const outcome = await runCheck(
      awsEndpointState,
      await contextFor(world, undefined, { vpcEndpointId: VPCE_ID }),
    );
    expect(outcome).toMatchObject({ status: 'fail', evidence: { foundBy: 'id' } });
  });
});

describe('tidb.connection-state', () => {
  const withState = (state: 'PENDING' | 'FAILED' | 'DISCOVERED' | 'DELETING', message = '') =>
    changed((w) => {
      for (const c of w.connections) Object.assign(c, { endpointState: state, message });
    });

  it('ignores a stale message on ACTIVE', async () => {
    const world = changed((w) => {
      for (const c of w.connections) c.message = "The VPC Endpoint Id '{vpce-x []}' does not exist";
    });
    expect((await outcomeFor(tidbConnectionState, world)).status).toBe('pass');
  });

  it('warns while PENDING, fails on FAILED with TiDB’s message, DISCOVERED, DELETING and none', async () => {
    expect((await outcomeFor(tidbConnectionState, withState('PENDING'))).status).toBe('warn');
    const failed = await outcomeFor(tidbConnectionState, withState('FAILED', 'endpoint rejected'));
    expect(failed).toMatchObject({ status: 'fail', summary: expect.stringContaining('endpoint rejected') });
    expect(failed.remediation).toContain('-X DELETE');
    const discovered = await outcomeFor(tidbConnectionState, withState('DISCOVERED'));
    expect(discovered).toMatchObject({
      status: 'fail',
      summary: `${VPCE_ID} was created in your VPC but is not registered with TiDB Cloud.`,
    });
    expect((await outcomeFor(tidbConnectionState, withState('DELETING'))).status).toBe('fail');
    const none = await outcomeFor(
      tidbConnectionState,
      changed((w) => {
        w.connections = [];
      }),
    );
    expect(none.remediation).toContain(`{"endpointId":"${VPCE_ID}"}`);
  });
});

describe('aws.az-coverage', () => {
  it('warns when a supported AZ is left uncovered', async () => {
    const world = changed((w) => {
      w.serviceZones = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
    });
    const outcome = await outcomeFor(awsAzCoverage, world);
    expect(outcome).toMatchObject({
      status: 'warn',
      summary: expect.stringContaining('use1-az6 (us-east-1c)'),
    });
  });

  it('fails for a subnet in an AZ the service does not support', async () => {
    const world = changed((w) => {
      w.serviceZones = ['us-east-1a'];
      w.service.availableZones = ['use1-az1'];
    });
    const outcome = await outcomeFor(awsAzCoverage, world);
    expect(outcome).toMatchObject({
      status: 'fail',
      remediation: expect.stringContaining('--remove-subnet-ids subnet-b'),
    });
  });

  it('says in the summary when TiDB’s AZ list disagrees with EC2’s, and warns even if coverage is fine', async () => {
    const world = changed((w) => {
      w.service.availableZones = ['use1-az1', 'use1-az4', 'use1-az6'];
    });
    const outcome = await outcomeFor(awsAzCoverage, world);
    expect(outcome.status).toBe('warn');
    expect(outcome.summary).toContain(
      'TiDB Cloud lists use1-az1 (us-east-1a), use1-az4 (us-east-1b), use1-az6 (us-east-1c) but EC2 offers the service in use1-az1 (us-east-1a), use1-az4 (us-east-1b)',
    );
    expect(outcome.evidence).toMatchObject({
      zoneListsDisagree: true,
      ec2ServiceZones: ['use1-az1', 'use1-az4'],
      tidbAvailableZones: ['use1-az1', 'use1-az4', 'use1-az6'],
    });
  });

  it('adds the disagreement to a failing summary without changing the verdict', async () => {
    const world = changed((w) => {
      w.serviceZones = ['us-east-1a'];
    });
    const outcome = await outcomeFor(awsAzCoverage, world);
    expect(outcome.status).toBe('fail');
    expect(outcome.summary).toMatch(
      /TiDB Cloud lists use1-az1 \(us-east-1a\), use1-az4 \(us-east-1b\) but EC2/,
    );
  });

  it('reads TiDB’s list as AZ IDs, never through this account’s AZ names', async () => {
    // us-east-1a is use1-az1 in this account, but TiDB's availableZones are AZ IDs: a name matches nothing.
    const world = changed((w) => {
      w.service.availableZones = ['us-east-1a', 'use1-az4'];
    });
    const outcome = await outcomeFor(awsAzCoverage, world);
    expect(outcome).toMatchObject({ status: 'warn', evidence: { zoneListsDisagree: true } });
    expect(outcome.evidence?.tidbAvailableZones).toEqual(['us-east-1a', 'use1-az4']);
  });

  it('agrees quietly when both lists name the same AZ IDs', async () => {
    const outcome = await outcomeFor(awsAzCoverage, healthyWorld());
    expect(outcome).toMatchObject({ status: 'pass', evidence: { zoneListsDisagree: false } });
    expect(outcome.summary).not.toContain('TiDB Cloud lists');
  });

  it('falls back to TiDB’s AZ IDs when EC2 cannot describe the service', async () => {
    const world = changed((w) => {
      w.failures.describeServiceZones = new Error('AccessDenied');
      w.service.availableZones = ['use1-az1'];
    });
    const outcome = await outcomeFor(awsAzCoverage, world);
    expect(outcome).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('subnet-b (use1-az4 (us-east-1b))'),
      evidence: { supportedBy: 'TiDB Cloud availableZones', ec2Error: 'AccessDenied' },
    });
  });
});

describe('aws.private-dns', () => {
  it('fails once accepted, folding in the VPC attribute fix', async () => {
    const world = changed((w) => {
      endpointOf(w).privateDnsEnabled = false;
      w.dnsAttributes.enableDnsSupport = false;
    });
    const outcome = await outcomeFor(awsPrivateDns, world);
    expect(outcome).toMatchObject({
      status: 'fail',
      remediation: `aws ec2 modify-vpc-attribute --vpc-id vpc-0aaa --enable-dns-support '{"Value":true}' && aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${VPCE_ID} --private-dns-enabled`,
    });
  });

  it('only warns before TiDB has accepted (AWS would refuse it)', async () => {
    const world = changed((w) => {
      endpointOf(w).privateDnsEnabled = false;
      for (const c of w.connections) c.endpointState = 'PENDING';
    });
    expect((await outcomeFor(awsPrivateDns, world)).status).toBe('warn');
  });
});

describe('dns.resolution', () => {
  const answering = (...addresses: string[]) =>
    probeWith((p) => {
      p.dns.addresses = addresses;
    });

  it('fails on NXDOMAIN: private DNS off → enable it; custom resolver → forward the zone', async () => {
    const nx = probeWith((p) => {
      p.dns = { server: '10.0.0.2', status: 'nxdomain', addresses: [], code: 'ENOTFOUND', durationMs: 1 };
    });
    const off = await outcomeFor(
      dnsResolution,
      changed((w) => {
        endpointOf(w).privateDnsEnabled = false;
      }),
      nx,
    );
    expect(off).toMatchObject({
      status: 'fail',
      summary: `${HOST} does not resolve from 10.0.0.2 (NXDOMAIN). Cause: vpce-0abc has private DNS off.`,
      evidence: expect.objectContaining({ cause: 'private-dns-disabled' }),
      remediation: expect.stringContaining('--private-dns-enabled'),
    });
    const custom = await outcomeFor(dnsResolution, healthyWorld(), nx, '10.9.0.53');
    expect(custom.remediation).toContain('forward ubkypd000000.clusters.tidb-cloud.com to the VPC resolver');
  });

  it('fails on public addresses, naming them', async () => {
    const outcome = await outcomeFor(dnsResolution, healthyWorld(), answering('52.1.2.3'));
    expect(outcome).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('public addresses (52.1.2.3)'),
    });
  });

  it('fails on private addresses that are not the endpoint’s', async () => {
    const outcome = await outcomeFor(dnsResolution, healthyWorld(), answering('10.0.9.9'));
    expect(outcome).toMatchObject({
      status: 'fail',
      remediation: expect.stringContaining(
        'list-hosted-zones-by-vpc --vpc-id vpc-0aaa --vpc-region us-east-1',
      ),
    });
  });

  it('fails when the resolver times out or fails', async () => {
    const timeout = probeWith((p) => {
      p.dns = { server: '10.0.0.2', status: 'timeout', addresses: [], code: 'ETIMEOUT', durationMs: 900 };
    });
    expect(await outcomeFor(dnsResolution, healthyWorld(), timeout)).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('(timeout, ETIMEOUT)'),
    });
  });
});

describe('tcp.connect', () => {
  it('reports latency per address and AZ', async () => {
    const outcome = await outcomeFor(tcpConnect, healthyWorld());
    expect(outcome.summary).toBe(
      'TCP 4000 connects: 10.0.1.10 (use1-az1) 0.8 ms, 10.0.2.10 (use1-az4) 1.2 ms.',
    );
  });

  it('fails a timeout as dropped packets and a refusal as nothing listening', async () => {
    const timeout = probeWith((p) => {
      const [first] = p.tcp;
      if (first) first.status = 'timeout';
    });
    expect(await outcomeFor(tcpConnect, healthyWorld(), timeout)).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('10.0.1.10 timed out'),
      remediation: expect.stringContaining('sg-0abc'),
    });
    const refused = probeWith((p) => {
      for (const r of p.tcp) r.status = 'refused';
    });
    expect(await outcomeFor(tcpConnect, healthyWorld(), refused)).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('nothing listens'),
    });
  });

  it('skips when nothing was probed', async () => {
    expect(
      (
        await outcomeFor(
          tcpConnect,
          healthyWorld(),
          probeWith((p) => {
            p.tcp = [];
          }),
        )
      ).status,
    ).toBe('skip');
  });
});

describe('tidb.handshake', () => {
  const greeting = (change: (h: NonNullable<DataPlaneResult['handshake']>) => void) =>
    probeWith((p) => {
      if (p.handshake) change(p.handshake);
    });

  it('fails when the greeting does not name TiDB', async () => {
    const outcome = await outcomeFor(
      tidbHandshake,
      healthyWorld(),
      greeting((h) => {
        h.serverVersion = '8.0.36';
      }),
    );
    expect(outcome).toMatchObject({
      status: 'fail',
      summary: '10.0.1.10:4000 greets as 8.0.36, which is not TiDB.',
    });
  });

  it('fails on no greeting, and on a failed login; passes with a timed SELECT 1', async () => {
    expect(
      (
        await outcomeFor(
          tidbHandshake,
          healthyWorld(),
          greeting((h) => {
            h.status = 'timeout';
          }),
        )
      ).status,
    ).toBe('fail');
    const denied = greeting((h) => {
      h.login = { status: 'failed', tls: true, message: 'Access denied' };
    });
    expect(await outcomeFor(tidbHandshake, healthyWorld(), denied)).toMatchObject({
      status: 'fail',
      remediation: expect.stringContaining('Access denied'),
    });
    const ok = greeting((h) => {
      h.login = { status: 'ok', tls: true, queryMs: 1.5 };
    });
    expect((await outcomeFor(tidbHandshake, healthyWorld(), ok)).summary).toContain(
      'TLS login and SELECT 1 took 1.5 ms',
    );
  });

  it('skips without a handshake', async () => {
    expect(
      (
        await outcomeFor(
          tidbHandshake,
          healthyWorld(),
          probeWith((p) => {
            delete p.handshake;
          }),
        )
      ).status,
    ).toBe('skip');
  });
});
