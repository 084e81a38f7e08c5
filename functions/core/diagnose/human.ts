/**
 * The report for people: a header, one line per check with its mark, the fix under each failure (and under
 * warnings that have one), and a summary line. Plain text, no colour, so it reads the same in CI logs.
 */
import type { CheckResultOf, CheckStatus, DiagnosticReport } from './report.ts';

export const MARKS: Record<CheckStatus, string> = { pass: '✔', warn: '!', fail: '✘', skip: '-' };

const ID_WIDTH = 'aws.security-group-ingress'.length;

/** One check: its mark, id and summary, then the fix under a failure (or a warning that has one). */
export function renderCheck(check: CheckResultOf<string>, idWidth = ID_WIDTH): string[] {
  const lines = [`${MARKS[check.status]} ${check.id.padEnd(idWidth)}  ${check.summary}`];
  if (check.remediation && check.status !== 'pass') {
    const [first = '', ...rest] = check.remediation.split('\n');
    lines.push(`    fix: ${first}`, ...rest.map((line) => `         ${line}`));
  }
  return lines;
}

/** "3 passed, 1 warnings, 0 failed, 0 skipped". */
export function statusCounts(checks: readonly CheckResultOf<string>[]): string {
  const count = (status: CheckStatus) => checks.filter((check) => check.status === status).length;
  return `${count('pass')} passed, ${count('warn')} warnings, ${count('fail')} failed, ${count('skip')} skipped`;
}

export function summaryLine(report: DiagnosticReport): string {
  const verdict = report.healthy ? 'HEALTHY' : 'UNHEALTHY';
  return `${verdict}: ${statusCounts(report.checks)} (${report.durationMs} ms)`;
}

/** The whole human-readable report, newline-terminated. */
export function renderHuman(report: DiagnosticReport): string {
  const where = [
    `cluster ${report.clusterId}`,
    `node group ${report.tidbNodeGroupId ?? '?'}`,
    `region ${report.region}`,
    `vpc ${report.vpcId ?? '?'}`,
    `endpoint ${report.vpcEndpointId ?? '?'}`,
  ].join(', ');
  const lines = [
    `tidb-privatelink doctor: ${where}`,
    `target: ${report.host ?? '(host unknown)'}:${report.port}`,
    '',
    ...report.checks.flatMap(renderCheck),
    '',
    summaryLine(report),
  ];
  return `${lines.join('\n')}\n`;
}
