import type { Subnet } from '../../model.ts';
import { sameIp } from '../../network/cidr.ts';
import { tcpRefused, tcpTimedOut } from '../../remediation.ts';
import { type DiagnoseContext, need, type Target } from '../context.ts';
import type { Observation } from '../gather.ts';
import type { TcpOutcome, TcpStatus } from '../ports.ts';
import type { Check, CheckOutcome } from '../runner.ts';

/** What each failure means, most telling first. */
const MEANING: Record<Exclude<TcpStatus, 'connected'>, string> = {
  timeout: 'timed out: a security group or network ACL drops the packets',
  refused: 'was refused: nothing listens on the port behind the endpoint',
  error: 'failed',
};

/** The AZ ID of the ENI holding `address`, for latency per AZ. */
function zoneOf(address: string, observation: Observation, subnets: readonly Subnet[]): string | undefined {
  const enis = observation.networkInterfaces?.ok ? observation.networkInterfaces.value : [];
  const eni = enis.find((candidate) => sameIp(candidate.privateIpAddress, address));
  return subnets.find((subnet) => subnet.subnetId === eni?.subnetId)?.availabilityZoneId;
}

function failure(failed: TcpOutcome[], target: Target, clusterId: string): CheckOutcome {
  const status =
    (['timeout', 'refused', 'error'] as const).find((s) => failed.some((r) => r.status === s)) ?? 'error';
  const addresses = failed.filter((result) => result.status === status).map((result) => result.address);
  return {
    status: 'fail',
    summary: `TCP ${target.port} to ${addresses.join(', ')} ${MEANING[status]}.`,
    remediation:
      status === 'refused'
        ? tcpRefused(target.port, clusterId)
        : tcpTimedOut(target.endpoint?.securityGroupIds ?? [], target.port),
  };
}

export const tcpConnect: Check<DiagnoseContext> = {
  id: 'tcp.connect',
  dependsOn: [
    { id: 'dns.resolution', reason: 'Skipped: DNS does not point at the endpoint (see dns.resolution).' },
  ],
  async run({ observation, target, dataPlane }): Promise<CheckOutcome> {
    const { tcp } = need(await dataPlane(), 'the data-plane probe');
    if (tcp.length === 0) return { status: 'skip', summary: 'Skipped: DNS does not point at the endpoint.' };
    // Only AZ labels for the summary: taken if the subnets were read by now, never waited for (a hung read
    // must not turn a connection that worked into a timed-out check).
    const observedSubnets = await Promise.race([observation.subnets, Promise.resolve(undefined)]);
    const subnets = observedSubnets?.ok ? observedSubnets.value : [];
    const results = tcp.map((result) => ({
      ...result,
      zoneId: zoneOf(result.address, observation, subnets) ?? null,
    }));
    const evidence = { port: target.port, results };
    const failed = tcp.filter((result) => result.status !== 'connected');
    if (failed.length > 0) return { ...failure(failed, target, observation.clusterId), evidence };
    const latencies = results.map((r) => `${r.address}${r.zoneId ? ` (${r.zoneId})` : ''} ${r.latencyMs} ms`);
    return { status: 'pass', summary: `TCP ${target.port} connects: ${latencies.join(', ')}.`, evidence };
  },
};
