import { createHash } from 'node:crypto';
import { AwsError, TidbCloudBadRequestError } from '../errors.ts';
import {
  CLUSTER_ID_TAG,
  isManaged,
  MANAGED_BY_TAG,
  MANAGED_BY_VALUE,
  NODE_GROUP_ID_TAG,
  type PrivateEndpointConnection,
} from '../model.ts';
import type { CallOptions } from '../ports.ts';
import * as fix from '../remediation.ts';
import { findConnection } from './observe.ts';
import type { Action, AppliedAction, Decision, Observation, ReconcileDeps } from './types.ts';

export type ApplyResult =
  | { kind: 'applied'; applied: AppliedAction; observed: Observation }
  | Extract<Decision, { kind: 'blocked' }>;

/**
 * EC2's idempotency token for the endpoint of one cluster + node group in one VPC: concurrent or repeated
 * creates return the same endpoint instead of a second one.
 */
export function clientTokenFor(clusterId: string, tidbNodeGroupId: string, vpcId: string): string {
  return createHash('sha256')
    .update(`tidb-privatelink/${clusterId}/${tidbNodeGroupId}/${vpcId}`)
    .digest('hex')
    .slice(0, 64);
}

export function endpointTags(observed: Observation): Record<string, string> {
  return {
    [MANAGED_BY_TAG]: MANAGED_BY_VALUE,
    [CLUSTER_ID_TAG]: observed.cluster.clusterId,
    [NODE_GROUP_ID_TAG]: observed.tidbNodeGroupId,
    Name: `tidb-${observed.cluster.displayName}`.slice(0, 255),
  };
}

async function createEndpoint(
  deps: ReconcileDeps,
  observed: Observation,
  action: Extract<Action, { type: 'create-endpoint' }>,
  options: CallOptions,
): Promise<ApplyResult> {
  const { settings } = deps;
  const serviceName = observed.service?.serviceName ?? '';
  try {
    const endpoint = await deps.ec2.createInterfaceEndpoint(
      {
        vpcId: settings.vpcId,
        serviceName,
        subnetIds: action.subnetIds,
        securityGroupIds: settings.securityGroupIds,
        clientToken: clientTokenFor(observed.cluster.clusterId, observed.tidbNodeGroupId, settings.vpcId),
        tags: endpointTags(observed),
      },
      options,
    );
    const applied = { ...action, vpcEndpointId: endpoint.vpcEndpointId, at: now(deps) };
    return { kind: 'applied', applied, observed: { ...observed, endpoint, connection: undefined } };
  } catch (error) {
    // AWS's refusals that no retry cures (AZ, quota, bad ids) need a person; throttling is rethrown.
    if (error instanceof AwsError && !/Throttl|RequestLimitExceeded|ServiceUnavailable/.test(error.awsCode)) {
      return {
        kind: 'blocked',
        reason: 'ENDPOINT_CREATE_FAILED',
        message: `AWS refused to create the endpoint (${error.awsCode}): ${error.message}`,
        remediation: fix.endpointCreateFailed(
          error.message,
          observed.cluster.clusterId,
          observed.tidbNodeGroupId,
        ),
      };
    }
    throw error;
  }
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
  try {
    connection = await deps.tidb.createConnection(clusterId, tidbNodeGroupId, vpcEndpointId, options);
  } catch (error) {
    if (!(error instanceof TidbCloudBadRequestError)) throw error;
    // Another run registered it first: the connections, re-read, are the truth.
    const connections = await deps.tidb.listConnections({ clusterId, tidbNodeGroupId }, options);
    connection = findConnection(connections, vpcEndpointId);
    if (!connection) throw error;
  }
  const applied: AppliedAction = {
    type: 'register-connection',
    vpcEndpointId,
    privateEndpointConnectionId: connection.privateEndpointConnectionId,
    at: now(deps),
  };
  return { kind: 'applied', applied, observed: { ...observed, connection } };
}

async function enablePrivateDns(
  deps: ReconcileDeps,
  observed: Observation,
  vpcEndpointId: string,
  options: CallOptions,
): Promise<ApplyResult> {
  const { endpoint } = observed;
  // The one modification the app makes to an existing endpoint: never to one it did not create.
  if (!endpoint || endpoint.vpcEndpointId !== vpcEndpointId || !isManaged(endpoint)) {
    throw new Error(`Refusing to modify ${vpcEndpointId}: it does not carry the ${MANAGED_BY_TAG} tag.`);
  }
  try {
    await deps.ec2.enablePrivateDns(vpcEndpointId, options);
  } catch (error) {
    if (error instanceof AwsError) {
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
  }
}

function now(deps: ReconcileDeps): string {
  return new Date(deps.clock.now()).toISOString();
}
