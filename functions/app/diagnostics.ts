import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { recordProbeRun } from '../adapters/powertools-metrics.ts';
import { diagnose } from '../core/diagnose/doctor.ts';
import type { DataPlaneBatchPort, DataPlaneProbeInput } from '../core/diagnose/ports.ts';
import { InvalidEventError } from '../core/errors.ts';
import { DETAIL_TYPES } from '../core/ports.ts';
import { type ProbeScope, probeAll } from '../core/probe/probe.ts';
import { siteFor } from '../core/probe/sites.ts';
import { type Budgets, DEPLOYED_BUDGETS } from './budgets.ts';
import {
  clusterKeyOf,
  dataPlaneRequestOf,
  isDelivery,
  PROBE_TRIGGERS,
  readyFactsOf,
  TROUBLESHOOT_TRIGGERS,
} from './inbound-events.ts';
import { perInvocation } from './invocation-signal.ts';
import type { DiagnosticsDeps } from './lambda-deps.ts';
import { oncePerEvent, type PersistenceSource } from './once-per-event.ts';
import { rejectInvalidEvents } from './reject-invalid-events.ts';
import { meteringTidbApi } from './tidb-api-metrics.ts';

/** A VPC id as quoted in a rejection: JSON, so nothing in it can forge a log line. */
const shownId = (value: unknown) => JSON.stringify(value)?.slice(0, 60) ?? 'undefined';

type DepsSource = () => Promise<DiagnosticsDeps>;
type Signal = { signal: AbortSignal };

/**
 * The in-VPC function: DNS, TCP and the handshake only. It logs no input: it may carry SQL credentials. A
 * budget longer than its own remaining time is cut, so it always answers (with "timeout") before Lambda kills
 * it. One target (troubleshoot) or a batch (`{ targets }`, the probe's one trip), every target cut alike.
 */
export function createDataPlaneHandler(
  dataPlane: DataPlaneBatchPort,
  logger: Logger,
  budgets: Budgets = DEPLOYED_BUDGETS,
) {
  return middy(async (event: unknown, context: Context, { signal }: Signal) => {
    const request = dataPlaneRequestOf(event);
    const left = context.getRemainingTimeInMillis() - budgets.dataPlaneReserveMs;
    const cut = (input: DataPlaneProbeInput) => ({
      ...input,
      timeoutMs: Math.max(1, Math.min(input.timeoutMs, left)),
    });
    return perInvocation(signal, async (own) => {
      if ('one' in request) return dataPlane.probe(cut(request.one), { signal: own });
      return { results: await dataPlane.probeMany(request.many.map(cut), { signal: own }) };
    });
  })
    .use(injectLambdaContext(logger))
    .use(rejectInvalidEvents(logger));
}

/**
 * On-demand troubleshooting: `serverless invoke -f troubleshoot -d '{"clusterId":"…"}'` or the
 * `PrivateLink Troubleshoot Requested` event (once per event id). Returns the report; an event-triggered run
 * also publishes it.
 */
export function createTroubleshootHandler(
  getDeps: DepsSource,
  logger: Logger,
  metrics?: Metrics,
  budgets: Budgets = DEPLOYED_BUDGETS,
  idempotency?: PersistenceSource,
) {
  const store = idempotency && { persistenceStore: idempotency, keyPrefix: 'troubleshoot' };
  const run = oncePerEvent(troubleshoot(getDeps, logger, metrics, budgets), store, logger);
  const handler = middy(async (event: unknown, context: Context, { signal }: Signal) => {
    // Validated before the idempotency record: a malformed event leaves nothing behind.
    clusterKeyOf(event, TROUBLESHOOT_TRIGGERS);
    return perInvocation(signal, (own) => run(event, context, own));
  })
    .use(injectLambdaContext(logger))
    .use(rejectInvalidEvents(logger));
  return metrics ? handler.use(logMetrics(metrics)) : handler;
}

function troubleshoot(getDeps: DepsSource, logger: Logger, metrics: Metrics | undefined, budgets: Budgets) {
  return async (event: unknown, context: Context, signal: AbortSignal) => {
    const key = clusterKeyOf(event, TROUBLESHOOT_TRIGGERS);
    const deps = await getDeps();
    const { settings } = deps;
    // Several VPCs: the request may name one (`vpcId`); the stack's first otherwise.
    const vpcId = typeof key.vpcId === 'string' ? key.vpcId : settings.vpcId;
    const site = siteFor(deps, settings, vpcId ?? '');
    if (!site) throw new InvalidEventError(`${shownId(vpcId)} is not one of this stack's VPCs.`);
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
  };
}

/** `PrivateLink Endpoint Ready` names the cluster to prove now; anything else (the schedule) means all. */
const isReadyEvent = (event: unknown): boolean => isDelivery(event, DETAIL_TYPES.endpointReady);

/**
 * The scheduled probe of every managed endpoint, and the immediate probe of one cluster on
 * `PrivateLink Endpoint Ready` (once per event id). Figures go out as EMF metrics through Powertools.
 */
export function createProbeHandler(
  getDeps: DepsSource,
  logger: Logger,
  metrics: Metrics,
  budgets: Budgets = DEPLOYED_BUDGETS,
  idempotency?: PersistenceSource,
) {
  const store = idempotency && { persistenceStore: idempotency, keyPrefix: 'probe-on-ready' };
  const run = (context: Context, signal: AbortSignal, scope: ProbeScope = {}) =>
    probeRun({ getDeps, logger, metrics, budgets }, context, signal, scope);
  const probeReady = oncePerEvent(
    (event, context, signal) =>
      run(context, signal, {
        clusterId: clusterKeyOf(event, PROBE_TRIGGERS).clusterId,
        known: readyFactsOf(event, Date.now()),
      }),
    store,
    logger,
  );
  return middy(async (event: unknown, context: Context, { signal }: Signal) => {
    if (!isReadyEvent(event)) return perInvocation(signal, (own) => run(context, own));
    clusterKeyOf(event, PROBE_TRIGGERS);
    return perInvocation(signal, (own) => probeReady(event, context, own));
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .use(rejectInvalidEvents(logger));
}

async function probeRun(
  parts: { getDeps: DepsSource; logger: Logger; metrics: Metrics; budgets: Budgets },
  context: Context,
  signal: AbortSignal,
  scope: ProbeScope,
) {
  const { clusterId } = scope;
  const deps = await parts.getDeps();
  // No single endpoint may outlive the invocation; the signal stops the rest near the deadline.
  const timeoutMs = Math.max(
    1000,
    Math.min(deps.settings.timeoutMs, context.getRemainingTimeInMillis() - parts.budgets.probeReserveMs),
  );
  const probes = await meteringTidbApi(parts.metrics, deps.tidb, () =>
    probeAll(deps, { ...deps.settings, timeoutMs }, { signal }, scope),
  );
  const count = (health: string) => probes.filter((probe) => probe.health === health).length;
  const summary = {
    ...(clusterId ? { clusterId } : {}),
    probed: probes.length,
    healthy: count('healthy'),
    unhealthy: count('unhealthy'),
    errors: count('error'),
  };
  parts.logger.info('probe finished', summary);
  // The fleet counts describe the whole fleet: a one-cluster run on Ready leaves them to the schedule.
  if (!clusterId) {
    recordProbeRun(parts.metrics, { probed: summary.probed, unhealthy: summary.unhealthy + summary.errors });
  }
  return { ...summary, endpoints: probes };
}
