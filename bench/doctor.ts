/**
 * Section 3: where a healthy doctor run spends its time. The ports are wrapped in timing proxies, so the
 * control-plane part shows both its wall time and the sum of its calls (how much runs in parallel), and the
 * data-plane latencies come from the report's own evidence, as the probe's metrics do.
 */
import { diagnose } from '../functions/core/diagnose/doctor.ts';
import type { DiagnosticReport } from '../functions/core/diagnose/report.ts';
import { startStandInWorld } from './stand-in.ts';
import { type Cell, ms, note, percentile, printTable, section, wall } from './table.ts';
import { type CallSpan, delayed, summarize, timed } from './timed.ts';

const RUNS = 50;
/** The first runs pay the digest challenge, connection setup and JIT: not what a warm probe pays. */
const WARM_UP = 3;
/** A typical in-region EC2 Describe* round trip, added to the fake's calls in the second column group. */
const EC2_LATENCY_MS = 20;

interface Sample {
  totalMs: number;
  reportMs: number;
  gatherWallMs: number;
  apiSumMs: number;
  tidbCalls: number;
  ec2Calls: number;
  dataPlaneMs: number;
  dnsMs: number;
  tcpMs: number;
  handshakeMs: number;
}

function evidence(report: DiagnosticReport, id: string): Record<string, unknown> {
  return report.checks.find((check) => check.id === id)?.evidence ?? {};
}

const num = (value: unknown): number => (typeof value === 'number' ? value : Number.NaN);

/** The slowest address: what a client that picks the worst ENI would wait. */
function tcpLatency(report: DiagnosticReport): number {
  const results = evidence(report, 'tcp.connect').results;
  if (!Array.isArray(results)) return Number.NaN;
  return Math.max(...results.map((result: { latencyMs?: unknown }) => num(result.latencyMs)));
}

function sampleOf(report: DiagnosticReport, totalMs: number, started: number, spans: CallSpan[]): Sample {
  const api = spans.filter((span) => span.port !== 'dataplane');
  const dataPlane = summarize(spans.filter((span) => span.port === 'dataplane'));
  const apiSummary = summarize(api);
  return {
    totalMs,
    reportMs: report.durationMs,
    // Every API call happens while gathering, before the data plane starts: its last end closes the phase.
    gatherWallMs: apiSummary.calls > 0 ? Math.max(...api.map((span) => span.end)) - started : 0,
    apiSumMs: apiSummary.sumMs,
    tidbCalls: api.filter((span) => span.port === 'tidb').length,
    ec2Calls: api.filter((span) => span.port === 'ec2').length,
    dataPlaneMs: dataPlane.wallMs,
    dnsMs: num(evidence(report, 'dns.resolution').durationMs),
    tcpMs: tcpLatency(report),
    handshakeMs: num(evidence(report, 'tidb.handshake').latencyMs),
  };
}

async function collect(ec2LatencyMs: number): Promise<Sample[]> {
  const stand = await startStandInWorld(1);
  try {
    const [cluster] = await stand.addReady(1);
    if (!cluster) throw new Error('no cluster');
    const { world, vpc } = stand;
    const spans: CallSpan[] = [];
    // No clock: the report's durationMs then follows real time (the world's clock is virtual).
    const deps = {
      tidb: timed(world.tidb, 'tidb', spans),
      ec2: timed(delayed(world.ec2, ec2LatencyMs), 'ec2', spans),
      dataPlane: timed(vpc.dataPlane, 'dataplane', spans),
    };
    const request = {
      clusterId: cluster.clusterId,
      region: world.settings.region,
      vpcId: world.settings.vpcId,
      dnsServer: vpc.dnsServer,
      timeoutMs: 5000,
    };
    const samples: Sample[] = [];
    for (let run = 0; run < WARM_UP + RUNS; run++) {
      spans.length = 0;
      const started = performance.now();
      const { result, ms: totalMs } = await wall(() => diagnose(deps, request));
      if (!result.healthy) throw new Error(`doctor run ${run} was not healthy`);
      if (run >= WARM_UP) samples.push(sampleOf(result, totalMs, started, [...spans]));
    }
    return samples;
  } finally {
    await stand.close();
  }
}

type Format = (value: number) => string;

/** p50 and p95 of one figure, for each column group. */
function statRow(label: string, groups: Sample[][], pick: (sample: Sample) => number, format: Format = ms) {
  return [
    label,
    ...groups.flatMap((samples) => {
      const values = samples.map(pick);
      return [format(percentile(values, 50)), format(percentile(values, 95))];
    }),
  ];
}

const count: Format = (value) => String(value);
const ratio: Format = (value) => `${value.toFixed(2)}×`;

function rows(groups: Sample[][]): Cell[][] {
  return [
    statRow('total wall time (diagnose call)', groups, (s) => s.totalMs),
    statRow('report durationMs', groups, (s) => s.reportMs),
    statRow('control plane: gather wall time', groups, (s) => s.gatherWallMs),
    statRow('control plane: Σ of call durations', groups, (s) => s.apiSumMs),
    statRow('control plane: Σ / wall (calls in flight)', groups, (s) => s.apiSumMs / s.gatherWallMs, ratio),
    statRow('control plane: TiDB Cloud calls', groups, (s) => s.tidbCalls, count),
    statRow('control plane: EC2 calls', groups, (s) => s.ec2Calls, count),
    statRow('data plane probe wall time', groups, (s) => s.dataPlaneMs),
    statRow('  DNS lookup (dns.resolution)', groups, (s) => s.dnsMs),
    statRow('  TCP connect, slowest ENI (tcp.connect)', groups, (s) => s.tcpMs),
    statRow('  TiDB greeting (tidb.handshake)', groups, (s) => s.handshakeMs),
    statRow('rest: checks and report assembly', groups, (s) => s.totalMs - s.gatherWallMs - s.dataPlaneMs),
  ];
}

function summary(samples: Sample[], label: string): void {
  const p50 = (pick: (sample: Sample) => number) => percentile(samples.map(pick), 50);
  note(
    `${label} p50 ${ms(p50((s) => s.totalMs))} ≈ gather ${ms(p50((s) => s.gatherWallMs))}` +
      ` (${p50((s) => s.tidbCalls)} TiDB + ${p50((s) => s.ec2Calls)} EC2 calls; ${ms(p50((s) => s.apiSumMs))} one after another)` +
      ` + DNS ${ms(p50((s) => s.dnsMs))} + TCP ${ms(p50((s) => s.tcpMs))} + greeting ${ms(p50((s) => s.handshakeMs))}`,
  );
}

export async function benchDoctor(): Promise<void> {
  section(
    `3. Doctor breakdown, healthy run (${RUNS} runs after ${WARM_UP} warm-up; VPC stand-in on loopback)`,
  );
  const asIs = await collect(0);
  const slowEc2 = await collect(EC2_LATENCY_MS);
  printTable(
    ['per doctor run', 'p50', 'p95', `p50 EC2+${EC2_LATENCY_MS}ms`, `p95 EC2+${EC2_LATENCY_MS}ms`],
    rows([asIs, slowEc2]),
  );
  summary(asIs, 'as is:');
  summary(slowEc2, `EC2 +${EC2_LATENCY_MS} ms:`);
  note('TiDB Cloud calls are real HTTP with digest auth to the local simulator; EC2 calls hit the in-memory');
  note(
    `fake (answers in µs), so the second pair of columns adds ${EC2_LATENCY_MS} ms to each EC2 call to show the`,
  );
  note('parallel gather: its wall time follows the longest chain of dependent calls, not their number.');
}
