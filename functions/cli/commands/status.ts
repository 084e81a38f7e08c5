import { reconcileSettingsOf } from '../../app/settings.ts';
import { PRICES } from '../../core/pricing.ts';
import { type Fleet, type OrphanRow, readFleet, type StatusRow } from '../../core/status/fleet.ts';
import type { CliContext, CommandResult } from '../context.ts';
import { type Fit, table } from '../table.ts';

/** What a terminal shows without scrolling sideways; `--wide` may run past it, as kubectl's `-o wide` does. */
export const TERMINAL_WIDTH = 120;

/** `status`: reads the fleet (core/status/fleet.ts) and prints it; `--json` is the fleet itself. */
export async function status(ctx: CliContext): Promise<CommandResult> {
  if (!ctx.config.privateLink.vpcId) {
    ctx.progress('PRIVATELINK_VPC_ID is not set: showing TiDB Cloud state only (no endpoint columns).');
  }
  const fleet = await readFleet(ctx.deps, reconcileSettingsOf(ctx.config), {
    signal: ctx.signal,
    onServiceRead: progressOf(ctx),
  });
  const view = {
    region: ctx.config.aws.region,
    wide: ctx.flags.wide === true,
    deletion: ctx.config.privateLink.deleteOrphansAfterH !== undefined,
  };
  return { exitCode: 0, json: fleet, lines: statusLines(fleet, view) };
}

export interface StatusView {
  region: string;
  /** `--wide`: every column, nothing cut. */
  wide: boolean;
  /** PRIVATELINK_DELETE_ORPHANS_AFTER_H is set: orphans are deleted once due. */
  deletion: boolean;
}

/** The lines `status` prints for people. */
export function statusLines(fleet: Fleet, view: StatusView): string[] {
  const clusters = view.wide ? renderWide : renderClusters;
  return [...clusters(fleet.clusters, view.region), ...renderOrphans(fleet.orphans, view)];
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

const onOff = (value: boolean | null) => (value === null ? null : value ? 'on' : 'off');

/**
 * What an operator scans first, within a terminal's width: which cluster, in what state, through which
 * endpoint, as AWS and TiDB see it, with private DNS and the last probe's health. The name is cut to fit.
 */
function renderClusters(rows: StatusRow[], region: string): string[] {
  if (rows.length === 0) return [`No TiDB Cloud Dedicated clusters in aws-${region}.`];
  const several = rows.some((row) => row.vpcId);
  const vpc = several ? ['VPC'] : [];
  const fit: Fit = { width: TERMINAL_WIDTH, elastic: [vpc.length + 1] };
  return table(
    ['CLUSTER', ...vpc, 'NAME', 'STATE', 'ENDPOINT', 'AWS', 'TIDB', 'DNS', 'HEALTH'],
    rows.map((row) => [
      row.clusterId,
      ...(several ? [row.vpcId] : []),
      row.displayName,
      row.state,
      row.vpcEndpointId,
      row.endpointState,
      row.connectionState,
      onOff(row.privateDnsEnabled),
      row.health,
    ]),
    fit,
  );
}

/** `--wide`: every column, nothing cut: the private link service, its AZs and the selection too. */
function renderWide(rows: StatusRow[], region: string): string[] {
  if (rows.length === 0) return [`No TiDB Cloud Dedicated clusters in aws-${region}.`];
  const several = rows.some((row) => row.vpcId);
  return table(
    [
      'CLUSTER',
      ...(several ? ['VPC'] : []),
      'NAME',
      'STATE',
      'NODE GROUP',
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
      row.tidbNodeGroupId,
      row.privateLinkService?.state,
      row.privateLinkService?.serviceName,
      row.privateLinkService?.availableZones.join(','),
      row.vpcEndpointId,
      row.endpointState,
      row.connectionState,
      onOff(row.privateDnsEnabled),
      row.health,
      row.selected ? 'yes' : 'no',
    ]),
  );
}

/** Orphans with their price; by default the reason is cut to fit, `--wide` adds AZs and since when. */
function renderOrphans(orphans: OrphanRow[], how: StatusView): string[] {
  if (orphans.length === 0) return [];
  const total = orphans.reduce((sum, orphan) => sum + orphan.costPerMonthUsd, 0);
  // Without the setting an orphan is never deleted; with it, one the reconcile has not marked yet has no date.
  const deletesAt = (orphan: OrphanRow) => orphan.deletesAt ?? (how.deletion ? 'not marked yet' : 'never');
  const rows = orphans.map((orphan) => ({
    ENDPOINT: orphan.vpcEndpointId,
    CLUSTER: orphan.clusterId,
    ...(how.wide ? { AZS: String(orphan.availabilityZones) } : {}),
    'USD/MONTH': orphan.costPerMonthUsd.toFixed(2),
    ...(how.wide ? { 'ORPHANED SINCE': orphan.orphanedSince } : {}),
    'DELETES AT': deletesAt(orphan),
    WHY: orphan.reason,
  }));
  const headers = Object.keys(rows[0] ?? {});
  const fit: Fit | undefined = how.wide
    ? undefined
    : { width: TERMINAL_WIDTH, elastic: [headers.length - 1] };
  return [
    '',
    `Orphaned endpoints (their cluster or node group is gone): about $${total.toFixed(2)}/month`,
    ...table(
      headers,
      rows.map((row) => Object.values(row)),
      fit,
    ),
    ...(how.deletion ? [] : ['Orphans are never deleted while PRIVATELINK_DELETE_ORPHANS_AFTER_H is unset.']),
    `Prices: AWS ${PRICES.region}, ${PRICES.asOf}: $${PRICES.endpointPerAzHour} per AZ-hour, plus $${PRICES.dataProcessedPerGb}/GB processed.`,
    `Source: ${PRICES.source}`,
  ];
}
