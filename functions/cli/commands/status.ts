import { reconcileSettingsOf } from '../../app/settings.ts';
import { PRICES } from '../../core/pricing.ts';
import { type OrphanRow, readFleet, type StatusRow } from '../../core/status/fleet.ts';
import type { CliContext, CommandResult } from '../context.ts';
import { table } from '../table.ts';

/** `status`: reads the fleet (core/status/fleet.ts) and prints it; `--json` is the fleet itself. */
export async function status(ctx: CliContext): Promise<CommandResult> {
  if (!ctx.config.privateLink.vpcId) {
    ctx.progress('PRIVATELINK_VPC_ID is not set: showing TiDB Cloud state only (no endpoint columns).');
  }
  const fleet = await readFleet(ctx.deps, reconcileSettingsOf(ctx.config), {
    signal: ctx.signal,
    onServiceRead: progressOf(ctx),
  });
  const lines = [...render(fleet.clusters, ctx.config.aws.region), ...renderOrphans(fleet.orphans)];
  return { exitCode: 0, json: fleet, lines };
}

/** Without recorded services, each cluster costs a paced API call: say how far along it is (terminals only). */
function progressOf(ctx: CliContext): (done: number, total: number) => void {
  if (!ctx.interactive) return () => undefined;
  return (done, total) => {
    if (total < PROGRESS_FROM) return;
    const step = Math.max(1, Math.floor(total / 20));
    if (done % step === 0 || done === total) {
      ctx.progress(
        `status: read ${done}/${total} private link services (set PRIVATELINK_STATE_TABLE to skip this)`,
      );
    }
  };
}

/** Fewer than this many API calls take seconds, not minutes: no progress needed. */
const PROGRESS_FROM = 20;

function renderOrphans(orphans: OrphanRow[]): string[] {
  if (orphans.length === 0) return [];
  const total = orphans.reduce((sum, orphan) => sum + orphan.costPerMonthUsd, 0);
  return [
    '',
    `Orphaned endpoints (their cluster or node group is gone): about $${total.toFixed(2)}/month`,
    ...table(
      ['ENDPOINT', 'CLUSTER', 'AZS', 'USD/MONTH', 'ORPHANED SINCE', 'DELETES AT', 'WHY'],
      orphans.map((orphan) => [
        orphan.vpcEndpointId,
        orphan.clusterId,
        String(orphan.availabilityZones),
        orphan.costPerMonthUsd.toFixed(2),
        orphan.orphanedSince,
        orphan.deletesAt ?? 'never (PRIVATELINK_DELETE_ORPHANS_AFTER_H unset)',
        orphan.reason,
      ]),
    ),
    `Prices: AWS ${PRICES.region}, ${PRICES.asOf}: $${PRICES.endpointPerAzHour} per AZ-hour, plus $${PRICES.dataProcessedPerGb}/GB processed (${PRICES.source}).`,
  ];
}

function render(rows: StatusRow[], region: string): string[] {
  if (rows.length === 0) return [`No TiDB Cloud Dedicated clusters in aws-${region}.`];
  const several = rows.some((row) => row.vpcId);
  return table(
    [
      'CLUSTER',
      ...(several ? ['VPC'] : []),
      'NAME',
      'STATE',
      'SERVICE',
      'SERVICE NAME',
      'AZS',
      'ENDPOINT',
      'AWS',
      'TIDB',
      'PRIVATE DNS',
      'HEALTH',
      'SELECTED',
    ],
    rows.map((row) => [
      row.clusterId,
      ...(several ? [row.vpcId] : []),
      row.displayName,
      row.state,
      row.privateLinkService?.state,
      row.privateLinkService?.serviceName,
      row.privateLinkService?.availableZones.join(','),
      row.vpcEndpointId,
      row.endpointState,
      row.connectionState,
      row.privateDnsEnabled === null ? null : row.privateDnsEnabled ? 'on' : 'off',
      row.health,
      row.selected ? 'yes' : 'no',
    ]),
  );
}
