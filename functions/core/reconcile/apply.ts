import {
  AppError,
  AwsError,
  failureKind,
  TidbCloudBadRequestError,
  TidbCloudConflictError,
} from '../errors.ts';
import {
  CLUSTER_ID_TAG,
  isOurs,
  MANAGED_BY_TAG,
  MANAGED_BY_VALUE,
  NODE_GROUP_ID_TAG,
  type PrivateEndpointConnection,
  STACK_TAG,
  SUBNET_CONFIG_TAG,
  VPC_ID_TAG,
  type VpcEndpoint,
} from '../model.ts';
import type { CallOptions, CreateEndpointInput } from '../ports.ts';
import * as fix from '../remediation.ts';
import { clientTokenFor, retiredGeneration, subnetConfigOf } from './identity.ts';
import { findConnection, GONE_STATES } from './observe.ts';
import { retryPassRead } from './retry-read.ts';
import type {
  Action,
  AppliedAction,
  Decision,
  Observation,
  ReconcileDeps,
  ReconcileSettings,
} from './types.ts';

export type ApplyResult =
  | { kind: 'applied'; applied: AppliedAction; observed: Observation }
  | Extract<Decision, { kind: 'blocked' }>;

/**
 * Replays of deleted endpoints to follow (each costs one CreateVpcEndpoint call): one per earlier deletion of
 * an endpoint made with the same parameters. A bound only so a misbehaving API cannot loop us forever.
 */
const MAX_GENERATIONS = 20;

export function endpointTags(observed: Observation, settings: ReconcileSettings): Record<string, string> {
  return {
    [MANAGED_BY_TAG]: MANAGED_BY_VALUE,
    [CLUSTER_ID_TAG]: observed.cluster.clusterId,
    [NODE_GROUP_ID_TAG]: observed.tidbNodeGroupId,
    [STACK_TAG]: settings.stackName,
    [VPC_ID_TAG]: settings.vpcId,
    [SUBNET_CONFIG_TAG]: subnetConfigOf(settings.subnetIds),
    Name: `tidb-${observed.cluster.displayName}`.slice(0, 255),
  };
}

/**
 * An AWS answer to a create that can only be about the endpoint the token is bound to, never about the
 * request: the token's endpoint is gone, or the token was used (by an earlier version) with another order.
 */
const TOKEN_CODES = /^(InvalidVpcEndpointId\.NotFound|IdempotentParameterMismatch)$|ClientToken/;

/**
 * A replay older than this, of an endpoint DescribeVpcEndpoints no longer lists, is of a long-deleted one
 * (EC2 lists deleted endpoints for a while); a new endpoint not listed yet is only eventual consistency.
 */
const REPLAY_AGE_MS = 10 * 60_000;

/**
 * Is the endpoint a create answered with one that is gone? AWS does not document its answer to the token of
 * a deleted endpoint: the endpoint as it is now (`deleted`), or the original response (e.g.
 * `pendingAcceptance`) of an endpoint DescribeVpcEndpoints shows deleted or no longer lists.
 */
async function isGone(
  deps: ReconcileDeps,
  endpoint: VpcEndpoint,
  askedAt: number,
  options: CallOptions,
): Promise<boolean> {
  if (GONE_STATES.has(endpoint.state)) return true;
  // Retried: the endpoint exists either way, but a failed read here would leave the cluster without the
  // answer of its create until the next tick.
  const [listed] = await retryPassRead(
    () => deps.ec2.findEndpoints({ vpcEndpointIds: [endpoint.vpcEndpointId] }, options),
    deps.clock,
    options,
  );
  if (listed) return GONE_STATES.has(listed.state);
  const createdAt = endpoint.createdAt ? Date.parse(endpoint.createdAt) : Number.NaN;
  return askedAt - createdAt > REPLAY_AGE_MS;
}

/**
 * Should a refused create move to the next generation? Always for an answer about the token; for any other
 * refusal once, because AWS may answer a dead token with an error of its own: a request refused twice in a
 * row (the retired token too) is refused for itself.
 */
function retiresToken(error: unknown, refusedBefore: boolean): boolean {
  if (!(error instanceof AwsError) || failureKind(error) !== 'refused') return false;
  return TOKEN_CODES.test(error.awsCode) || !refusedBefore;
}

/**
 * Creates, following the token chain past endpoints deleted since their token was first used. The next
 * generation is the gone endpoint's id when EC2 names it, else derived from the dead token itself: every
 * concurrent run follows the same chain and still makes exactly one endpoint.
 */
async function createFresh(
  deps: ReconcileDeps,
  request: Omit<CreateEndpointInput, 'clientToken'>,
  options: CallOptions,
): Promise<VpcEndpoint> {
  let generation = '';
  let refusedBefore = false;
  for (let hop = 0; hop < MAX_GENERATIONS; hop++) {
    const clientToken = clientTokenFor(request, generation);
    const askedAt = deps.clock.now();
    let endpoint: VpcEndpoint;
    try {
      // Safe to repeat after a transient failure, even one that came after the endpoint was made: the same
      // ClientToken with the same parameters answers that endpoint, never a second one. A refusal is not
      // retried here; the token chain below handles it.
      endpoint = await retryPassRead(
        () => deps.ec2.createInterfaceEndpoint({ ...request, clientToken }, options),
        deps.clock,
        options,
      );
    } catch (error) {
      if (!retiresToken(error, refusedBefore)) throw error;
      refusedBefore = true;
      generation = retiredGeneration(clientToken);
      continue;
    }
    refusedBefore = false;
    if (!(await isGone(deps, endpoint, askedAt, options))) return endpoint;
    generation = endpoint.vpcEndpointId;
  }
  throw new AppError(
    'ENDPOINT_GENERATIONS',
    `EC2 answered ${MAX_GENERATIONS} creates in a row with a deleted endpoint or a refused token.`,
  );
}

async function createEndpoint(
  deps: ReconcileDeps,
  observed: Observation,
  action: Extract<Action, { type: 'create-endpoint' }>,
  options: CallOptions,
): Promise<ApplyResult> {
  const { settings } = deps;
  try {
    const endpoint = await createFresh(
      deps,
      {
        vpcId: settings.vpcId,
        serviceName: observed.service?.serviceName ?? '',
        // Sorted: AWS may hold a token to its parameters in the order first sent (selectSubnets sorts too).
        subnetIds: [...action.subnetIds].sort(),
        securityGroupIds: [...settings.securityGroupIds].sort(),
        tags: endpointTags(observed, settings),
      },
      options,
    );
    const applied = { ...action, vpcEndpointId: endpoint.vpcEndpointId, at: now(deps) };
    return { kind: 'applied', applied, observed: { ...observed, endpoint, connection: undefined } };
  } catch (error) {
    // AWS's refusals that no retry cures (AZ, quota, bad ids) need a person; transient failures are rethrown.
    if (error instanceof AwsError && failureKind(error) === 'refused') {
      return {
        kind: 'blocked',
        reason: 'ENDPOINT_CREATE_FAILED',
        message: `AWS refused to create the endpoint (${error.awsCode}): ${error.message}`,
        remediation: fix.endpointCreateFailed(
          error.message,
          observed.cluster.clusterId,
          observed.tidbNodeGroupId,
          error.awsCode,
        ),
      };
    }
    throw error;
  }
}

/**
 * A changed subnet list changes the live endpoint in place (never a second endpoint). Remembering the new
 * configuration in its tag is bookkeeping (bookkeeping.ts), done once the plan finds the subnets as asked.
 */
async function modifySubnets(
  deps: ReconcileDeps,
  observed: Observation,
  action: Extract<Action, { type: 'modify-endpoint-subnets' }>,
  options: CallOptions,
): Promise<ApplyResult> {
  const endpoint = ownedEndpoint(deps, observed, action.vpcEndpointId);
  const { addSubnetIds, removeSubnetIds } = action;
  // Not retried inside the pass: a failure may come after EC2 made the change, and the same diff sent again
  // (a subnet added twice, one removed twice) could then be refused and read as Blocked. The next pass
  // observes the endpoint as it is and plans the diff that is still missing, if any.
  await deps.ec2.modifyEndpointSubnets(endpoint.vpcEndpointId, { addSubnetIds, removeSubnetIds }, options);
  const subnetIds = [...endpoint.subnetIds.filter((id) => !removeSubnetIds.includes(id)), ...addSubnetIds];
  const changed = { ...endpoint, subnetIds };
  const applied: AppliedAction = { ...action, at: now(deps) };
  return { kind: 'applied', applied, observed: { ...observed, endpoint: changed } };
}

/** The endpoint an action modifies: only ever this stack's own (managed-by and stack tags). */
function ownedEndpoint(deps: ReconcileDeps, observed: Observation, vpcEndpointId: string): VpcEndpoint {
  const { endpoint } = observed;
  if (!endpoint || endpoint.vpcEndpointId !== vpcEndpointId || !isOurs(endpoint, deps.settings.stackName)) {
    throw new Error(
      `Refusing to modify ${vpcEndpointId}: it does not carry the ${MANAGED_BY_TAG} tag of this stack.`,
    );
  }
  return endpoint;
}

async function registerConnection(
  deps: ReconcileDeps,
  observed: Observation,
  vpcEndpointId: string,
  options: CallOptions,
): Promise<ApplyResult> {
  const { clusterId } = observed.cluster;
  const { tidbNodeGroupId } = observed;
  let connection: PrivateEndpointConnection | undefined;
  let adopted = false;
  try {
    connection = await deps.tidb.createConnection(clusterId, tidbNodeGroupId, vpcEndpointId, options);
  } catch (error) {
    // grpc-gateway maps ALREADY_EXISTS to 409; other paths of the API answer a duplicate with 400.
    if (!(error instanceof TidbCloudBadRequestError || error instanceof TidbCloudConflictError)) throw error;
    // Another run (or TiDB itself, for a DISCOVERED endpoint) registered it first: the connections, re-read,
    // are the truth, adopted whatever their state; `registered` keeps the plan from registering it again.
    const connections = await deps.tidb.listConnections({ clusterId, tidbNodeGroupId }, options);
    connection = findConnection(connections, vpcEndpointId);
    if (!connection) throw error;
    adopted = true;
  }
  const applied: AppliedAction = {
    type: 'register-connection',
    vpcEndpointId,
    privateEndpointConnectionId: connection.privateEndpointConnectionId,
    ...(adopted ? { adopted } : {}),
    at: now(deps),
  };
  return { kind: 'applied', applied, observed: { ...observed, connection, registered: true } };
}

async function enablePrivateDns(
  deps: ReconcileDeps,
  observed: Observation,
  vpcEndpointId: string,
  options: CallOptions,
): Promise<ApplyResult> {
  const endpoint = ownedEndpoint(deps, observed, vpcEndpointId);
  try {
    // Level-triggered (ModifyVpcEndpoint PrivateDnsEnabled=true): asking again once it is on changes nothing,
    // so a transient failure, before or after EC2 acted, is safe to retry inside the pass.
    await retryPassRead(() => deps.ec2.enablePrivateDns(vpcEndpointId, options), deps.clock, options);
  } catch (error) {
    if (error instanceof AwsError && failureKind(error) === 'refused') {
      const blocked = privateDnsRefusal(deps, observed, vpcEndpointId, error.message);
      if (blocked) return blocked;
    }
    throw error;
  }
  const applied: AppliedAction = { type: 'enable-private-dns', vpcEndpointId, at: now(deps) };
  return {
    kind: 'applied',
    applied,
    observed: { ...observed, endpoint: { ...endpoint, privateDnsEnabled: true } },
  };
}

/** AWS refusals of private DNS that need a person, each with its own fix; anything else is transient. */
function privateDnsRefusal(
  deps: ReconcileDeps,
  observed: Observation,
  vpcEndpointId: string,
  awsMessage: string,
): Extract<Decision, { kind: 'blocked' }> | undefined {
  const message = `AWS could not enable private DNS on ${vpcEndpointId}: ${awsMessage}`;
  const { vpcId, region } = deps.settings;
  if (/enableDnsSupport|enableDnsHostnames/.test(awsMessage)) {
    const remediation = fix.enableVpcDns(vpcId, { support: true, hostnames: true });
    return { kind: 'blocked', reason: 'VPC_DNS_ATTRIBUTES', message, remediation };
  }
  if (/conflicting|already/i.test(awsMessage)) {
    const host = observed.service?.serviceDnsName ?? observed.connection?.host ?? '<host>';
    const remediation = fix.privateDnsConflict(vpcEndpointId, vpcId, region, host);
    return { kind: 'blocked', reason: 'PRIVATE_DNS_FAILED', message, remediation };
  }
  return undefined;
}

/** Runs one planned action. Each is idempotent, so a crash after it is resumed by the next run. */
export function apply(
  deps: ReconcileDeps,
  observed: Observation,
  action: Action,
  options: CallOptions,
): Promise<ApplyResult> {
  switch (action.type) {
    case 'create-endpoint':
      return createEndpoint(deps, observed, action, options);
    case 'register-connection':
      return registerConnection(deps, observed, action.vpcEndpointId, options);
    case 'enable-private-dns':
      return enablePrivateDns(deps, observed, action.vpcEndpointId, options);
    case 'modify-endpoint-subnets':
      return modifySubnets(deps, observed, action, options);
  }
}

function now(deps: ReconcileDeps): string {
  return new Date(deps.clock.now()).toISOString();
}
