import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ProbeFigures } from '../core/probe/figures.ts';
import type { ProbeMetricsPort } from '../core/probe/probe.ts';

/**
 * Probe figures as CloudWatch embedded-metric-format records, one per cluster (dimension ClusterId), via
 * Powertools. Synchronous from the first metric to the flush, so concurrent probes never mix dimensions.
 */
export class PowertoolsProbeMetrics implements ProbeMetricsPort {
  constructor(private readonly metrics: Metrics) {}

  record(clusterId: string, figures: ProbeFigures): void {
    this.metrics.addDimension('ClusterId', clusterId);
    this.metrics.addMetric('Healthy', MetricUnit.Count, figures.healthy);
    const latencies: Array<[string, number | undefined]> = [
      ['DnsMs', figures.dnsMs],
      ['TcpConnectMs', figures.tcpMs],
      ['HandshakeMs', figures.handshakeMs],
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
  metrics.addMetric('ProbeHeartbeat', MetricUnit.Count, 1);
  metrics.addMetric('EndpointsProbed', MetricUnit.Count, summary.probed);
  metrics.addMetric('EndpointsUnhealthy', MetricUnit.Count, summary.unhealthy);
}
