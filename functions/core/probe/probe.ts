import { mapLimited } from '../concurrency.ts';
import { diagnose } from '../diagnose/doctor.ts';
import type { DataPlanePort, DbCredentials } from '../diagnose/ports.ts';
import type { DiagnosticReport } from '../diagnose/report.ts';
import { TidbCloudAuthError, TidbCloudForbiddenError } from '../errors.ts';
import {
  CLUSTER_ID_TAG,
  HEALTH_TAG,
  isManaged,
  NODE_GROUP_ID_TAG,
  type PrivateLinkService,
  type VpcEndpoint,
} from '../model.ts';
import {
  type AppEvent,
  type CallOptions,
  type Clock,
  DETAIL_TYPES,
  type Ec2Port,
  type EventsPort,
  type TidbCloudPort,
} from '../ports.ts';
import { figuresOf, type ProbeFigures } from './figures.ts';
import { type ProbeSite, placementSubnetsOf, siteFor } from './sites.ts';
import { SnapshotEc2 } from './snapshot-ec2.ts';
import { SnapshotTidb } from './snapshot-tidb.ts';
import { TtlCache } from './ttl-cache.ts';

export interface ProbeMetricsPort {
  record(clusterId: string, figures: ProbeFigures): void;
}

export interface ProbeDeps {
  tidb: TidbCloudPort;
  ec2: Ec2Port;
  dataPlane: DataPlanePort;
  events: EventsPort;
  metrics: ProbeMetricsPort;
  clock: Clock;
  /** Facts that rarely change, kept across runs by a warm Lambda; fresh ones per run when absent. */
  caches?: ProbeCaches;
  /** One data plane per VPC (`PRIVATELINK_VPCS`): each endpoint is probed by its own VPC's; absent: `dataPlane`. */
  sites?: ProbeSite[];
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
  /** The probe's own placement: the default traffic source for the security-group and NACL checks. */
  placement?: { securityGroupIds: string[]; subnetIds: string[] };
  /** A custom resolver to test instead of the VPC's. */
  dnsServer?: string;
  /** With a SQL user, the handshake check also logs in over TLS and times SELECT 1. */
  credentials?: DbCredentials;
  /** Per endpoint. */
  timeoutMs: number;
  concurrency: number;
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

function previousHealthOf(endpoint: VpcEndpoint): Health | null {
  const value = endpoint.tags[HEALTH_TAG];
  return value === 'healthy' || value === 'unhealthy' ? value : null;
}

function eventsOf(probe: EndpointProbe, report: DiagnosticReport): AppEvent[] {
  const ids = {
    clusterId: probe.clusterId,
    tidbNodeGroupId: probe.tidbNodeGroupId,
    vpcEndpointId: probe.vpcEndpointId,
  };
  const completed: AppEvent = {
    detailType: DETAIL_TYPES.probeCompleted,
    detail: { ...ids, ...report, tidbNodeGroupId: probe.tidbNodeGroupId },
  };
  if (probe.health === probe.previousHealth) return [completed];
  const changed: AppEvent = {
    detailType: DETAIL_TYPES.healthChanged,
    detail: { ...ids, previous: probe.previousHealth, current: probe.health, failing: probe.failing ?? [] },
  };
  return [completed, changed];
}

async function probeEndpoint(
  deps: ProbeDeps,
  ports: { tidb: TidbCloudPort; ec2: Ec2Port },
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
  const site = siteFor(deps, settings.placement, endpoint.vpcId);
  if (!site) return { ...base, health: 'error', error: `no data plane runs in ${endpoint.vpcId}` };
  let report: DiagnosticReport;
  try {
    report = await diagnose(
      { ...ports, dataPlane: site.dataPlane, clock: deps.clock },
      {
        clusterId,
        tidbNodeGroupId,
        vpcEndpointId: endpoint.vpcEndpointId,
        vpcId: endpoint.vpcId,
        region: settings.region,
        probe: site.placement,
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
  }
  const probe: EndpointProbe = {
    ...base,
    health: report.healthy ? 'healthy' : 'unhealthy',
    figures: figuresOf(report),
    failing: report.checks.filter((check) => check.status === 'fail').map((check) => check.id),
  };
  deps.metrics.record(clusterId, probe.figures ?? { healthy: 0 });
  await deps.events.publish(eventsOf(probe, report), options);
  if (probe.health !== probe.previousHealth && isManaged(endpoint)) {
    // The last health lives with the endpoint itself: no table to deploy, and it goes when the endpoint goes.
    await deps.ec2.tagResource(endpoint.vpcEndpointId, { [HEALTH_TAG]: probe.health }, options);
  }
  return probe;
}

/**
 * The scheduled probe: every managed endpoint, diagnosed from inside the VPC with bounded concurrency;
 * metrics per cluster, `Probe Completed` for each, `Health Changed` only when health differs from the last
 * recorded (the first probe of an endpoint records it and reports the change from `null`).
 */
export async function probeAll(
  deps: ProbeDeps,
  settings: ProbeSettings,
  options: CallOptions = {},
): Promise<EndpointProbe[]> {
  // Only the stack's VPCs: an endpoint in a VPC no data plane of this stack runs in cannot be probed here.
  const endpoints = (await deps.ec2.listManagedEndpoints({}, options)).filter(
    (endpoint) => LIVE(endpoint) && siteFor(deps, settings.placement, endpoint.vpcId) !== undefined,
  );
  if (endpoints.length === 0) return [];
  const caches = deps.caches ?? probeCaches(deps.clock.now);
  const prefetch = endpoints.map((endpoint) => ({
    clusterId: endpoint.tags[CLUSTER_ID_TAG] ?? '',
    tidbNodeGroupId: endpoint.tags[NODE_GROUP_ID_TAG] ?? '',
  }));
  const [tidb, ec2] = await Promise.all([
    SnapshotTidb.take(
      deps.tidb,
      { projectId: settings.projectId, services: caches.services, prefetch },
      options,
    ),
    SnapshotEc2.take(
      deps.ec2,
      endpoints,
      {
        serviceZones: caches.serviceZones,
        placementSubnetIds: placementSubnetsOf(deps.sites, settings.placement),
      },
      options,
    ),
  ]);
  return mapLimited(endpoints, settings.concurrency, (endpoint) =>
    probeEndpoint(deps, { tidb, ec2 }, settings, endpoint, options),
  );
}
