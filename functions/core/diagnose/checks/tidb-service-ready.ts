import { isDocumented, SERVICE_STATES } from '../../model.ts';
import { noNodeGroup, serviceNotReady, undocumentedState } from '../../remediation.ts';
import { type DiagnoseContext, unobservable } from '../context.ts';
import type { Check } from '../runner.ts';

export const tidbServiceReady: Check<DiagnoseContext> = {
  id: 'tidb.service-ready',
  dependsOn: [
    { id: 'tidb.cluster-state', reason: 'Skipped: the cluster is not ACTIVE (see tidb.cluster-state).' },
  ],
  run({ observation }) {
    const { clusterId, nodeGroupId } = observation;
    if (!nodeGroupId) {
      return {
        status: 'fail',
        summary: `Cluster ${clusterId} has no TiDB node group.`,
        remediation: noNodeGroup(clusterId),
      };
    }
    // TiDB answers 404 until it has created the service: that is "not ready", not an API problem.
    const observed = observation.service;
    if (observed && !observed.ok && !observed.error.notFound)
      return unobservable(observed.error, 'the private link service');
    const service = observed?.ok ? observed.value : undefined;
    const evidence = service
      ? {
          tidbNodeGroupId: nodeGroupId,
          state: service.state,
          serviceName: service.serviceName,
          serviceDnsName: service.serviceDnsName,
          availableZones: service.availableZones,
        }
      : { tidbNodeGroupId: nodeGroupId, state: 'NOT_FOUND' };
    if (service?.state === 'ACTIVE' && service.serviceName) {
      return { status: 'pass', summary: `Private link service ${service.serviceName} is ACTIVE.`, evidence };
    }
    if (service?.serviceName && !isDocumented(SERVICE_STATES, service.state)) {
      // Named but in a state added after the swagger: report it and let the endpoint checks look further.
      return {
        status: 'warn',
        summary: `Private link service ${service.serviceName} is in state "${service.state}", which the TiDB Cloud API does not document.`,
        evidence: { ...evidence, unknownState: service.state },
        remediation: undocumentedState(
          `the private link service of node group ${nodeGroupId}`,
          service.state,
        ),
      };
    }
    const state = service
      ? `${service.state}${service.serviceName ? '' : ' with no service name yet'}`
      : 'not created yet';
    return {
      status: 'fail',
      summary: `The private link service of node group ${nodeGroupId} is ${state}.`,
      evidence,
      remediation: serviceNotReady(clusterId, nodeGroupId),
    };
  },
};
