/**
 * A second AWS account for the hub-and-spokes tests: its own EC2 fake (its own ids, and its own AZ names for
 * the same AZ IDs, as every account sees them), the spoke template deployed there (testing/iam/spoke.ts), its
 * VPC as a `PRIVATELINK_VPCS` spoke entry, and the hub's view of it: an `AccountEc2Port` whose every call
 * first takes the role's credentials through the app's own cache (functions/adapters/aws/spoke-credentials.ts)
 * from an AssumeRole the policy engine decides (the hub function's packaged role, the spoke role's trust
 * policy, session name and external id), then is decided as a request of that session under the spoke role's
 * policies, before the fake sees it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { SpokeCredentials } from '../functions/adapters/aws/spoke-credentials.ts';
import { AwsError } from '../functions/core/errors.ts';
import type { AccountEc2Port, Clock, ProvisioningEc2Port } from '../functions/core/ports.ts';
import type { VpcPlacement } from '../functions/core/reconcile/types.ts';
import type { VpcTarget } from '../functions/settings/vpcs.ts';
import { Ec2Fake, type Ec2FakeWithWorld } from './ec2-fake.ts';
import { type Ec2State, ec2RequestsOf, type PortCall } from './iam/ec2-requests.ts';
import { authorizerAs } from './iam/enforce-ports.ts';
import {
  assumeRoleDecision,
  decideAsSession,
  hubRoleArn,
  hubSessionName,
  SPOKE_ACCOUNT,
  type Spoke,
  spokeOf,
} from './iam/spoke.ts';
import { ACCOUNT, type AwsRequest } from './iam-engine.ts';

export { SPOKE_ACCOUNT };

/** The hub stack's name as serverless names it (service-stage): its roles and sessions carry it. */
const HUB_STACK = 'tidb-privatelink-dev';

/** The spoke account's names for us-east-1's AZ IDs: not the hub's (the fake's default maps az1 to 1c). */
const SPOKE_ZONES = [
  { zoneName: 'us-east-1a', zoneId: 'use1-az1' },
  { zoneName: 'us-east-1b', zoneId: 'use1-az2' },
  { zoneName: 'us-east-1c', zoneId: 'use1-az3' },
  { zoneName: 'us-east-1d', zoneId: 'use1-az4' },
  { zoneName: 'us-east-1e', zoneId: 'use1-az5' },
  { zoneName: 'us-east-1f', zoneId: 'use1-az6' },
];

export interface SpokeAccount {
  ec2: Ec2FakeWithWorld;
  spoke: Spoke;
  /** The spoke VPC as the core sees it (`accountId` set). */
  placement: VpcPlacement;
  /** The hub's `PRIVATELINK_VPCS` entry for it. */
  entry: VpcTarget;
  /** The hub's view: the spoke VPC's calls, each behind the assumed role. */
  accounts: AccountEc2Port;
  /** The external id the hub sends (a test may change it, as a person editing the setting would). */
  externalId: string | undefined;
  /** STS itself failing (throttled) rather than deciding: the next AssumeRole gets this AWS code. */
  stsOutage: string | undefined;
  /** AssumeRole calls made so far. */
  assumed: number;
}

/** An error shaped as the SDK throws STS's (its `name` is AWS's code). */
function stsError(code: string, message: string): Error {
  const error = new Error(message);
  error.name = code;
  return Object.assign(error, { $fault: 'client' });
}

/** The spoke fake as the request builder reads it: its state, in the spoke's account. */
function stateOf(fake: Ec2Fake): Ec2State {
  return new Proxy(fake, {
    get(target, property) {
      if (property === 'account') return SPOKE_ACCOUNT;
      const value = Reflect.get(target, property) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as unknown as Ec2State;
}

/** Every method of `fake` behind `before`, each call recorded for the fake's authorize hook. */
function behind(fake: Ec2Fake, calls: AsyncLocalStorage<PortCall>, before: () => Promise<unknown>) {
  return new Proxy(fake, {
    get(target, property) {
      const value = Reflect.get(target, property) as unknown;
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return async (...args: unknown[]) => {
        await before();
        return calls.run({ method: property, args }, () => Reflect.apply(value, target, args));
      };
    },
  }) as unknown as ProvisioningEc2Port;
}

/**
 * A spoke account at `clock`'s time, the spoke template deployed with `externalId` (the hub sends the same
 * unless a test changes it), credentials valid for an hour; the hub's function is `reconcile`.
 * @example const spoke = await spokeAccount(clock); const world = await startWorld({ clock, accounts: [spoke.ec2] });
 */
export async function spokeAccount(
  clock: Clock,
  hubVpcs: VpcTarget[],
  options: { externalId?: string } = {},
): Promise<SpokeAccount> {
  const calls = new AsyncLocalStorage<PortCall>();
  let decide: (requests: AwsRequest[]) => Promise<void> = async () => undefined;
  const ec2: Ec2FakeWithWorld = Ec2Fake.withDefaultWorld({
    region: 'us-east-1',
    now: clock.now,
    zones: SPOKE_ZONES,
    idBase: 0x100000,
    authorize: async (operation) => {
      const call = calls.getStore();
      if (call) await decide(ec2RequestsOf(operation, call, stateOf(ec2)));
    },
  });
  const spoke = await spokeOf(
    {
      HubAccountId: ACCOUNT,
      HubStackName: HUB_STACK,
      VpcId: ec2.world.vpcId,
      SubnetIds: ec2.world.subnetIds,
      ...(options.externalId ? { ExternalId: options.externalId } : {}),
      DataPlaneCodeBucket: 'hub-artifacts',
      DataPlaneCodeKey: 'data-plane.zip',
    },
    { account: SPOKE_ACCOUNT },
  );
  const placement = {
    vpcId: ec2.world.vpcId,
    subnetIds: ec2.world.subnetIds,
    securityGroupIds: [ec2.world.securityGroupId],
    accountId: SPOKE_ACCOUNT,
  };
  const entry: VpcTarget = { ...placement, roleArn: spoke.roleArn };
  // The hub's reconcile function, packaged with the spoke in its list: its sts:AssumeRole grant is the caller's side.
  const hubRole = (await authorizerAs('reconcile', [...hubVpcs, entry])).role;
  const sessionName = hubSessionName(HUB_STACK, 'reconcile');
  const caller = { role: hubRole, roleArn: hubRoleArn(ACCOUNT, HUB_STACK, 'reconcile'), sessionName };
  const account: SpokeAccount = {
    ec2,
    spoke,
    placement,
    entry,
    accounts: { ec2Of: () => undefined },
    externalId: options.externalId,
    stsOutage: undefined,
    assumed: 0,
  };
  decide = async (requests) => {
    for (const request of requests) {
      if ((await decideAsSession(spoke, sessionName, request)) === 'Allowed') continue;
      throw new AwsError(
        'UnauthorizedOperation',
        `You are not authorized to perform this operation. ${request.action} on ${request.resource} as ${spoke.roleArn}/${sessionName}`,
        { fault: 'client' },
      );
    }
  };
  const assume = async () => {
    account.assumed += 1;
    if (account.stsOutage) throw stsError(account.stsOutage, 'Rate exceeded');
    const request = { sessionName, externalId: account.externalId };
    if ((await assumeRoleDecision(spoke, caller, request)) !== 'Allowed') {
      throw stsError(
        'AccessDenied',
        `User: ${caller.roleArn} is not authorized to perform: sts:AssumeRole on resource: ${spoke.roleArn}`,
      );
    }
    return { accessKeyId: 'ASIASPOKE', secretAccessKey: 's', expiration: new Date(clock.now() + 3_600_000) };
  };
  const credentials = new SpokeCredentials({ roleArn: spoke.roleArn, sessionName }, assume, clock.now);
  const port = behind(ec2, calls, () => credentials.get());
  account.accounts = { ec2Of: (vpcId) => (vpcId === ec2.world.vpcId ? port : undefined) };
  return account;
}
