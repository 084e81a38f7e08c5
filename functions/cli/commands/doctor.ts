import { readFileSync } from 'node:fs';
import { type DiagnoseRequest, diagnose } from '../../core/diagnose/doctor.ts';
import { renderHuman } from '../../core/diagnose/human.ts';
import type { DbCredentials } from '../../core/diagnose/ports.ts';
import { UsageError } from '../../core/errors.ts';
import { type Flags, idFlag, positiveIntFlag, stringFlag } from '../args.ts';
import type { CliContext, CommandResult } from '../context.ts';

const DNS_SERVER = /^(\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?|\[[0-9a-fA-F:]+\](:\d{1,5})?|[0-9a-fA-F:]+)$/;

/** Validated doctor flags, checked before configuration or any network call. */
export function doctorOptions(flags: Flags) {
  const sourceCidr = stringFlag(flags, 'source-cidr', /^[0-9a-fA-F:.]+\/\d{1,3}$/, '10.0.0.0/16');
  const sourceSg = stringFlag(flags, 'source-sg', /^sg-[0-9a-f]+$/, 'sg-0abc1234');
  if (sourceCidr && sourceSg) throw new UsageError('Pass --source-cidr or --source-sg, not both.');
  return {
    clusterId: idFlag(flags, 'cluster', true),
    tidbNodeGroupId: idFlag(flags, 'node-group'),
    vpcEndpointId: stringFlag(flags, 'vpc-endpoint', /^vpce-[0-9a-f]+$/, 'vpce-0a1b2c3d4e5f60718'),
    vpcId: stringFlag(flags, 'vpc', /^vpc-[0-9a-f]+$/, 'vpc-0a1b2c3d4e5f60718'),
    dnsServer: stringFlag(flags, 'dns-server', DNS_SERVER, '10.0.0.2 or 10.0.0.2:53'),
    source: sourceCidr ? { cidr: sourceCidr } : sourceSg ? { securityGroupId: sourceSg } : undefined,
    timeoutMs: positiveIntFlag(flags, 'timeout-ms', 15_000, 3_600_000),
  };
}

/** TIDB_USER / TIDB_PASSWORD (and TIDB_CA_FILE) make the handshake check log in over TLS and time SELECT 1. */
function credentialsFrom(env: NodeJS.ProcessEnv): DbCredentials | undefined {
  const { TIDB_USER: user, TIDB_PASSWORD: password, TIDB_CA_FILE: caFile } = env;
  if (!user) return undefined;
  if (password === undefined) throw new UsageError('TIDB_USER is set but TIDB_PASSWORD is not.');
  try {
    return { user, password, ...(caFile ? { ca: readFileSync(caFile, 'utf8') } : {}) };
  } catch {
    throw new UsageError(`TIDB_CA_FILE ${caFile} cannot be read.`);
  }
}

/** The VPC to diagnose in: `--vpc`, one of the stack's (PRIVATELINK_VPCS), else the configured one. */
function vpcOf(ctx: CliContext, wanted: string | undefined): string | undefined {
  const { vpcs, vpcId } = ctx.config.privateLink;
  if (!wanted) return vpcId;
  if (vpcs.length > 0 && !vpcs.some((vpc) => vpc.vpcId === wanted)) {
    throw new UsageError(
      `--vpc ${wanted} is not one of this stack's VPCs (${vpcs.map((v) => v.vpcId).join(', ')}).`,
    );
  }
  return wanted;
}

export async function doctor(ctx: CliContext): Promise<CommandResult> {
  const options = doctorOptions(ctx.flags);
  const request: DiagnoseRequest = {
    ...options,
    region: ctx.config.aws.region,
    vpcId: vpcOf(ctx, options.vpcId),
    credentials: credentialsFrom(ctx.env),
    signal: ctx.signal,
  };
  const report = await diagnose(ctx.deps, request);
  return { exitCode: report.healthy ? 0 : 1, json: report, lines: [renderHuman(report).trimEnd()] };
}
