/**
 * The EC2 ports of a stack's spoke VPCs: per role, one client signed with that role's assumed credentials
 * (spoke-credentials.ts), shared by every VPC the role serves. A hub without spokes builds nothing here.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import type { AccountEc2Port, ProvisioningEc2Port } from '../../core/ports.ts';
import { type AwsClientOptions, clientConfig } from './clients.ts';
import { Ec2Adapter } from './ec2.ts';
import {
  type AssumeRole,
  lazyStsAssumeRole,
  refreshOnExpiredToken,
  SpokeCredentials,
  type SpokeRole,
} from './spoke-credentials.ts';

/** A spoke entry as far as its calls go: which VPC, which role. */
export interface SpokeVpc {
  vpcId: string;
  roleArn: string;
  externalId?: string;
}

export interface SpokeEc2Options {
  aws: AwsClientOptions;
  /** `RoleSessionName`: the function's name, or the CLI's. */
  sessionName: string;
  /** Tests: fetch credentials without STS. */
  assume?: (role: SpokeRole) => AssumeRole;
}

/** One role's credentials and EC2 client, however many VPCs it serves. */
function roleEc2(role: SpokeRole, options: SpokeEc2Options): ProvisioningEc2Port {
  const assume = options.assume?.(role) ?? lazyStsAssumeRole(role, options.aws);
  const credentials = new SpokeCredentials(role, assume);
  const client = new EC2Client({ ...clientConfig(options.aws), credentials: credentials.provider });
  refreshOnExpiredToken(client, credentials);
  return new Ec2Adapter(client);
}

/**
 * Every spoke VPC's EC2 port; `ec2Of` of a VPC of the hub's own account is undefined (the caller's own).
 * @example spokeEc2Ports([{ vpcId: 'vpc-0c', roleArn }], { aws, sessionName: process.env.AWS_LAMBDA_FUNCTION_NAME })
 */
export function spokeEc2Ports(spokes: SpokeVpc[], options: SpokeEc2Options): AccountEc2Port {
  const byRole = new Map<string, ProvisioningEc2Port>();
  const byVpc = new Map<string, ProvisioningEc2Port>();
  for (const spoke of spokes) {
    // The same role with another external id is another trust: its own session and cache.
    const key = `${spoke.roleArn}\n${spoke.externalId ?? ''}`;
    const role = { roleArn: spoke.roleArn, externalId: spoke.externalId, sessionName: options.sessionName };
    const port = byRole.get(key) ?? roleEc2(role, options);
    byRole.set(key, port);
    byVpc.set(spoke.vpcId, port);
  }
  return { ec2Of: (vpcId) => byVpc.get(vpcId) };
}
