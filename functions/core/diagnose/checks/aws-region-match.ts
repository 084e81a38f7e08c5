import { awsRegionOf } from '../../model.ts';
import { crossRegion, notAwsCluster } from '../../remediation.ts';
import type { DiagnoseContext } from '../context.ts';
import type { Check } from '../runner.ts';

export const awsRegionMatch: Check<DiagnoseContext> = {
  id: 'aws.region-match',
  dependsOn: [],
  run({ observation }) {
    const { cluster, region } = observation;
    // tidb.cluster-state already reports an unreadable cluster; one failure, one fix.
    if (!cluster.ok)
      return { status: 'skip', summary: 'Skipped: the cluster could not be read (see tidb.cluster-state).' };
    const { regionId, cloudProvider } = cluster.value;
    const evidence = { clusterRegionId: regionId, awsRegion: region };
    if (cloudProvider !== 'aws' || awsRegionOf(regionId) === undefined) {
      return {
        status: 'fail',
        summary: `The cluster runs on ${cloudProvider} (${regionId}), not AWS.`,
        evidence,
        remediation: notAwsCluster(cloudProvider),
      };
    }
    if (regionId === `aws-${region}`)
      return { status: 'pass', summary: `The cluster is in ${regionId}, the region in use.`, evidence };
    return {
      status: 'fail',
      summary: `The cluster is in ${regionId} but this runs in ${region}: PrivateLink is same-region only.`,
      evidence,
      remediation: crossRegion(regionId, region),
    };
  },
};
