import { vpcNotFound } from '../../remediation.ts';
import { isNotFound, type PreflightCheck } from './types.ts';

export const awsVpc: PreflightCheck = {
  id: 'aws.vpc',
  dependsOn: [{ id: 'aws.credentials' }],
  async run(context) {
    const { vpcId, region } = context.settings;
    try {
      const vpc = await context.once('vpc', () =>
        context.ports.ec2.describeVpc(vpcId, { signal: context.signal }),
      );
      return {
        status: 'pass',
        summary: `${vpcId} exists (${vpc.cidrBlocks.join(', ')}).`,
        evidence: { vpcId, cidrBlocks: vpc.cidrBlocks },
      };
    } catch (error) {
      if (!isNotFound(error)) throw error;
      return {
        status: 'fail',
        summary: `${vpcId} does not exist in ${region}.`,
        remediation: vpcNotFound(region),
      };
    }
  },
};
