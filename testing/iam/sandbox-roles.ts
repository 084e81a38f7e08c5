/**
 * The packaged roles a sandbox suite runs its functions and CLI under. Every suite asks for the same package
 * shape (one VPC, three subnets, one group, the flow's bus), so `serverless package` runs once for all of
 * them; each suite's own VPC ids, state table and secret are put in afterwards (rolesFor, withSandboxNames).
 */
import type { VpcTarget } from '../../functions/settings/vpcs.ts';
import type { Role } from '../iam-engine.ts';
import { Authorizer } from './enforce.ts';
import {
  type Roles,
  rolesFor,
  SANDBOX_SQL_SECRET_ARN,
  type SandboxNames,
  withSandboxNames,
} from './roles.ts';

/** The event bus the sandbox stack is packaged with: a role may publish only there. */
export const SANDBOX_BUS = 'tidb-privatelink-flow';

/** A placement for suites with no EC2 world of their own (their roles' EC2 statements name no real VPC). */
const NO_PLACEMENT: VpcTarget = {
  vpcId: 'vpc-0000000000000000a',
  subnetIds: ['subnet-0000000000000000a', 'subnet-0000000000000000b', 'subnet-0000000000000000c'],
  securityGroupIds: ['sg-0000000000000000a'],
};

export interface SandboxRolesOptions extends SandboxNames {
  /** The suite's customer VPC, with three subnets and one group (buildMotoWorld's shape). */
  placement?: VpcTarget;
  /** The stack's event bus, when the suite's is not SANDBOX_BUS (deliveredEvents makes one per call). */
  eventBus?: string;
}

/** Authorizers for the packaged functions and operator policies, by name (`reconcile`, `operator-read-only`). */
export interface SandboxPrincipals {
  roles: Roles;
  as(name: string): Authorizer;
}

export async function sandboxPrincipals(options: SandboxRolesOptions = {}): Promise<SandboxPrincipals> {
  const placement = options.placement ?? NO_PLACEMENT;
  const packaged = withSandboxNames(
    // With a SQL secret: the probe's and troubleshoot's roles then read it (readSqlSecret names it).
    await rolesFor([placement], {
      PRIVATELINK_EVENT_BUS: SANDBOX_BUS,
      TIDB_SQL_SECRET_ARN: SANDBOX_SQL_SECRET_ARN,
    }),
    options,
  );
  const { eventBus } = options;
  const roles = eventBus
    ? (JSON.parse(
        JSON.stringify(packaged).replaceAll(`:event-bus/${SANDBOX_BUS}"`, `:event-bus/${eventBus}"`),
      ) as Roles)
    : packaged;
  const authorizers = new Map<string, Authorizer>();
  return {
    roles,
    as: (name) => {
      const role = roles[name];
      if (!role) throw new Error(`the package has no role ${name}; it has ${Object.keys(roles).join(', ')}`);
      const authorizer = authorizers.get(name) ?? new Authorizer(name, role as Role);
      authorizers.set(name, authorizer);
      return authorizer;
    },
  };
}
