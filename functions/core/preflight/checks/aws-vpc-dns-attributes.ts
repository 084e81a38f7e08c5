import { enableVpcDns } from '../../remediation.ts';
import type { PreflightCheck } from './types.ts';

/** Private DNS on an interface endpoint needs both attributes; TiDB's guide asks for them too. */
export const awsVpcDnsAttributes: PreflightCheck = {
  id: 'aws.vpc-dns-attributes',
  dependsOn: [{ id: 'aws.vpc', reason: 'Skipped: the VPC could not be read.' }],
  async run({ ports, settings, signal }) {
    const { vpcId } = settings;
    const attributes = await ports.ec2.describeVpcDnsAttributes(vpcId, { signal });
    const evidence = { vpcId, ...attributes };
    if (attributes.enableDnsSupport && attributes.enableDnsHostnames) {
      return { status: 'pass', summary: `${vpcId} has DNS support and DNS hostnames enabled.`, evidence };
    }
    const off = [
      !attributes.enableDnsSupport && 'enableDnsSupport',
      !attributes.enableDnsHostnames && 'enableDnsHostnames',
    ].filter(Boolean);
    return {
      status: 'fail',
      summary: `${vpcId} has ${off.join(' and ')} off: the endpoints' private DNS needs both.`,
      evidence,
      remediation: enableVpcDns(vpcId, {
        support: !attributes.enableDnsSupport,
        hostnames: !attributes.enableDnsHostnames,
      }),
    };
  },
};
