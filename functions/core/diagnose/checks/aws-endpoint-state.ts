import type { KnownVpcEndpointState, VpcEndpointState } from '../../model.ts';
import { createEndpoint, replaceEndpoint, undocumentedState, wrongService } from '../../remediation.ts';
import { type DiagnoseContext, need } from '../context.ts';
import type { Check, CheckOutcome } from '../runner.ts';

/** Waiting for TiDB Cloud to accept: normal for a few minutes after creation. */
const WAITING: readonly VpcEndpointState[] = ['pendingAcceptance', 'pending'];

/** States that cannot recover: the endpoint must be replaced. */
const DEAD: readonly string[] = [
  'rejected',
  'failed',
  'deleting',
  'deleted',
  'expired',
] satisfies KnownVpcEndpointState[];

export const awsEndpointState: Check<DiagnoseContext> = {
  id: 'aws.endpoint-state',
  dependsOn: [
    { id: 'tidb.service-ready', reason: 'Skipped: there is no ready private link service to connect to.' },
  ],
  run({ observation, target }): CheckOutcome {
    const found = need(observation.endpoint, 'the VPC endpoints');
    const serviceName = target.service?.serviceName ?? '';
    const clusterId = observation.clusterId;
    const nodeGroupId = observation.nodeGroupId ?? '<node-group-id>';
    const { endpoint } = found;
    if (!endpoint) {
      const vpcId = observation.vpcId ?? '<vpc-id>';
      return {
        status: 'fail',
        summary: `No interface endpoint to ${serviceName} in ${vpcId}.`,
        evidence: { vpcId, serviceName },
        remediation: createEndpoint({ clusterId, nodeGroupId, vpcId, serviceName }),
      };
    }
    const evidence = {
      vpcEndpointId: endpoint.vpcEndpointId,
      state: endpoint.state,
      vpcId: endpoint.vpcId,
      serviceName: endpoint.serviceName,
      foundBy: found.foundBy,
      ...(found.candidates.length > 0 ? { candidates: found.candidates } : {}),
    };
    const name = endpoint.vpcEndpointId;
    if (endpoint.serviceName !== serviceName) {
      return {
        status: 'fail',
        summary: `${name} connects to ${endpoint.serviceName}, not to the cluster's ${serviceName}.`,
        evidence,
        remediation: wrongService(name, serviceName),
      };
    }
    if (endpoint.state === 'available') return { status: 'pass', summary: `${name} is available.`, evidence };
    if (WAITING.includes(endpoint.state)) {
      return {
        status: 'warn',
        summary: `${name} is ${endpoint.state}: TiDB Cloud has not accepted it yet.`,
        evidence,
      };
    }
    if (!DEAD.includes(endpoint.state)) {
      // A state EC2 added (or one this model lacks, like `partial`): never a reason to replace the endpoint.
      return {
        status: 'warn',
        summary: `${name} is in state "${endpoint.state}", which this tool does not know.`,
        evidence: { ...evidence, unknownState: endpoint.state },
        remediation: undocumentedState(`endpoint ${name}`, endpoint.state),
      };
    }
    return {
      status: 'fail',
      summary: `${name} is ${endpoint.state}.`,
      evidence,
      remediation: replaceEndpoint(name, endpoint.state, clusterId, nodeGroupId),
    };
  },
};
