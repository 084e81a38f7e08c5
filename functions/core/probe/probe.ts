import { mapLimited } from '../concurrency.ts';
import { diagnose } from '../diagnose/doctor.ts';
import { type DataPlaneBatchPort, type DbCredentials, MAX_BATCH_TARGETS } from '../diagnose/ports.ts';
import type { DiagnosticReport } from '../diagnose/report.ts';
import { TidbCloudAuthError, TidbCloudForbiddenError } from '../errors.ts';
import {
  CLUSTER_ID_TAG,
  type Cluster,
  HEALTH_TAG,
  isManaged,
  isOurs,
  NODE_GROUP_ID_TAG,
  type PrivateEndpointConnection,
  type PrivateLinkService,
  type ReadyFacts,
  type VpcEndpoint,
} from '../model.ts';
import {
  type AppEvent,
  type CallOptions,
  type Clock,
  DETAIL_TYPES,
  type Ec2Port,
  type EventsPort,
  type HealthRecordPort,
  type TidbCloudPort,
} from '../ports.ts';
import { figuresOf, type ProbeFigures } from './figures.ts';
import { OneTrip, type Seat } from './one-trip.ts';
import { type Placement, type ProbeSite, placementSubnetsOf, type SiteChoice, siteFor } from './sites.ts';
import { SnapshotEc2 } from './snapshot-ec2.ts';
import { SnapshotTidb } from './snapshot-tidb.ts';
import { TtlCache } from './ttl-cache.ts';

export interface ProbeMetricsPort {
  record(clusterId: string, figures: ProbeFigures): void;
}

export interface ProbeDeps {
  tidb: TidbCloudPort;
  ec2: Ec2Port;
  /** One batch call per chunk of endpoints (one data-plane invocation). */
  dataPlane: DataPlaneBatchPort;
  events: EventsPort;
  metrics: ProbeMetricsPort;
  clock: Clock;
  /** Facts that rarely change, kept across runs by a warm Lambda; fresh ones per run when absent. */
  caches?: ProbeCaches;
  /** One data plane per VPC (`PRIVATELINK_VPCS`): each endpoint is probed by its own VPC's; absent: `dataPlane`. */
  sites?: ProbeSite[];
  /**
   * Where a flip is recorded so that overlapping runs report it once (the state table). Absent (no table): the
   * endpoint's health tag is the only record, and runs that overlap may each report the same flip.
   */
  healthRecord?: HealthRecordPort;
}

export interface ProbeCaches {
  services: TtlCache<PrivateLinkService>;
  serviceZones: TtlCache<string[]>;
}

/** Private link services and the AZs EC2 offers them in change about never: an hour is plenty. */
export const PROBE_CACHE_TTL_MS = 3_600_000;

export function probeCaches(now: () => number): ProbeCaches {
  return {
    services: new TtlCache(PROBE_CACHE_TTL_MS, now),
    serviceZones: new TtlCache(PROBE_CACHE_TTL_MS, now),
  };
}

export interface ProbeSettings {
  region: string;
  projectId?: string;
  /** Only endpoints in this VPC (the stack's); every VPC when absent. With `sites`: the sites' VPCs instead. */
  vpcId?: string;
  /** Only endpoints of this stack (`tidb-privatelink:stack`; a missing tag counts as ours). */
  stackName?: string;
  /** The probe's own placement: the default traffic source for the security-group and NACL checks. */
  placement?: { securityGroupIds: string[]; subnetIds: string[] };
  /** A custom resolver to test instead of the VPC's. */
  dnsServer?: string;
  /** With a SQL user, the handshake check also logs in over TLS and times SELECT 1. */
  credentials?: DbCredentials;
  /** Per endpoint. */
  timeoutMs: number;
  /** Chunks (data-plane invocations) in flight at once. */
  concurrency: number;
}

/** What one run probes: every endpoint in scope, or (on `Endpoint Ready`) one cluster's. */
export interface ProbeScope {
  clusterId?: string;
  /** That cluster as the reconcile saw it at Ready: judged from, not read again. */
  known?: ReadyFacts;
}

export type Health = 'healthy' | 'unhealthy';

export interface EndpointProbe {
  clusterId: string;
  tidbNodeGroupId: string;
  vpcEndpointId: string;
  health: Health | 'error';
  previousHealth: Health | null;
  figures?: ProbeFigures;
  failing?: string[];
  error?: string;
}

const LIVE = (endpoint: VpcEndpoint) => !['deleting', 'deleted'].includes(endpoint.state);

const asHealth = (value: string | null | undefined): Health | null =>
  value === 'healthy' || value === 'unhealthy' ? value : null;

const previousHealthOf = (endpoint: VpcEndpoint): Health | null => asHealth(endpoint.tags[HEALTH_TAG]);

/** A flip this run reports, from the health it replaced. */
interface Flip {
  previous: Health | null;
}

/**
 * Whether this run reports a flip. The tag read with the endpoint is the cheap first test: the same health
 * costs no write. A different one goes through the health record when the stack has one (one conditional
 * write), so of overlapping runs that saw the same flip exactly one reports it; the record also names what
 * the health was, should the tag lag behind it. A record that cannot be written leaves the flip (and the tag)
 * to the next run rather than risk a second report.
 */
async function flipOf(
  deps: ProbeDeps,
  probe: EndpointProbe & { health: Health },
  tagged: Health | null,
  options: CallOptions,
): Promise<Flip | { error: string } | undefined> {
  if (probe.health === tagged) return undefined;
  if (!deps.healthRecord) return { previous: tagged };
  const key = {
    vpcEndpointId: probe.vpcEndpointId,
    clusterId: probe.clusterId,
    tidbNodeGroupId: probe.tidbNodeGroupId,
  };
  try {
    const recorded = await deps.healthRecord.recordHealth(key, probe.health, deps.clock.now(), options);
    return recorded.changed ? { previous: asHealth(recorded.previous) ?? tagged } : undefined;
  } catch (error) {
    return { error: `health not recorded: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function eventsOf(probe: EndpointProbe, report: DiagnosticReport, flip: Flip | undefined): AppEvent[] {
  const ids = {
    clusterId: probe.clusterId,
    tidbNodeGroupId: probe.tidbNodeGroupId,
    vpcEndpointId: probe.vpcEndpointId,
  };
  const completed: AppEvent = {
    detailType: DETAIL_TYPES.probeCompleted,
    detail: { ...ids, ...report, tidbNodeGroupId: probe.tidbNodeGroupId },
  };
  if (!flip) return [completed];
  const changed: AppEvent = {
    detailType: DETAIL_TYPES.healthChanged,
    detail: { ...ids, previous: flip.previous, current: probe.health, failing: probe.failing ?? [] },
  };
  return [completed, changed];
}

async function probeEndpoint(
  deps: ProbeDeps,
  ports: { tidb: TidbCloudPort; ec2: Ec2Port },
  seat: Seat,
  placement: Placement | undefined,
  settings: ProbeSettings,
  endpoint: VpcEndpoint,
  options: CallOptions,
): Promise<EndpointProbe> {
  const clusterId = endpoint.tags[CLUSTER_ID_TAG] ?? '';
  const tidbNodeGroupId = endpoint.tags[NODE_GROUP_ID_TAG] ?? '';
  const base = {
    clusterId,
    tidbNodeGroupId,
    vpcEndpointId: endpoint.vpcEndpointId,
    previousHealth: previousHealthOf(endpoint),
  };
  let report: DiagnosticReport;
  try {
    report = await diagnose(
      { ...ports, dataPlane: seat.dataPlane, clock: deps.clock },
      {
        clusterId,
        tidbNodeGroupId,
        vpcEndpointId: endpoint.vpcEndpointId,
        vpcId: endpoint.vpcId,
        region: settings.region,
        probe: placement,
        dnsServer: settings.dnsServer,
        credentials: settings.credentials,
        timeoutMs: settings.timeoutMs,
        signal: options.signal,
      },
    );
  } catch (error) {
    // A wrong key fails every endpoint alike: let the invocation fail. Anything else is this endpoint's.
    if (error instanceof TidbCloudAuthError || error instanceof TidbCloudForbiddenError) throw error;
    return { ...base, health: 'error', error: error instanceof Error ? error.message : String(error) };
  } finally {
    // The others of this chunk wait for this run to ask for its data-plane probe or to be done.
    seat.leave();
  }
  const probe: EndpointProbe & { health: Health } = {
    ...base,
    health: report.healthy ? 'healthy' : 'unhealthy',
    figures: figuresOf(report),
    failing: report.checks.filter((check) => check.status === 'fail').map((check) => check.id),
  };
  deps.metrics.record(clusterId, probe.figures ?? { healthy: 0 });
  const flip = await flipOf(deps, probe, base.previousHealth, options);
  if (flip && 'error' in flip) {
    await deps.events.publish(eventsOf(probe, report, undefined), options);
    return { ...probe, error: flip.error };
  }
  await deps.events.publish(eventsOf(probe, report, flip), options);
  if (probe.health !== base.previousHealth && isManaged(endpoint)) {
    // The tag shows the health on the endpoint (`status`, the console) and is the next run's cheap test. It
    // is written also when another run reported the flip: the same value twice is harmless, a lagging tag
    // would cost a conditional write on every run.
    await deps.ec2.tagResource(endpoint.vpcEndpointId, { [HEALTH_TAG]: probe.health }, options);
  }
  // What the record held before this run: the flip's origin, or (no flip to report) this same health.
  return { ...probe, previousHealth: flip ? flip.previous : probe.health };
}

/** Paused on purpose (Idle): nothing to prove, nothing to alarm on. */
const IDLE_STATES: ReadonlySet<string> = new Set(['PAUSED', 'PAUSING']);

/**
 * Ready as the reconcile means it: the endpoint available with private DNS on, and TiDB's connection ACTIVE.
 * An endpoint still being provisioned is not judged until then, so a new cluster raises no false
 * unhealthy → healthy flip; once its health is recorded it is always judged, so a later break is seen.
 */
function judgeable(endpoint: VpcEndpoint, connections: PrivateEndpointConnection[]): boolean {
  if (previousHealthOf(endpoint) !== null) return true;
  const active = connections.some(
    (c) => c.endpointId === endpoint.vpcEndpointId && c.endpointState === 'ACTIVE',
  );
  return active && mayBeJudgeable(endpoint);
}

/**
 * What EC2 alone says of `judgeable`: a judged endpoint, or one available with private DNS on (the reconcile
 * turns DNS on only once TiDB's connection is ACTIVE). Checked before TiDB Cloud is read, so a run while
 * endpoints are still being provisioned spends none of the quota the registrations need: at 1,000 new
 * clusters the scheduled probe read a service for each (ten minutes of the quota) and then judged none.
 */
function mayBeJudgeable(endpoint: VpcEndpoint): boolean {
  return (
    previousHealthOf(endpoint) !== null || (endpoint.state === 'available' && endpoint.privateDnsEnabled)
  );
}

function inScope(
  deps: ProbeDeps,
  endpoint: VpcEndpoint,
  settings: ProbeSettings,
  scope: ProbeScope,
): boolean {
  return (
    LIVE(endpoint) &&
    // The stack's VPC(s): an endpoint in a VPC no data plane of this stack runs in cannot be probed here.
    siteFor(deps, settings, endpoint.vpcId) !== undefined &&
    (settings.stackName === undefined || isOurs(endpoint, settings.stackName)) &&
    (scope.clusterId === undefined || endpoint.tags[CLUSTER_ID_TAG] === scope.clusterId)
  );
}

function chunksOf<T>(items: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) =>
    items.slice(i * size, (i + 1) * size),
  );
}

/**
 * The scheduled probe: every managed endpoint of this stack in its VPC that is Ready (or already judged),
 * diagnosed with one data-plane invocation per chunk of at most 50 endpoints; metrics per cluster,
 * `Probe Completed` for each, `Health Changed` only when health differs from the last recorded (the first
 * probe of an endpoint records it and reports the change from `null`). Idle (paused) clusters are skipped.
 */
export async function probeAll(
  deps: ProbeDeps,
  settings: ProbeSettings,
  options: CallOptions = {},
  scope: ProbeScope = {},
): Promise<EndpointProbe[]> {
  // One cluster's run (on Ready) asks EC2 for that cluster's endpoints only: listing all 1,000 for each of
  // 1,000 Ready events is a million endpoints read, parsed and thrown away.
  const tags: Record<string, string> =
    scope.clusterId === undefined ? {} : { [CLUSTER_ID_TAG]: scope.clusterId };
  const candidates = (await deps.ec2.listManagedEndpoints(tags, options)).filter(
    (endpoint) => inScope(deps, endpoint, settings, scope) && mayBeJudgeable(endpoint),
  );
  if (candidates.length === 0) return [];
  const caches = deps.caches ?? probeCaches(deps.clock.now);
  const known = scope.known?.cluster.clusterId === scope.clusterId ? scope.known : undefined;
  const [tidb, ec2] = await Promise.all([
    known
      ? SnapshotTidb.known(deps.tidb, known, caches.services)
      : SnapshotTidb.take(
          deps.tidb,
          {
            projectId: settings.projectId,
            services: caches.services,
            prefetch: candidates.map((endpoint) => ({
              clusterId: endpoint.tags[CLUSTER_ID_TAG] ?? '',
              tidbNodeGroupId: endpoint.tags[NODE_GROUP_ID_TAG] ?? '',
            })),
          },
          options,
        ),
    SnapshotEc2.take(
      deps.ec2,
      candidates,
      {
        serviceZones: caches.serviceZones,
        placementSubnetIds: placementSubnetsOf(deps.sites, settings.placement),
      },
      options,
    ),
  ]);
  const endpoints = candidates.filter((endpoint) => probeable(endpoint, tidb));
  // One data-plane invocation per chunk of one VPC's endpoints: each VPC has its own data plane.
  const trips = bySite(deps, settings, endpoints).flatMap(({ site, members }) =>
    chunksOf(members, MAX_BATCH_TARGETS).map((chunk) => ({ site, chunk })),
  );
  const chunks = await mapLimited(trips, settings.concurrency, ({ site, chunk }) => {
    const trip = new OneTrip(site.dataPlane, chunk.length, options);
    const seats = chunk.map(() => trip.seat());
    return Promise.all(
      chunk.map((endpoint, i) =>
        probeEndpoint(deps, { tidb, ec2 }, seats[i] as Seat, site.placement, settings, endpoint, options),
      ),
    );
  });
  return chunks.flat();
}

/** Endpoints grouped by the site (VPC) that probes them; in-scope endpoints always have one. */
function bySite(
  deps: ProbeDeps,
  settings: ProbeSettings,
  endpoints: VpcEndpoint[],
): Array<{ site: SiteChoice; members: VpcEndpoint[] }> {
  const groups = new Map<string, { site: SiteChoice; members: VpcEndpoint[] }>();
  for (const endpoint of endpoints) {
    const site = siteFor(deps, settings, endpoint.vpcId);
    if (!site) continue;
    const group = groups.get(endpoint.vpcId) ?? { site, members: [] };
    group.members.push(endpoint);
    groups.set(endpoint.vpcId, group);
  }
  return [...groups.values()];
}

function probeable(endpoint: VpcEndpoint, tidb: SnapshotTidb): boolean {
  const cluster: Cluster | undefined = tidb.peekCluster(endpoint.tags[CLUSTER_ID_TAG] ?? '');
  if (cluster && IDLE_STATES.has(cluster.state)) return false;
  return judgeable(endpoint, tidb.peekConnections());
}
