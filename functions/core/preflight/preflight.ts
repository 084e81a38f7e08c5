/**
 * `preflight`: before a deploy, with the deployer's own credentials, every prerequisite of TiDB's guide and
 * of the stack, as one report shaped like the doctor's (✔ ! ✘ -, a fix under each failure).
 */
import { deadlineSignal } from '../diagnose/deadline.ts';
import { renderCheck, statusCounts } from '../diagnose/human.ts';
import { OPTIONAL_READ_MARGIN } from '../diagnose/observation.ts';
import { isHealthy } from '../diagnose/report.ts';
import { runChecks } from '../diagnose/runner.ts';
import { preflightCallFailed, timedOut } from '../remediation.ts';
import { PREFLIGHT_CHECKS } from './checks/index.ts';
import { PreflightContext } from './context.ts';
import type { PreflightPorts, PreflightReport, PreflightSettings } from './ports.ts';

export interface PreflightOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  now?: () => number;
}

export async function preflight(
  ports: PreflightPorts,
  settings: PreflightSettings,
  options: PreflightOptions,
): Promise<PreflightReport> {
  const now = options.now ?? Date.now;
  const startedAt = now();
  const signal = deadlineSignal(options.timeoutMs, options.signal);
  const optionalSignal = deadlineSignal(options.timeoutMs * (1 - OPTIONAL_READ_MARGIN), signal);
  const context = new PreflightContext(ports, settings, signal, optionalSignal);
  const checks = await runChecks(PREFLIGHT_CHECKS, context, {
    signal,
    onTimeout: (id) => ({
      status: 'fail',
      summary: `${id} did not finish within ${options.timeoutMs} ms.`,
      remediation: timedOut(`The ${id} check`),
    }),
    onCrash: (id, error) => {
      const message = error instanceof Error ? error.message : String(error);
      return {
        status: 'fail',
        summary: `${id} failed: ${message}`,
        remediation: preflightCallFailed(id, message),
      };
    },
  });
  return {
    region: settings.region,
    vpcId: settings.vpcId,
    ready: isHealthy(checks),
    checks,
    startedAt: new Date(startedAt).toISOString(),
    durationMs: now() - startedAt,
  };
}

const ID_WIDTH = 'aws.vpc-dns-attributes'.length;

/** The report for people, with the doctor's marks and fix lines; newline-terminated. */
export function renderPreflight(report: PreflightReport): string {
  const verdict = report.ready ? 'READY TO DEPLOY' : 'NOT READY';
  const lines = [
    `tidb-privatelink preflight: region ${report.region}, vpc ${report.vpcId}`,
    '',
    ...report.checks.flatMap((check) => renderCheck(check, ID_WIDTH)),
    '',
    `${verdict}: ${statusCounts(report.checks)} (${report.durationMs} ms)`,
  ];
  return `${lines.join('\n')}\n`;
}
