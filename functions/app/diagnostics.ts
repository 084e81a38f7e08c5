import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { recordProbeRun } from '../adapters/powertools-metrics.ts';
import { diagnose } from '../core/diagnose/doctor.ts';
import type { DataPlanePort } from '../core/diagnose/ports.ts';
import { InvalidEventError } from '../core/errors.ts';
import { DETAIL_TYPES } from '../core/ports.ts';
import { probeAll } from '../core/probe/probe.ts';
import { siteFor } from '../core/probe/sites.ts';
import { type Budgets, DEPLOYED_BUDGETS } from './budgets.ts';
import { clusterKeyOf, dataPlaneInputOf, TROUBLESHOOT_TRIGGERS } from './inbound-events.ts';
import type { DiagnosticsDeps } from './lambda-deps.ts';
import { rejectInvalidEvents } from './reject-invalid-events.ts';
import { meteringTidbApi } from './tidb-api-metrics.ts';

/** A VPC id as quoted in a rejection: JSON, so nothing in it can forge a log line. */
const shownId = (value: unknown) => JSON.stringify(value)?.slice(0, 60) ?? 'undefined';

type DepsSource = () => Promise<DiagnosticsDeps>;
type Signal = { signal: AbortSignal };

/**
 * The in-VPC function: DNS, TCP and the handshake only. It logs no input: it may carry SQL credentials. A
 * budget longer than its own remaining time is cut, so it always answers (with "timeout") before Lambda kills it.
 */
export function createDataPlaneHandler(
  dataPlane: DataPlanePort,
  logger: Logger,
  budgets: Budgets = DEPLOYED_BUDGETS,
) {
  return middy(async (event: unknown, context: Context, { signal }: Signal) => {
    const input = dataPlaneInputOf(event);
    const left = context.getRemainingTimeInMillis() - budgets.dataPlaneReserveMs;
    return dataPlane.probe({ ...input, timeoutMs: Math.max(1, Math.min(input.timeoutMs, left)) }, { signal });
  })
    .use(injectLambdaContext(logger))
    .use(rejectInvalidEvents(logger));
}

/**
 * On-demand troubleshooting: `serverless invoke -f troubleshoot -d '{"clusterId":"…"}'` or the
 * `PrivateLink Troubleshoot Requested` event. Returns the report; an event-triggered run also publishes it.
 */
export function createTroubleshootHandler(
  getDeps: DepsSource,
  logger: Logger,
  metrics?: Metrics,
  budgets: Budgets = DEPLOYED_BUDGETS,
) {
  const handler = middy(async (event: unknown, context: Context, { signal }: Signal) => {
    const key = clusterKeyOf(event, TROUBLESHOOT_TRIGGERS);
    const deps = await getDeps();
    const { settings } = deps;
    // Several VPCs: the request may name one (`vpcId`); the stack's first otherwise.
    const vpcId = typeof key.vpcId === 'string' ? key.vpcId : settings.vpcId;
    const site = siteFor(deps, settings.placement, vpcId ?? '');
    const served = deps.sites?.length ? deps.sites.map((each) => each.vpcId) : [settings.vpcId];
    if (!site || !served.includes(vpcId))
      throw new InvalidEventError(`${shownId(vpcId)} is not one of this stack's VPCs.`);
    const diagnosing = () =>
      diagnose(
        { ...deps, dataPlane: site.dataPlane },
        {
          clusterId: key.clusterId,
          tidbNodeGroupId: key.tidbNodeGroupId,
          vpcEndpointId: typeof key.vpcEndpointId === 'string' ? key.vpcEndpointId : undefined,
          vpcId,
          region: settings.region,
          probe: site.placement,
          dnsServer: settings.dnsServer,
          credentials: settings.credentials,
          timeoutMs: Math.max(1000, context.getRemainingTimeInMillis() - budgets.troubleshootReserveMs),
          dataPlaneTimeoutMs: budgets.dataPlaneMs,
          signal,
        },
      );
    const report = await meteringTidbApi(metrics, deps.tidb, diagnosing);
    logger.info('troubleshoot report', { clusterId: report.clusterId, healthy: report.healthy });
    if (typeof event === 'object' && event !== null && 'detail-type' in event) {
      await deps.events.publish(
        [
          {
            detailType: DETAIL_TYPES.probeCompleted,
            detail: { ...report, tidbNodeGroupId: report.tidbNodeGroupId ?? '', requestedBy: 'troubleshoot' },
          },
        ],
        { signal },
      );
    }
    return report;
  })
    .use(injectLambdaContext(logger))
    .use(rejectInvalidEvents(logger));
  return metrics ? handler.use(logMetrics(metrics)) : handler;
}

/** The scheduled probe of every managed endpoint; figures go out as EMF metrics through Powertools. */
export function createProbeHandler(
  getDeps: DepsSource,
  logger: Logger,
  metrics: Metrics,
  budgets: Budgets = DEPLOYED_BUDGETS,
) {
  return middy(async (_event: unknown, context: Context, { signal }: Signal) => {
    const deps = await getDeps();
    // No single endpoint may outlive the invocation; the signal stops the rest near the deadline.
    const timeoutMs = Math.max(
      1000,
      Math.min(deps.settings.timeoutMs, context.getRemainingTimeInMillis() - budgets.probeReserveMs),
    );
    const probes = await meteringTidbApi(metrics, deps.tidb, () =>
      probeAll(deps, { ...deps.settings, timeoutMs }, { signal }),
    );
    const count = (health: string) => probes.filter((probe) => probe.health === health).length;
    const summary = {
      probed: probes.length,
      healthy: count('healthy'),
      unhealthy: count('unhealthy'),
      errors: count('error'),
    };
    logger.info('probe finished', summary);
    recordProbeRun(metrics, { probed: summary.probed, unhealthy: summary.unhealthy + summary.errors });
    return { ...summary, endpoints: probes };
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}
