import type { VpcDnsAttributes } from '../../model.ts';
import { enableVpcDns, noVpc } from '../../remediation.ts';
import { type DiagnoseContext, need } from '../context.ts';
import type { Check, CheckOutcome } from '../runner.ts';

export const awsVpcDnsAttributes: Check<DiagnoseContext> = {
  id: 'aws.vpc-dns-attributes',
  dependsOn: [],
  async run({ observation }): Promise<CheckOutcome> {
    const { vpcId } = observation;
    if (!vpcId) return { status: 'skip', summary: `Skipped: no VPC to inspect. ${noVpc()}` };
    const attributes = need(await observation.vpcDns, `the DNS attributes of ${vpcId}`);
    return vpcDnsOutcome(vpcId, attributes);
  },
};

/** Private DNS on an interface endpoint needs both attributes (the doctor's check and preflight's). */
export function vpcDnsOutcome(vpcId: string, attributes: VpcDnsAttributes): CheckOutcome {
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
    summary: `${vpcId} has ${off.join(' and ')} off: private DNS for the endpoint needs both.`,
    evidence,
    remediation: enableVpcDns(vpcId, {
      support: !attributes.enableDnsSupport,
      hostnames: !attributes.enableDnsHostnames,
    }),
  };
}
