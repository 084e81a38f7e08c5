/**
 * The real `tidb-privatelink doctor` (bin, child process) against moto and the TiDB Cloud simulator: a private
 * hosted zone associated with the VPC claims the cluster's domain, the VPC resolver (a local DNS server here)
 * answers from it, and the doctor names that zone as the cause with the command that removes it. And the
 * issue's own scenario: moto answers DNS Firewall's list calls with HTTP 500, which must not hold up or flip
 * a check that does not use them.
 */
import { ModifyVpcAttributeCommand } from '@aws-sdk/client-ec2';
import {
  DeleteHostedZoneCommand,
  DisassociateVPCFromHostedZoneCommand,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Ec2Adapter } from '../../functions/adapters/aws/ec2.ts';
import { LogEventsPort } from '../../functions/adapters/log-events.ts';
import { systemClock } from '../../functions/adapters/system-clock.ts';
import { TidbCloudClient } from '../../functions/adapters/tidbcloud/client.ts';
import type { DiagnosticReport } from '../../functions/core/diagnose/report.ts';
import { provision } from '../../functions/core/reconcile/reconcile.ts';
import { DEFAULT_PENDING_TIMEOUT_MIN, DEFAULT_STACK_NAME } from '../../functions/core/reconcile/types.ts';
import { type MotoProxy, motoProxy } from '../../testing/iam/moto-proxy.ts';
import { OPERATOR_READ_ONLY } from '../../testing/iam/roles.ts';
import { sandboxPrincipals } from '../../testing/iam/sandbox-roles.ts';
import { closeAll, startDns } from '../../testing/local-servers.ts';
import { createPrivateZone, createSandboxRoute53 } from '../../testing/moto-dns.ts';
import {
  buildMotoWorld,
  createSandboxClients,
  destroySandboxClients,
  type MotoWorld,
  type SandboxClients,
} from '../../testing/moto-world.ts';
import { spawnCli } from '../../testing/run-cli.ts';
import { type Simulator, startSimulator } from '../../testing/tidbcloud-simulator/index.ts';

let clients: SandboxClients;
let reconcile: SandboxClients;
let route53: Route53Client;
let moto: MotoWorld;
let sim: Simulator;
let clusterId: string;
let host: string;
let env: Record<string, string>;
let proxy: MotoProxy;

beforeAll(async () => {
  const config = { endpointUrl: inject('awsEndpointUrl'), region: inject('awsRegion') };
  clients = createSandboxClients(config);
  route53 = createSandboxRoute53(config);
  moto = await buildMotoWorld(clients);
  await clients.ec2.send(
    new ModifyVpcAttributeCommand({ VpcId: moto.vpcId, EnableDnsHostnames: { Value: true } }),
  );
  sim = await startSimulator({ serviceReadyMs: 0, connectionAcceptMs: 0 });
  const cluster = sim.addCluster({
    serviceName: moto.provider.serviceName,
    availableZones: ['use1-az1', 'use1-az2'],
  });
  clusterId = cluster.clusterId;
  host = cluster.serviceDnsName;
  const placement = {
    vpcId: moto.vpcId,
    subnetIds: Object.values(moto.subnetIdByZoneId),
    securityGroupIds: [moto.securityGroupId],
  };
  const principals = await sandboxPrincipals({ placement });
  reconcile = createSandboxClients(config, { as: principals.as('reconcile') });
  // The endpoint, registered with TiDB Cloud: what the doctor inspects (made under the reconcile's role).
  await provision(
    {
      tidb: new TidbCloudClient({ baseUrl: sim.url, publicKey: sim.publicKey, privateKey: sim.privateKey }),
      ec2: new Ec2Adapter(reconcile.ec2),
      events: new LogEventsPort(() => undefined),
      clock: systemClock,
      settings: {
        region: config.region,
        ...placement,
        pollIntervalMs: 100,
        stackName: DEFAULT_STACK_NAME,
        pendingTimeoutMs: DEFAULT_PENDING_TIMEOUT_MIN * 60_000,
      },
    },
    { clusterId },
    { deadline: Date.now() + 30_000 },
  );
  // The doctor (a CLI child process) runs as a holder of the read-only operator policy, through the proxy.
  proxy = await motoProxy(config);
  const keys = proxy.principal(principals.as(OPERATOR_READ_ONLY));
  env = {
    TIDB_CLOUD_API_URL: sim.url,
    TIDB_CLOUD_PUBLIC_KEY: sim.publicKey,
    TIDB_CLOUD_PRIVATE_KEY: sim.privateKey,
    AWS_REGION: config.region,
    AWS_ENDPOINT_URL: proxy.url,
    AWS_ACCESS_KEY_ID: keys.accessKeyId,
    AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
    PRIVATELINK_VPC_ID: moto.vpcId,
  };
}, 120_000);

afterAll(async () => {
  // The doctor reports a failed read as an unread part, not a failure: IAM refusals would hide there.
  expect({ refused: proxy?.refused, undecodable: proxy?.undecodable }).toEqual({
    refused: [],
    undecodable: [],
  });
  await closeAll();
  await sim.close();
  route53.destroy();
  destroySandboxClients(clients);
  if (reconcile) destroySandboxClients(reconcile);
});

describe('doctor names a shadowing private hosted zone (real bin, moto)', () => {
  it('finds the zone, prints its id and the command that detaches it, exit 1; gone once removed', async () => {
    const parent = host.split('.').slice(1).join('.');
    const zoneId = await createPrivateZone(route53, { name: parent, vpcId: moto.vpcId, region: 'us-east-1' });
    // The VPC resolver answers from that zone: an address that is not the endpoint's (never connected to).
    const resolver = await startDns({ [host]: { a: ['10.0.99.99'] } });
    const args = ['doctor', '--cluster', clusterId, '--dns-server', resolver, '--timeout-ms', '10000'];

    const json = await spawnCli([...args, '--json'], env);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as DiagnosticReport;
    const dns = report.checks.find((check) => check.id === 'dns.resolution');
    expect(dns).toMatchObject({
      status: 'fail',
      evidence: {
        addresses: ['10.0.99.99'],
        cause: 'shadowing-private-hosted-zone',
        causeResources: { hostedZoneId: zoneId, hostedZoneName: `${parent}.` },
      },
    });
    expect(dns?.remediation).toContain(
      `aws route53 disassociate-vpc-from-hosted-zone --hosted-zone-id ${zoneId} --vpc VPCRegion=us-east-1,VPCId=${moto.vpcId}`,
    );
    // moto has no DNS Firewall: only that part is unread, and nothing else fails because of it.
    expect(dns?.evidence?.causeUnread).toEqual([expect.stringMatching(/^DNS Firewall rules: /)]);

    const human = await spawnCli(args, env);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(
      new RegExp(
        `✘ dns\\.resolution .*Cause: the private hosted zone ${zoneId} \\(${parent.replaceAll('.', '\\.')}\\.\\) claims the name\\.`,
      ),
    );
    expect(human.stdout).toContain(`fix: The private hosted zone ${zoneId}`);

    // The fix: the zone's only VPC cannot be detached (Route 53 refuses the last one), so delete the zone.
    await route53
      .send(
        new DisassociateVPCFromHostedZoneCommand({
          HostedZoneId: zoneId,
          VPC: { VPCId: moto.vpcId, VPCRegion: 'us-east-1' },
        }),
      )
      .catch(() => route53.send(new DeleteHostedZoneCommand({ Id: zoneId })));
    const after = JSON.parse((await spawnCli([...args, '--json'], env)).stdout) as DiagnosticReport;
    const cause = after.checks.find((check) => check.id === 'dns.resolution')?.evidence?.cause;
    expect(cause).not.toBe('shadowing-private-hosted-zone');
  });

  it('--source-cidr inside the VPC: DNS Firewall answering 500 (moto) neither flips aws.return-route nor outlasts the budget', async () => {
    const resolver = await startDns({ [host]: { a: ['10.0.99.99'] } });
    const begin = performance.now();
    const run = await spawnCli(
      [
        'doctor',
        '--cluster',
        clusterId,
        '--dns-server',
        resolver,
        '--source-cidr',
        moto.cidrBlock,
        '--timeout-ms',
        '2000',
        '--json',
      ],
      env,
    );
    // The child process's own start-up is the only thing on top of the budget.
    expect(performance.now() - begin).toBeLessThan(10_000);
    const report = JSON.parse(run.stdout) as DiagnosticReport;
    expect(report.durationMs).toBeLessThan(2_000);
    const check = (id: string) => report.checks.find((c) => c.id === id);
    expect(check('aws.return-route')).toMatchObject({ status: 'skip' });
    expect(check('aws.return-route')?.summary).toMatch(/inside the VPC/);
    // DNS points elsewhere, so this check fails, but with its own verdict: the firewall only an unread part.
    expect(check('dns.resolution')?.summary).toMatch(/resolves to 10\.0\.99\.99/);
    expect(check('dns.resolution')?.evidence?.causeUnread).toEqual([
      expect.stringMatching(/^DNS Firewall rules: /),
    ]);
    expect(report.checks.filter((c) => /did not finish/.test(c.summary))).toEqual([]);
  });
});
