import { noAwsCredentials } from '../../remediation.ts';
import { messageOf, type PreflightCheck } from './types.ts';

/** Whose credentials deploy: everything else runs with them. */
export const awsCredentials: PreflightCheck = {
  id: 'aws.credentials',
  dependsOn: [],
  async run({ ports, signal }) {
    try {
      const { account, arn } = await ports.identity.callerIdentity({ signal });
      return {
        status: 'pass',
        summary: `Deploying as ${arn} (account ${account}).`,
        evidence: { account, arn },
      };
    } catch (error) {
      const message = messageOf(error);
      return {
        status: 'fail',
        summary: 'AWS did not accept the credentials.',
        remediation: noAwsCredentials(message),
      };
    }
  },
};
