import type { Config } from '../config.ts';
import type { ReconcileSettings } from '../core/reconcile/types.ts';

/** Within one invocation, re-observe a Progressing cluster at TiDB's own polling pace (Terraform polls at 5 s). */
export const POLL_INTERVAL_MS = 5000;

/** What the reconcile core needs from the configuration; the same for the CLI and the Lambdas. */
export function reconcileSettingsOf(config: Config, pollIntervalMs = POLL_INTERVAL_MS): ReconcileSettings {
  const { privateLink, aws, tidbCloud } = config;
  return {
    region: aws.region,
    vpcId: privateLink.vpcId ?? '',
    subnetIds: privateLink.subnetIds,
    securityGroupIds: privateLink.securityGroupIds,
    // Only where each VPC is and whose it is: a spoke's role and external id stay with the app's clients.
    vpcs: privateLink.vpcs.map(({ vpcId, subnetIds, securityGroupIds, accountId }) => ({
      vpcId,
      subnetIds,
      securityGroupIds,
      ...(accountId === undefined ? {} : { accountId }),
    })),
    projectId: tidbCloud.projectId,
    selection: privateLink.clusters,
    pollIntervalMs,
    requestsPerMinute: tidbCloud.requestsPerMinute,
    stackName: privateLink.stackName,
    pendingTimeoutMs: privateLink.pendingTimeoutMin * 60_000,
    ...(privateLink.deleteOrphansAfterH === undefined
      ? {}
      : { deleteOrphansAfterMs: privateLink.deleteOrphansAfterH * 3_600_000 }),
  };
}
