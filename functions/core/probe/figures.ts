import type { DiagnosticReport } from '../diagnose/report.ts';

/** What the probe publishes per cluster: health as 0/1 and the data plane's three latencies. */
export interface ProbeFigures {
  healthy: 0 | 1;
  dnsMs?: number;
  /** The slowest address: what the worst-placed client would wait. */
  tcpMs?: number;
  handshakeMs?: number;
}

function evidenceOf(report: DiagnosticReport, id: string): Record<string, unknown> | undefined {
  const check = report.checks.find((candidate) => candidate.id === id);
  return check?.status === 'pass' ? (check.evidence as Record<string, unknown> | undefined) : undefined;
}

const numberOr = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

/** Reads the figures from the report's evidence: a latency only counts when its check passed. */
export function figuresOf(report: DiagnosticReport): ProbeFigures {
  const tcpResults = evidenceOf(report, 'tcp.connect')?.results;
  const tcpLatencies = Array.isArray(tcpResults)
    ? tcpResults
        .map((result: { latencyMs?: unknown }) => numberOr(result.latencyMs))
        .filter((ms) => ms !== undefined)
    : [];
  return {
    healthy: report.healthy ? 1 : 0,
    dnsMs: numberOr(evidenceOf(report, 'dns.resolution')?.durationMs),
    tcpMs: tcpLatencies.length > 0 ? Math.max(...tcpLatencies) : undefined,
    handshakeMs: numberOr(evidenceOf(report, 'tidb.handshake')?.latencyMs),
  };
}
