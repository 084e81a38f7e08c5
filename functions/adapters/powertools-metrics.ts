import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ProbeFigures } from '../core/probe/figures.ts';
import type { ProbeMetricsPort } from '../core/probe/probe.ts';
import { PHASES, type Phase } from '../core/reconcile/types.ts';

/**
 * The metric contract the alarms (resources/alarms.yml) and the dashboard (resources/dashboard.yml) read;
 * test/integration/serverless/operations.test.ts holds them to it. Powertools adds the dimension
 * `service` (POWERTOOLS_SERVICE_NAME: the stack's name, e.g. `tidb-privatelink-dev`) to every record.
 */
export const METRIC_NAMESPACE = 'TidbPrivateLink';
export const METRIC_NAMES = {
  /** Per cluster (dimension ClusterId), each probe: 1 healthy, 0 not; and the data plane's latencies. */
  healthy: 'Healthy',
  dnsMs: 'DnsMs',
  tcpConnectMs: 'TcpConnectMs',
  handshakeMs: 'HandshakeMs',
  /** Fleet-wide, once per completed probe run. */
  probeHeartbeat: 'ProbeHeartbeat',
  endpointsProbed: 'EndpointsProbed',
  endpointsUnhealthy: 'EndpointsUnhealthy',
  /** Reconcile, per pass and phase (dimension Phase, one of PHASES), the number of clusters in it. */
  clustersByPhase: 'Clusters',
  /** Every function calling TiDB Cloud, per invocation: HTTP requests sent, and 429 answers received. */
  tidbApiRequests: 'TidbApiRequests',
  tidbApiRateLimited: 'TidbApiRateLimited',
} as const;

/**
 * Probe figures as CloudWatch embedded-metric-format records, one per cluster (dimension ClusterId), via
 * Powertools. Synchronous from the first metric to the flush, so concurrent probes never mix dimensions.
 */
export class PowertoolsProbeMetrics implements ProbeMetricsPort {
  constructor(private readonly metrics: Metrics) {}

  record(clusterId: string, figures: ProbeFigures): void {
    this.metrics.addDimension('ClusterId', clusterId);
    this.metrics.addMetric(METRIC_NAMES.healthy, MetricUnit.Count, figures.healthy);
    const latencies: Array<[string, number | undefined]> = [
      [METRIC_NAMES.dnsMs, figures.dnsMs],
      [METRIC_NAMES.tcpConnectMs, figures.tcpMs],
      [METRIC_NAMES.handshakeMs, figures.handshakeMs],
    ];
    for (const [name, value] of latencies) {
      if (value !== undefined) this.metrics.addMetric(name, MetricUnit.Milliseconds, value);
    }
    this.metrics.publishStoredMetrics();
  }
}

/** One probe run, fleet-wide: what the endpoints-unhealthy and heartbeat alarms watch (README "Operations"). */
export interface ProbeRunSummary {
  probed: number;
  /** Unhealthy or failed to probe. */
  unhealthy: number;
}

/**
 * Stores the run's fleet metrics (service dimension only) for the middleware's final flush: `ProbeHeartbeat`
 * (1 per completed run; its absence raises the heartbeat alarm), `EndpointsProbed`, `EndpointsUnhealthy`.
 */
export function recordProbeRun(metrics: Metrics, summary: ProbeRunSummary): void {
  metrics.addMetric(METRIC_NAMES.probeHeartbeat, MetricUnit.Count, 1);
  metrics.addMetric(METRIC_NAMES.endpointsProbed, MetricUnit.Count, summary.probed);
  metrics.addMetric(METRIC_NAMES.endpointsUnhealthy, MetricUnit.Count, summary.unhealthy);
}

/**
 * One `Clusters` record per phase (dimension `Phase`), zeros included: the Blocked/Error alarm reads the
 * Blocked and Error series, and a zero is what turns it back to OK. Each record is published at once, so
 * the Phase dimension never leaks into the invocation's other metrics.
 */
export function recordClustersByPhase(metrics: Metrics, counts: Readonly<Record<Phase, number>>): void {
  for (const phase of PHASES) {
    const record = metrics.singleMetric();
    record.addDimension('Phase', phase);
    record.addMetric(METRIC_NAMES.clustersByPhase, MetricUnit.Count, counts[phase]);
  }
}

/** TiDB Cloud API usage of one invocation (the client's counters). */
export interface TidbApiUsage {
  requests: number;
  rateLimited: number;
}

/** Stored for the middleware's final flush (service dimension only): `TidbApiRequests`, `TidbApiRateLimited`. */
export function recordTidbApiUsage(metrics: Metrics, usage: TidbApiUsage): void {
  metrics.addMetric(METRIC_NAMES.tidbApiRequests, MetricUnit.Count, usage.requests);
  metrics.addMetric(METRIC_NAMES.tidbApiRateLimited, MetricUnit.Count, usage.rateLimited);
}
