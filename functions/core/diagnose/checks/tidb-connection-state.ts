import type { PrivateEndpointConnection } from '../../model.ts';
import {
  connectionDeleting,
  registerEndpoint,
  reRegisterFailedConnection,
  undocumentedState,
} from '../../remediation.ts';
import { type DiagnoseContext, ENDPOINT_EXISTS, endpointOf, need } from '../context.ts';
import type { Check, CheckOutcome } from '../runner.ts';

function evidenceOf(connection: PrivateEndpointConnection): Record<string, unknown> {
  const { privateEndpointConnectionId, endpointId, endpointState, message, host, port } = connection;
  return { privateEndpointConnectionId, endpointId, endpointState, message, host, port };
}

export const tidbConnectionState: Check<DiagnoseContext> = {
  id: 'tidb.connection-state',
  dependsOn: [ENDPOINT_EXISTS],
  run({ observation, target }): CheckOutcome {
    need(observation.connections, 'the TiDB Cloud private endpoint connections');
    const endpoint = endpointOf(target);
    const { connection } = target;
    const clusterId = observation.clusterId;
    const nodeGroupId = observation.nodeGroupId ?? '<node-group-id>';
    const vpceId = endpoint.vpcEndpointId;
    const register = registerEndpoint(clusterId, nodeGroupId, vpceId);
    if (!connection || connection.endpointState === 'DISCOVERED') {
      return {
        status: 'fail',
        summary: `${vpceId} was created in your VPC but is not registered with TiDB Cloud.`,
        evidence: connection ? evidenceOf(connection) : { endpointId: vpceId },
        remediation: register,
      };
    }
    const evidence = evidenceOf(connection);
    switch (connection.endpointState) {
      case 'ACTIVE':
        // TiDB keeps stale messages on ACTIVE connections; they mean nothing then.
        return {
          status: 'pass',
          summary: `TiDB Cloud reports the connection for ${vpceId} ACTIVE.`,
          evidence,
        };
      case 'PENDING':
        return {
          status: 'warn',
          summary: `TiDB Cloud is checking ${vpceId} (PENDING, about 5 minutes).`,
          evidence,
        };
      case 'FAILED':
        return {
          status: 'fail',
          summary: `TiDB Cloud reports the connection for ${vpceId} FAILED${connection.message ? `: ${connection.message}` : '.'}`,
          evidence,
          remediation: reRegisterFailedConnection(
            { clusterId, nodeGroupId, connectionId: connection.privateEndpointConnectionId, vpceId },
            connection.message,
          ),
        };
      case 'DELETING':
        return {
          status: 'fail',
          summary: `TiDB Cloud is deleting the connection for ${vpceId}.`,
          evidence,
          remediation: connectionDeleting(clusterId, nodeGroupId),
        };
      default: {
        // A state the swagger does not list (the API may add one): report it, judge nothing.
        const state: string = connection.endpointState;
        return {
          status: 'warn',
          summary: `TiDB Cloud reports the connection for ${vpceId} in state "${state}", which its API does not document.`,
          evidence: { ...evidence, unknownState: state },
          remediation: undocumentedState(`the connection for ${vpceId}`, state),
        };
      }
    }
  },
};
