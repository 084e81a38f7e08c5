import type { PreflightSettings } from '../../core/preflight/ports.ts';
import { renderPreflight, preflight as runPreflight } from '../../core/preflight/preflight.ts';
import { type Flags, positiveIntFlag } from '../args.ts';
import type { CliContext, CommandResult } from '../context.ts';

export function preflightOptions(flags: Flags) {
  return { timeoutMs: positiveIntFlag(flags, 'timeout-ms', 30_000, 600_000) };
}

/** Every prerequisite of a deploy, read with the deployer's own credentials; exit 1 when one fails. */
export async function preflight(ctx: CliContext): Promise<CommandResult> {
  const { config } = ctx;
  const { publicKey, privateKey } = config.tidbCloud;
  const settings: PreflightSettings = {
    region: config.aws.region,
    vpcId: config.privateLink.vpcId ?? '',
    subnetIds: config.privateLink.subnetIds,
    apiKeySecretArn: config.tidbCloud.apiKeySecretArn,
    envKeys: publicKey && privateKey ? { publicKey, privateKey } : undefined,
    projectId: config.tidbCloud.projectId,
    eventBus: config.privateLink.eventBus,
  };
  const report = await runPreflight(ctx.deps.preflight(), settings, {
    ...preflightOptions(ctx.flags),
    signal: ctx.signal,
  });
  return { exitCode: report.ready ? 0 : 1, json: report, lines: [renderPreflight(report).trimEnd()] };
}
