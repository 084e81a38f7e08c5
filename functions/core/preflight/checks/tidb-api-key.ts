import { TidbCloudAuthError, TidbCloudError } from '../../errors.ts';
import { awsRegionOf } from '../../model.ts';
import { apiKeyRejected, apiKeyUnusable, noClustersInRegion } from '../../remediation.ts';
import type { PreflightCheck } from './types.ts';

/** One TiDB Cloud call with the key: it is accepted, and it sees clusters of this region. */
export const tidbApiKey: PreflightCheck = {
  id: 'tidb.api-key',
  dependsOn: [{ id: 'tidb.api-key-secret', reason: 'Skipped: no usable API key pair.' }],
  async run(context) {
    const { region, projectId } = context.settings;
    const keys = await context.keyPair();
    if (!keys) return { status: 'skip', summary: 'Skipped: no usable API key pair.' };
    try {
      const clusters = await context.ports.tidb(keys).listClusters({ projectId }, { signal: context.signal });
      const here = clusters.filter((c) => awsRegionOf(c.regionId) === region && c.state !== 'DELETED');
      const evidence = { clusters: clusters.length, inRegion: here.map((c) => c.clusterId) };
      const seen = `The key works: it sees ${clusters.length} cluster${clusters.length === 1 ? '' : 's'}`;
      if (here.length === 0) {
        return {
          status: 'warn',
          summary: `${seen}, none on AWS ${region}.`,
          evidence,
          remediation: noClustersInRegion(region, projectId),
        };
      }
      const names = here.map((c) => c.displayName).join(', ');
      return { status: 'pass', summary: `${seen}, ${here.length} on AWS ${region} (${names}).`, evidence };
    } catch (error) {
      if (error instanceof TidbCloudAuthError) {
        return { status: 'fail', summary: 'TiDB Cloud rejected the API key.', remediation: apiKeyRejected() };
      }
      if (!(error instanceof TidbCloudError)) throw error;
      return {
        status: 'fail',
        summary: `TiDB Cloud answered the key with an error: ${error.message}`,
        remediation: apiKeyUnusable(error.message),
      };
    }
  },
};
