import { enablePrivateDns, enableVpcDns } from '../../remediation.ts';
import { type DiagnoseContext, ENDPOINT_EXISTS, endpointOf } from '../context.ts';
import type { Check, CheckOutcome } from '../runner.ts';

export const awsPrivateDns: Check<DiagnoseContext> = {
  id: 'aws.private-dns',
  dependsOn: [ENDPOINT_EXISTS],
  async run({ observation, target }): Promise<CheckOutcome> {
    const endpoint = endpointOf(target);
    const name = endpoint.vpcEndpointId;
    const evidence = { vpcEndpointId: name, privateDnsEnabled: endpoint.privateDnsEnabled };
    if (endpoint.privateDnsEnabled)
      return { status: 'pass', summary: `${name} has private DNS enabled.`, evidence };
    // AWS refuses private DNS before the provider accepts, so it is enabled only after TiDB reports ACTIVE.
    const accepted = endpoint.state === 'available' && target.connection?.endpointState === 'ACTIVE';
    if (!accepted) {
      return {
        status: 'warn',
        summary: `${name} has private DNS off; enable it once TiDB Cloud reports the connection ACTIVE.`,
        evidence,
        remediation: enablePrivateDns(name, undefined),
      };
    }
    const vpcDns = await observation.vpcDns;
    const dns = vpcDns?.ok ? vpcDns.value : undefined;
    const vpcFix =
      dns && observation.vpcId && !(dns.enableDnsSupport && dns.enableDnsHostnames)
        ? enableVpcDns(observation.vpcId, {
            support: !dns.enableDnsSupport,
            hostnames: !dns.enableDnsHostnames,
          })
        : undefined;
    return {
      status: 'fail',
      summary: `${name} has private DNS off: ${target.host ?? 'the cluster host'} does not resolve to the endpoint.`,
      evidence,
      remediation: enablePrivateDns(name, vpcFix),
    };
  },
};
