import { isPublicIp, sameIp } from '../../network/cidr.ts';
import {
  dnsForeignPrivateAnswer,
  dnsNoAnswer,
  dnsPublicAnswer,
  dnsResolverFailed,
} from '../../remediation.ts';
import { type DiagnoseContext, need } from '../context.ts';
import { withDnsCause } from '../dns-cause.ts';
import type { DnsOutcome } from '../ports.ts';
import { type Check, type CheckOutcome, CheckOutcomeError } from '../runner.ts';

const HOST_KNOWN = {
  id: 'tidb.service-ready',
  reason: 'Skipped: the host is unknown until the private link service is ready.',
} as const;

const NO_ANSWER: Partial<Record<DnsOutcome['status'], string>> = {
  nxdomain: 'NXDOMAIN',
  nodata: 'no A or AAAA record',
};

/** The answer split three ways: the endpoint's ENIs, public addresses, and private addresses of something else. */
export function classifyAnswer(addresses: readonly string[], expected: readonly string[]) {
  const endpoint = addresses.filter((address) => expected.some((candidate) => sameIp(candidate, address)));
  const others = addresses.filter((address) => !endpoint.includes(address));
  return {
    endpoint,
    public: others.filter(isPublicIp),
    otherPrivate: others.filter((address) => !isPublicIp(address)),
  };
}

/** What was resolved, judged against the endpoint's addresses. */
const resolution: Check<DiagnoseContext> = {
  id: 'dns.resolution',
  dependsOn: [HOST_KNOWN],
  async run({ observation, target, dnsServer, dataPlane }): Promise<CheckOutcome> {
    const { host } = target;
    if (!host)
      throw new CheckOutcomeError({ status: 'skip', summary: 'Skipped: TiDB Cloud names no host yet.' });
    const { dns } = need(await dataPlane(), 'the data-plane probe');
    const customResolver = dnsServer !== undefined;
    const vpceId = target.endpoint?.vpcEndpointId;
    const evidence = {
      host,
      server: dns.server,
      status: dns.status,
      addresses: dns.addresses,
      endpointAddresses: target.expectedAddresses,
      durationMs: dns.durationMs,
      ...(dns.code ? { code: dns.code } : {}),
    };
    if (dns.status !== 'answered') {
      const noAnswer = NO_ANSWER[dns.status];
      if (noAnswer) {
        const privateDnsEnabled = target.endpoint?.privateDnsEnabled;
        return {
          status: 'fail',
          summary: `${host} does not resolve from ${dns.server} (${noAnswer}).`,
          evidence,
          remediation: dnsNoAnswer({ host, vpceId, privateDnsEnabled, customResolver }),
        };
      }
      return {
        status: 'fail',
        summary: `The resolver ${dns.server} failed for ${host} (${dns.status}${dns.code ? `, ${dns.code}` : ''}).`,
        evidence,
        remediation: dnsResolverFailed(dns.server, host),
      };
    }
    const answer = classifyAnswer(dns.addresses, target.expectedAddresses);
    if (answer.public.length > 0) {
      return {
        status: 'fail',
        summary: `${host} resolves to public addresses (${answer.public.join(', ')}) from ${dns.server}: private DNS is not in effect.`,
        evidence,
        remediation: dnsPublicAnswer({ host, vpceId, customResolver }),
      };
    }
    if (answer.otherPrivate.length > 0) {
      return {
        status: 'fail',
        summary: `${host} resolves to ${answer.otherPrivate.join(', ')}, which are not the endpoint's addresses (${target.expectedAddresses.join(', ') || 'none known'}).`,
        evidence,
        remediation: dnsForeignPrivateAnswer(host, observation.vpcId, observation.region),
      };
    }
    return {
      status: 'pass',
      summary: `${host} resolves to the endpoint's addresses (${answer.endpoint.join(', ')}).`,
      evidence,
    };
  },
};

export const dnsResolution: Check<DiagnoseContext> = {
  ...resolution,
  async run(context, signal): Promise<CheckOutcome> {
    const outcome = await resolution.run(context, signal);
    // Every failure names its cause on the VPC's DNS path (docs/contracts.md "Why DNS fails").
    const { host } = context.target;
    return outcome.status === 'fail' && host ? withDnsCause(context, host, outcome) : outcome;
  },
};
