/**
 * Before the integration suites: the packaged roles their worlds enforce (testing/iam), for the VPC shapes
 * the suites use, so no test waits for `serverless package` (about 20 s, then cached on disk by its inputs).
 */
import { warmRoles } from '../../testing/iam/roles.ts';

/** A VPC of `subnets` subnets and `groups` security groups (only the shape matters: ids are substituted). */
const vpc = (n: number, subnets: number, groups: number) => ({
  vpcId: `vpc-0${n}`,
  subnetIds: Array.from({ length: subnets }, (_, i) => `subnet-0${n}${i}`),
  securityGroupIds: Array.from({ length: groups }, (_, i) => `sg-0${n}${i}`),
});

/** The default world's VPC alone, and beside the second VPCs the multi-VPC suites add. */
export default async function setup(): Promise<void> {
  const world = vpc(1, 3, 1);
  await warmRoles([[world], [world, vpc(2, 3, 1)], [world, vpc(2, 2, 1)], [world, vpc(2, 1, 0)]]);
}
