/**
 * Section 4: the doctor when nothing answers. The contract is a full report by the deadline; the goal is
 * wall time ≤ timeout + 10 %. Timeouts here are real: a resolver that drops queries, a TCP listener whose
 * backlog is full (the kernel drops the SYNs), and a TiDB Cloud API that answers long after the deadline.
 */
import { diagnose } from '../functions/core/diagnose/doctor.ts';
import { CHECK_IDS, type DiagnosticReport } from '../functions/core/diagnose/report.ts';
import { provision } from '../functions/core/reconcile/reconcile.ts';
import { closeAll, loopbackDataPlane, startBlackhole, startDns } from '../testing/local-servers.ts';
import type { SimCluster } from '../testing/tidbcloud-simulator/index.ts';
import { startWorld, type World } from '../testing/world.ts';
import { UNLIMITED } from './reconcile.ts';
import { type Cell, note, printTable, section, wall } from './table.ts';

const TIMEOUTS_MS = [1000, 3000];
const RUNS = 3;
const SILENT_ENIS = ['127.0.3.1', '127.0.3.2'];
const BLACKHOLE = '127.0.3.3';

/** The plain data plane, refusing anything outside loopback: a wrong answer must never leave the machine. */
const dataPlane = loopbackDataPlane();

interface Scenario {
  label: string;
  cluster: SimCluster;
  /** Arms the failure before each run (the API hang is consumed per request). */
  arm?: (timeoutMs: number) => void;
}

async function readyCluster(world: World, port: number, addresses: string[]): Promise<SimCluster> {
  world.ec2.useEniAddresses(addresses);
  const cluster = world.addCluster({ port });
  world.ec2.authorizeIngress(world.ec2.world.securityGroupId, {
    ipProtocol: 'tcp',
    fromPort: port,
    toPort: port,
    cidrIpv4: world.ec2.world.cidrBlock,
  });
  const outcome = await provision(
    world.deps,
    { clusterId: cluster.clusterId },
    { deadline: world.clock.now() + 3_600_000 },
  );
  if (outcome.phase !== 'Ready') throw new Error(`cluster not Ready: ${outcome.phase}`);
  return cluster;
}

async function scenarios(world: World): Promise<{ list: Scenario[]; dnsServer: string }> {
  const silent = await readyCluster(world, 4000, SILENT_ENIS);
  const port = await startBlackhole(BLACKHOLE);
  // Both ENIs on the blackhole address: every TCP connect the doctor makes is dropped.
  const dropped = await readyCluster(world, port, [BLACKHOLE, BLACKHOLE]);
  const dnsServer = await startDns((name) => {
    if (name === silent.serviceDnsName.toLowerCase()) return 'silent';
    if (name === dropped.serviceDnsName.toLowerCase()) return { a: [BLACKHOLE] };
    return undefined;
  });
  const list: Scenario[] = [
    { label: 'DNS never answers', cluster: silent },
    { label: 'TCP SYNs dropped (full backlog)', cluster: dropped },
    {
      label: 'TiDB Cloud API hangs',
      cluster: dropped,
      // Every request of the run waits past the deadline (50 covers them all; the rest are cleared after).
      arm: (timeoutMs) => world.sim.faults.slow(timeoutMs + 1000, 50),
    },
  ];
  return { list, dnsServer };
}

function failing(report: DiagnosticReport): string {
  const failed = report.checks.filter((check) => check.status === 'fail').map((check) => check.id);
  return failed.length > 0 ? failed.join(', ') : 'none';
}

async function runScenario(world: World, scenario: Scenario, dnsServer: string, timeoutMs: number) {
  const walls: number[] = [];
  let report: DiagnosticReport | undefined;
  for (let run = 0; run < RUNS; run++) {
    scenario.arm?.(timeoutMs);
    const request = {
      clusterId: scenario.cluster.clusterId,
      region: world.settings.region,
      vpcId: world.settings.vpcId,
      dnsServer,
      timeoutMs,
    };
    const measured = await wall(() => diagnose({ tidb: world.tidb, ec2: world.ec2, dataPlane }, request));
    world.sim.faults.clear();
    walls.push(measured.ms);
    report = measured.result;
  }
  return { walls, report };
}

function row(
  label: string,
  timeoutMs: number,
  walls: number[],
  report: DiagnosticReport | undefined,
): Cell[] {
  const worst = Math.max(...walls);
  const ratio = worst / timeoutMs;
  return [
    label,
    `${timeoutMs} ms`,
    `${Math.round(Math.min(...walls))} ms`,
    `${Math.round(worst)} ms`,
    ratio.toFixed(3),
    ratio <= 1.1 ? 'yes' : 'NO',
    `${report?.checks.length ?? 0}/${CHECK_IDS.length}`,
    report ? failing(report) : 'n/a',
  ];
}

export async function benchTimeouts(): Promise<void> {
  section(`4. Everything timing out (doctor with --timeout-ms; ${RUNS} runs each, worst shown)`);
  const world = await startWorld(UNLIMITED);
  try {
    const { list, dnsServer } = await scenarios(world);
    const rows: Cell[][] = [];
    for (const scenario of list) {
      for (const timeoutMs of TIMEOUTS_MS) {
        const { walls, report } = await runScenario(world, scenario, dnsServer, timeoutMs);
        rows.push(row(scenario.label, timeoutMs, walls, report));
      }
    }
    const header = ['scenario', 'timeout', 'best wall', 'worst wall', 'worst/timeout', '≤ +10 %', 'checks'];
    printTable([...header, 'failing checks'], rows, [header.length]);
    note('Wall time is measured around diagnose() itself; "checks" counts the checks in the last report.');
    note(
      'The data plane gets 95 % of what is left of the budget (PROBE_MARGIN), hence ~0.95 when DNS or TCP',
    );
    note('is what hangs; a hung API is cut at the deadline itself, hence just over 1.00.');
  } finally {
    await closeAll();
    await world.close();
  }
}
