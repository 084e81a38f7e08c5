/**
 * The whole doctor with a real data plane: in-memory TiDB Cloud and EC2 (the endpoint's ENIs are loopback
 * addresses), a real DNS server answering each scenario, and real TCP / MySQL-protocol servers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { diagnose } from '../../../functions/core/diagnose/doctor.ts';
import { renderHuman } from '../../../functions/core/diagnose/human.ts';
import type { DiagnosticReport } from '../../../functions/core/diagnose/report.ts';
import {
  closeAll,
  type DnsRecord,
  loopbackDataPlane,
  mysqlServer,
  onSamePort,
  silentServer,
  startBlackhole,
  startDns,
} from '../../../testing/local-servers.ts';
import { schemaErrors } from '../../../testing/report-schema.ts';
import {
  fakeEc2,
  fakeTidb,
  HOST,
  healthyWorld,
  REQUEST,
  type World,
} from '../../unit/core/diagnose/fakes.ts';

const ENIS = ['127.0.0.21', '127.0.0.22'];

afterEach(closeAll);

/** The healthy world, with the endpoint's ENIs on loopback and the cluster on `port`. */
function worldOn(port: number, enis = ENIS): World {
  const world = healthyWorld();
  world.cluster.port = port;
  for (const connection of world.connections) connection.port = port;
  world.securityGroupRules.push({
    groupId: 'sg-0abc',
    isEgress: false,
    ipProtocol: 'tcp',
    fromPort: port,
    toPort: port,
    cidrIpv4: '10.0.0.0/16',
  });
  world.networkInterfaces = world.networkInterfaces.map((eni, i) => ({
    ...eni,
    privateIpAddress: enis[i] ?? eni.privateIpAddress,
  }));
  return world;
}

const dataPlane = loopbackDataPlane();

async function doctor(world: World, record: DnsRecord, timeoutMs = 3000): Promise<DiagnosticReport> {
  const dnsServer = await startDns({ [HOST]: record });
  const report = await diagnose(
    { tidb: fakeTidb(world), ec2: fakeEc2(world), dataPlane },
    { ...REQUEST, dnsServer, timeoutMs },
  );
  expect(schemaErrors(report)).toEqual([]);
  return report;
}

const check = (report: DiagnosticReport, id: string) => report.checks.find((c) => c.id === id);

describe('doctor against real local servers', () => {
  it('is healthy when DNS names the ENIs and TiDB greets', async () => {
    const port = await onSamePort(ENIS, () => mysqlServer('8.0.11-TiDB-v7.5.2'));
    const report = await doctor(worldOn(port), { a: ENIS });
    expect(report.healthy).toBe(true);
    expect(check(report, 'tidb.handshake')).toMatchObject({
      status: 'pass',
      evidence: { serverVersion: '8.0.11-TiDB-v7.5.2' },
    });
    expect(check(report, 'tcp.connect')?.summary).toMatch(
      /^TCP \d+ connects: 127\.0\.0\.21 \(use1-az1\) [\d.]+ ms, 127\.0\.0\.22 \(use1-az4\)/,
    );
    expect(renderHuman(report)).toContain('HEALTHY: 13 passed');
  });

  it('fails DNS on NXDOMAIN and skips the probes', async () => {
    const report = await doctor(worldOn(4000), { rcode: 'NXDOMAIN' });
    expect(check(report, 'dns.resolution')).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('(NXDOMAIN)'),
    });
    expect(check(report, 'tcp.connect')?.status).toBe('skip');
    expect(check(report, 'tidb.handshake')?.status).toBe('skip');
  });

  it('fails DNS on a public answer without connecting to it', async () => {
    const report = await doctor(worldOn(4000), { a: ['52.1.2.3'] });
    expect(check(report, 'dns.resolution')?.summary).toContain('public addresses (52.1.2.3)');
    expect(check(report, 'tcp.connect')).toMatchObject({
      status: 'skip',
      summary: expect.stringContaining('DNS does not point at the endpoint'),
    });
  });

  it('fails DNS on a private address that is not the endpoint’s', async () => {
    const report = await doctor(worldOn(4000), { a: ['127.0.0.99'] });
    expect(check(report, 'dns.resolution')).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('not the endpoint'),
    });
  });

  it('fails the handshake for a MySQL server that is not TiDB', async () => {
    const port = await onSamePort(ENIS, () => mysqlServer('8.0.36'));
    const report = await doctor(worldOn(port), { a: ENIS });
    expect(check(report, 'tidb.handshake')).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('greets as 8.0.36, which is not TiDB'),
    });
  });

  it('fails the handshake for a server that accepts but never greets, within the deadline', async () => {
    const port = await onSamePort(ENIS, silentServer);
    const begin = performance.now();
    const report = await doctor(worldOn(port), { a: ENIS }, 1000);
    expect(performance.now() - begin).toBeLessThan(1100);
    expect(check(report, 'tcp.connect')?.status).toBe('pass');
    expect(check(report, 'tidb.handshake')).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('sent no greeting'),
    });
  });

  it('fails TCP as refused when nothing listens', async () => {
    // Borrow a port number held on another loopback address: nothing listens on it at the ENI addresses.
    const port = await onSamePort(['127.0.0.23'], silentServer);
    const report = await doctor(worldOn(port), { a: ENIS });
    expect(check(report, 'tcp.connect')).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('was refused'),
    });
    expect(check(report, 'tidb.handshake')?.status).toBe('skip');
  });

  it('fails TCP as dropped packets when the connect times out, within the deadline', async () => {
    const port = await startBlackhole('127.0.0.24');
    const begin = performance.now();
    const report = await doctor(worldOn(port, ['127.0.0.24']), { a: ['127.0.0.24'] }, 1000);
    expect(performance.now() - begin).toBeLessThan(1100);
    expect(check(report, 'tcp.connect')).toMatchObject({
      status: 'fail',
      remediation: expect.stringContaining('sg-0abc'),
    });
    expect(check(report, 'tcp.connect')?.summary).toContain('timed out');
  });
});
