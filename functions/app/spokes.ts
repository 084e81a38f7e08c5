import type { AwsClientOptions } from '../adapters/aws/clients.ts';
import { CLI_SESSION_NAME } from '../adapters/aws/spoke-credentials.ts';
import { spokeEc2Ports } from '../adapters/aws/spoke-ec2.ts';
import type { Config } from '../config.ts';
import type { AccountEc2Port } from '../core/ports.ts';

/**
 * The spoke VPCs' EC2 ports, each signing with its role's assumed credentials (the session named after the
 * function, or the CLI's name); undefined when the stack has no spoke, so a plain hub builds nothing more.
 */
export function spokeAccounts(config: Config, aws: AwsClientOptions): { accounts?: AccountEc2Port } {
  const spokes = config.privateLink.vpcs.flatMap(({ vpcId, roleArn, externalId }) =>
    roleArn ? [{ vpcId, roleArn, ...(externalId ? { externalId } : {}) }] : [],
  );
  if (spokes.length === 0) return {};
  const sessionName = config.aws.functionName ?? CLI_SESSION_NAME;
  return { accounts: spokeEc2Ports(spokes, { aws, sessionName }) };
}
