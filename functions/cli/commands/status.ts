import { reconcileSettingsOf } from '../../app/settings.ts';
import { PRICES } from '../../core/pricing.ts';
import { type Fleet, type OrphanRow, readFleet, type StatusRow } from '../../core/status/fleet.ts';
import type { CliContext, CommandResult } from '../context.ts';
import { table } from '../table.ts';

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
  return [...renderClusters(fleet.clusters, view), ...renderOrphans(fleet.orphans, view)];
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

/** A column of a status table, and when it shows: always, only with `--wide`, or only with several VPCs. */
interface Column<Row> {
  header: string;
  cell: (row: Row) => string | null | undefined;
  show?: 'wide' | 'several VPCs';
  /** Free text that may be cut to fit the terminal; ids and states never are (people copy them). */
  elastic?: true;
}

/**
 * Without `--wide`, what an operator scans first: which cluster, in what state, through which endpoint, as AWS
 * and TiDB see it, with private DNS and the last probe's health. `--wide` adds the rest, in place.
 */
const CLUSTER_COLUMNS: Column<StatusRow>[] = [
  { header: 'CLUSTER', cell: (row) => row.clusterId },
  { header: 'VPC', cell: (row) => row.vpcId, show: 'several VPCs' },
  { header: 'NAME', cell: (row) => row.displayName, elastic: true },
  { header: 'STATE', cell: (row) => row.state },
  { header: 'NODE GROUP', cell: (row) => row.tidbNodeGroupId, show: 'wide' },
  { header: 'SERVICE', cell: (row) => row.privateLinkService?.state, show: 'wide' },
  { header: 'SERVICE NAME', cell: (row) => row.privateLinkService?.serviceName, show: 'wide' },
  { header: 'AZS', cell: (row) => row.privateLinkService?.availableZones.join(','), show: 'wide' },
  { header: 'ENDPOINT', cell: (row) => row.vpcEndpointId },
  { header: 'AWS', cell: (row) => row.endpointState },
  { header: 'TIDB', cell: (row) => row.connectionState },
  { header: 'DNS', cell: (row) => onOff(row.privateDnsEnabled) },
  { header: 'HEALTH', cell: (row) => row.health },
  { header: 'SELECTED', cell: (row) => (row.selected ? 'yes' : 'no'), show: 'wide' },
];

/** The table of the columns that show; without `--wide`, cut to the terminal's width. */
function render<Row>(columns: Column<Row>[], rows: Row[], shown: { wide: boolean; severalVpcs?: boolean }) {
  const visible = columns.filter(
    (column) =>
      column.show === undefined ||
      (column.show === 'wide' && shown.wide) ||
      (column.show === 'several VPCs' && shown.severalVpcs === true),
  );
  const elastic = visible.flatMap((column, index) => (column.elastic ? [index] : []));
  return table(
    visible.map((column) => column.header),
    rows.map((row) => visible.map((column) => column.cell(row))),
    shown.wide ? undefined : { width: TERMINAL_WIDTH, elastic },
  );
}

function renderClusters(rows: StatusRow[], view: StatusView): string[] {
  if (rows.length === 0) return [`No TiDB Cloud Dedicated clusters in aws-${view.region}.`];
  return render(CLUSTER_COLUMNS, rows, { wide: view.wide, severalVpcs: rows.some((row) => row.vpcId) });
}

/** Orphans with their price; by default the reason is cut to fit, `--wide` adds AZs and since when. */
function renderOrphans(orphans: OrphanRow[], view: StatusView): string[] {
  if (orphans.length === 0) return [];
  const total = orphans.reduce((sum, orphan) => sum + orphan.costPerMonthUsd, 0);
  // Without the setting an orphan is never deleted; with it, one the reconcile has not marked yet has no date.
  const unmarked = view.deletion ? 'not marked yet' : 'never';
  const columns: Column<OrphanRow>[] = [
    { header: 'ENDPOINT', cell: (orphan) => orphan.vpcEndpointId },
    { header: 'CLUSTER', cell: (orphan) => orphan.clusterId },
    { header: 'AZS', cell: (orphan) => String(orphan.availabilityZones), show: 'wide' },
    { header: 'USD/MONTH', cell: (orphan) => orphan.costPerMonthUsd.toFixed(2) },
    { header: 'ORPHANED SINCE', cell: (orphan) => orphan.orphanedSince, show: 'wide' },
    { header: 'DELETES AT', cell: (orphan) => orphan.deletesAt ?? unmarked },
    { header: 'WHY', cell: (orphan) => orphan.reason, elastic: true },
  ];
  return [
    '',
    `Orphaned endpoints (their cluster or node group is gone): about $${total.toFixed(2)}/month`,
    ...render(columns, orphans, view),
    ...(view.deletion
      ? []
      : ['Orphans are never deleted while PRIVATELINK_DELETE_ORPHANS_AFTER_H is unset.']),
    `Prices: AWS ${PRICES.region}, ${PRICES.asOf}: $${PRICES.endpointPerAzHour} per AZ-hour, plus $${PRICES.dataProcessedPerGb}/GB processed.`,
    `Source: ${PRICES.source}`,
  ];
}
