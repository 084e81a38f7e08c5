import { CLUSTER_STATES, type ClusterState, isDocumented } from '../../model.ts';
import { clusterNotActive, undocumentedState } from '../../remediation.ts';
import { type DiagnoseContext, need } from '../context.ts';
import type { Check } from '../runner.ts';

/** States in which the cluster keeps serving SQL: worth a warning, not a failure. */
const STILL_SERVING: readonly ClusterState[] = ['MODIFYING', 'UPGRADING', 'IMPORTING', 'MAINTENANCE'];

export const tidbClusterState: Check<DiagnoseContext> = {
  id: 'tidb.cluster-state',
  dependsOn: [],
  run({ observation }) {
    const cluster = need(observation.cluster, `cluster ${observation.clusterId}`);
    const evidence = { state: cluster.state, displayName: cluster.displayName, regionId: cluster.regionId };
    const name = `Cluster ${cluster.clusterId} (${cluster.displayName})`;
    if (cluster.state === 'ACTIVE') return { status: 'pass', summary: `${name} is ACTIVE.`, evidence };
    if (!isDocumented(CLUSTER_STATES, cluster.state)) {
      return {
        status: 'warn',
        summary: `${name} is in state "${cluster.state}", which the TiDB Cloud API does not document.`,
        evidence: { ...evidence, unknownState: cluster.state },
        remediation: undocumentedState(`cluster ${cluster.clusterId}`, cluster.state),
      };
    }
    if (STILL_SERVING.includes(cluster.state)) {
      return {
        status: 'warn',
        summary: `${name} is ${cluster.state}: it serves, but may drop connections.`,
        evidence,
      };
    }
    return {
      status: 'fail',
      summary: `${name} is ${cluster.state}, not ACTIVE.`,
      evidence,
      remediation: clusterNotActive(cluster.clusterId, cluster.state),
    };
  },
};
