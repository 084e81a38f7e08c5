/**
 * A second AWS account for the hub-and-spokes tests: its own EC2 fake (its own ids, and its own AZ names for
 * the same AZ IDs, as every account sees them), its VPC as a `PRIVATELINK_VPCS` spoke entry, and the hub's
 * view of it: an `AccountEc2Port` whose every call first takes the role's credentials through the app's own
 * cache (functions/adapters/aws/spoke-credentials.ts), from an AssumeRole a test can refuse or throttle.
 */
import { SpokeCredentials } from '../functions/adapters/aws/spoke-credentials.ts';
import type { AccountEc2Port, Clock, ProvisioningEc2Port } from '../functions/core/ports.ts';
import type { VpcPlacement } from '../functions/core/reconcile/types.ts';
import { Ec2Fake, type Ec2FakeWithWorld } from './ec2-fake.ts';

export const SPOKE_ACCOUNT = '222233334444';
export const SPOKE_ROLE = `arn:aws:iam::${SPOKE_ACCOUNT}:role/tidb-privatelink-spoke`;

/** The spoke account's names for us-east-1's AZ IDs: not the hub's (the fake's default maps az1 to 1c). */
const SPOKE_ZONES = [
  { zoneName: 'us-east-1a', zoneId: 'use1-az1' },
  { zoneName: 'us-east-1b', zoneId: 'use1-az2' },
  { zoneName: 'us-east-1c', zoneId: 'use1-az3' },
  { zoneName: 'us-east-1d', zoneId: 'use1-az4' },
  { zoneName: 'us-east-1e', zoneId: 'use1-az5' },
  { zoneName: 'us-east-1f', zoneId: 'use1-az6' },
];

/** What STS answers the hub's AssumeRole: credentials, or a refusal by its AWS code. */
export type AssumeAnswer = 'allow' | 'AccessDenied' | 'Throttling';

export interface SpokeAccount {
  ec2: Ec2FakeWithWorld;
  /** The spoke VPC as the core sees it (`accountId` set). */
  placement: VpcPlacement;
  /** The hub's view: the spoke VPC's calls, each behind the assumed role. */
  accounts: AccountEc2Port;
  /** What the next AssumeRole gets. */
  answer: AssumeAnswer;
  /** AssumeRole calls made so far. */
  assumed: number;
}

/** An error shaped as the SDK throws STS's (its `name` is AWS's code). */
function stsError(code: string): Error {
  const error = new Error(`${code} (from the test's STS)`);
  error.name = code;
  return Object.assign(error, { $fault: 'client' });
}

/** Every method of `fake` behind `before`, so no call reaches the spoke's EC2 without credentials. */
function behind(fake: Ec2Fake, before: () => Promise<unknown>): ProvisioningEc2Port {
  return new Proxy(fake, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        await before();
        return Reflect.apply(value, target, args);
      };
    },
  }) as unknown as ProvisioningEc2Port;
}

/**
 * A spoke account at `clock`'s time, its credentials valid for an hour.
 * @example const spoke = spokeAccount(world.clock); const world = await startWorld({ accounts: [spoke.ec2] });
 */
export function spokeAccount(clock: Clock): SpokeAccount {
  const ec2 = Ec2Fake.withDefaultWorld({
    region: 'us-east-1',
    now: clock.now,
    zones: SPOKE_ZONES,
    idBase: 0x100000,
  });
  const spoke: SpokeAccount = {
    ec2,
    placement: {
      vpcId: ec2.world.vpcId,
      subnetIds: ec2.world.subnetIds,
      securityGroupIds: [ec2.world.securityGroupId],
      accountId: SPOKE_ACCOUNT,
    },
    accounts: { ec2Of: () => undefined },
    answer: 'allow',
    assumed: 0,
  };
  const role = { roleArn: SPOKE_ROLE, sessionName: 'tidb-privatelink-dev-reconcile' };
  const assume = async () => {
    spoke.assumed += 1;
    if (spoke.answer !== 'allow') throw stsError(spoke.answer);
    return { accessKeyId: 'ASIASPOKE', secretAccessKey: 's', expiration: new Date(clock.now() + 3_600_000) };
  };
  const credentials = new SpokeCredentials(role, assume, clock.now);
  const port = behind(ec2, () => credentials.get());
  spoke.accounts = { ec2Of: (vpcId) => (vpcId === ec2.world.vpcId ? port : undefined) };
  return spoke;
}
