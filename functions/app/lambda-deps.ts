import type { Metrics } from '@aws-lambda-powertools/metrics';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { type AwsClients, createAwsClients } from '../adapters/aws/clients.ts';
import { DynamoDbClusterRegistry } from '../adapters/aws/dynamodb-registry.ts';
import { Ec2Adapter } from '../adapters/aws/ec2.ts';
import { EventBridgeAdapter } from '../adapters/aws/eventbridge.ts';
import { createIdempotencyStore } from '../adapters/aws/idempotency-store.ts';
import { LambdaDataPlane } from '../adapters/aws/lambda-data-plane.ts';
import { PowertoolsProbeMetrics } from '../adapters/powertools-metrics.ts';
import { systemClock } from '../adapters/system-clock.ts';
import type { Config } from '../config.ts';
import type { DbCredentials } from '../core/diagnose/ports.ts';
import { ConfigError } from '../core/errors.ts';
import type { ClusterRegistry } from '../core/ports.ts';
import { type ProbeDeps, type ProbeSettings, probeCaches } from '../core/probe/probe.ts';
import type { ReconcileDeps } from '../core/reconcile/types.ts';
import { detectOnce, recordingServices } from '../core/registry/detect-once.ts';
import { createTidbClient } from './live-deps.ts';
import { reconcileSettingsOf } from './settings.ts';

/** Reads a JSON secret and checks that `fields` are non-empty strings, without ever echoing its content. */
export function requireStringFields<F extends string>(
  value: unknown,
  arn: string,
  fields: readonly F[],
): Record<F, string> {
  const record = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const problems = fields
    .filter((field) => typeof record[field] !== 'string' || record[field] === '')
    .map((field) => `the secret ${arn} has no "${field}" string`);
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.fromEntries(fields.map((field) => [field, String(record[field])])) as Record<F, string>;
}

/** The parts every function shares; secrets are read once per cold start (a rotated key: next cold start). */
async function commonDeps(config: Config) {
  const clients = createAwsClients({ region: config.aws.region, endpointUrl: config.aws.endpointUrl });
  const secrets = new SecretsProvider({ awsSdkV3Client: clients.secretsManager });
  const arn = config.tidbCloud.apiKeySecretArn ?? '';
  const keys = requireStringFields(await secrets.get(arn, { transform: 'json' }), arn, [
    'publicKey',
    'privateKey',
  ]);
  const events = new EventBridgeAdapter({
    client: clients.eventBridge,
    eventBusName: config.privateLink.eventBus,
    source: config.privateLink.eventSource,
  });
  return {
    clients,
    secrets,
    tidb: createTidbClient(config, keys, clients),
    ec2: new Ec2Adapter(clients.ec2),
    events,
    clock: systemClock,
  };
}

export interface LambdaDeps extends ReconcileDeps {
  clients: AwsClients;
  registry?: ClusterRegistry;
}

/**
 * Built once per cold start (the handler memoises the promise); never at module load of code tests import.
 * With the state table, Detected goes out once per cluster and ACTIVE services are kept for `status`.
 */
export async function createLambdaDeps(config: Config, pollIntervalMs: number): Promise<LambdaDeps> {
  const { clients, tidb, ec2, events, clock } = await commonDeps(config);
  const settings = reconcileSettingsOf(config, pollIntervalMs);
  const table = config.privateLink.stateTable;
  if (!table) return { clients, tidb, ec2, events, clock, settings };
  const registry = new DynamoDbClusterRegistry(clients.dynamodb, table);
  return {
    clients,
    tidb: recordingServices(tidb, registry),
    ec2,
    events: detectOnce(events, registry, clock),
    clock,
    settings,
    registry,
  };
}

/** `{"user","password","ca"?}`: the optional PEM `ca` verifies a server certificate no public root signs. */
async function readSqlCredentials(secrets: SecretsProvider, arn: string): Promise<DbCredentials> {
  const value: unknown = await secrets.get(arn, { transform: 'json' });
  const { user, password } = requireStringFields(value, arn, ['user', 'password']);
  const ca = typeof value === 'object' && value !== null ? (value as Record<string, unknown>).ca : undefined;
  return { user, password, ...(typeof ca === 'string' && ca ? { ca } : {}) };
}

export interface DiagnosticsDeps extends ProbeDeps {
  settings: ProbeSettings;
}

/** Per-endpoint budget of a scheduled probe or a troubleshoot run. */
export const PROBE_TIMEOUT_MS = 10_000;
export const PROBE_CONCURRENCY = 8;

export async function createDiagnosticsDeps(config: Config, metrics: Metrics): Promise<DiagnosticsDeps> {
  const { clients, secrets, tidb, ec2, events, clock } = await commonDeps(config);
  const { sqlSecretArn, dataPlaneFunction, securityGroupIds, subnetIds, dnsServer } = config.probe;
  const credentials = sqlSecretArn ? await readSqlCredentials(secrets, sqlSecretArn) : undefined;
  return {
    tidb,
    ec2,
    events,
    clock,
    dataPlane: new LambdaDataPlane(clients.lambda, dataPlaneFunction ?? ''),
    metrics: new PowertoolsProbeMetrics(metrics),
    caches: probeCaches(clock.now),
    settings: {
      region: config.aws.region,
      projectId: config.tidbCloud.projectId,
      vpcId: config.privateLink.vpcId,
      stackName: config.privateLink.stackName,
      placement: { securityGroupIds, subnetIds },
      dnsServer,
      credentials,
      timeoutMs: PROBE_TIMEOUT_MS,
      concurrency: PROBE_CONCURRENCY,
    },
  };
}

/**
 * The event-driven functions' idempotency records, in the stack's table; none without a table (a local
 * invoke), and then every delivery runs. Built at cold start: the client makes no call until used.
 */
export function createIdempotency(config: Config) {
  const table = config.privateLink.stateTable;
  if (!table) return undefined;
  const clients = createAwsClients({ region: config.aws.region, endpointUrl: config.aws.endpointUrl });
  return createIdempotencyStore(clients.dynamodb, table);
}
