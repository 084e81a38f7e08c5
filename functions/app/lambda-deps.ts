import type { Metrics } from '@aws-lambda-powertools/metrics';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import {
  type AwsClientOptions,
  createDynamoDbClient,
  createEc2Client,
  createLambdaClient,
  createSecretsManagerClient,
} from '../adapters/aws/clients.ts';
import { DynamoDbLeaseStore } from '../adapters/aws/dynamodb-lease.ts';
import { DynamoDbClusterRegistry } from '../adapters/aws/dynamodb-registry.ts';
import { Ec2Adapter } from '../adapters/aws/ec2.ts';
import { LambdaDataPlane } from '../adapters/aws/lambda-data-plane.ts';
import { PowertoolsProbeMetrics } from '../adapters/powertools-metrics.ts';
import { systemClock } from '../adapters/system-clock.ts';
import type { Config } from '../config.ts';
import type { NetworkPathDeps } from '../core/diagnose/gather-network.ts';
import type { DbCredentials } from '../core/diagnose/ports.ts';
import { ConfigError } from '../core/errors.ts';
import type { PrivateLinkService } from '../core/model.ts';
import type { ClusterRegistry, Ec2Port, EventsPort, LeaseStore } from '../core/ports.ts';
import { PROBE_CACHE_TTL_MS, type ProbeDeps, type ProbeSettings, probeCaches } from '../core/probe/probe.ts';
import { TtlCache } from '../core/probe/ttl-cache.ts';
import type { ReconcileDeps } from '../core/reconcile/types.ts';
import { detectOnce, recordingServices } from '../core/registry/detect-once.ts';
import { dnsPathDeps } from './dns-path-deps.ts';
import type { PersistenceSource } from './once-per-event.ts';
import { reconcileSettingsOf } from './settings.ts';
import { spokeAccounts } from './spokes.ts';
import { createTidbClient } from './tidb-client.ts';

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

/**
 * A JSON secret's value. A secret that is not JSON is refused without the parser's message: that message
 * quotes the start of the text it could not parse, which here is the secret itself.
 */
async function readJsonSecret(secrets: SecretsProvider, arn: string): Promise<unknown> {
  const text = await secrets.get(arn);
  const raw = typeof text === 'string' ? text : new TextDecoder().decode(text);
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new ConfigError([`the secret ${arn} is not a JSON object`]);
  }
}

const awsOptions = (config: Config): AwsClientOptions => ({
  region: config.aws.region,
  endpointUrl: config.aws.endpointUrl,
});

/**
 * How a function reaches EventBridge: `eventBridgeEvents` (eventbridge-events.ts), imported by the handlers
 * that publish on most invocations, or `eventsOnFirstPublish` (events-on-first-publish.ts, the reconcile's).
 * Passed in by the handler, so this module imports neither: esbuild places a whole module, with what it
 * imports, in the init chunk of every function that imports it statically, used or not, and makes a chunk of
 * every dynamic import it holds, run or not.
 */
export type EventsFactory = (config: Config) => EventsPort;

/** The parts every function shares; secrets are read once per cold start (a rotated key: next cold start). */
async function commonDeps(config: Config, eventsOf: EventsFactory) {
  const aws = awsOptions(config);
  // Only with the state table: the shared quota, the registry and idempotency live there.
  const dynamodb = config.privateLink.stateTable ? createDynamoDbClient(aws) : undefined;
  const secrets = new SecretsProvider({ awsSdkV3Client: createSecretsManagerClient(aws) });
  const arn = config.tidbCloud.apiKeySecretArn ?? '';
  const keys = requireStringFields(await readJsonSecret(secrets, arn), arn, ['publicKey', 'privateKey']);
  return {
    secrets,
    tidb: createTidbClient(config, keys, dynamodb),
    ec2: new Ec2Adapter(createEc2Client(aws)),
    ...spokeAccounts(config, aws),
    dynamodb,
    events: eventsOf(config),
    clock: systemClock,
  };
}

export interface LambdaDeps extends ReconcileDeps {
  registry?: ClusterRegistry;
  /** The reconcile's one-at-a-time lease (only the reconcile handler takes it). */
  lease?: LeaseStore;
}

/**
 * Built once per cold start (the handler memoises the promise); never at module load of code tests import.
 * With the state table, Detected goes out once per cluster, ACTIVE services are kept for `status`, and the
 * reconcile runs one at a time (its lease). ACTIVE services are also kept for an hour while the Lambda is warm,
 * as the probe keeps them, so a later run's `Endpoint Ready` still carries them (`known`).
 */
export async function createLambdaDeps(
  config: Config,
  pollIntervalMs: number,
  eventsOf: EventsFactory,
): Promise<LambdaDeps> {
  const { tidb, ec2, accounts, events, clock, dynamodb } = await commonDeps(config, eventsOf);
  const settings = reconcileSettingsOf(config, pollIntervalMs);
  const services = new TtlCache<PrivateLinkService>(PROBE_CACHE_TTL_MS, clock.now);
  const table = config.privateLink.stateTable;
  const spokes = accounts ? { accounts } : {};
  if (!table || !dynamodb) return { tidb, ec2, ...spokes, events, clock, settings, services };
  const registry = new DynamoDbClusterRegistry(dynamodb, table);
  return {
    tidb: recordingServices(tidb, registry),
    ec2,
    ...spokes,
    events: detectOnce(events, registry, clock),
    clock,
    settings,
    services,
    registry,
    lease: new DynamoDbLeaseStore(dynamodb, table),
  };
}

/** `{"user","password","ca"?}`: the optional PEM `ca` verifies a server certificate no public root signs. */
async function readSqlCredentials(secrets: SecretsProvider, arn: string): Promise<DbCredentials> {
  const value = await readJsonSecret(secrets, arn);
  const { user, password } = requireStringFields(value, arn, ['user', 'password']);
  const ca = typeof value === 'object' && value !== null ? (value as Record<string, unknown>).ca : undefined;
  return { user, password, ...(typeof ca === 'string' && ca ? { ca } : {}) };
}

export interface DiagnosticsDeps extends ProbeDeps, NetworkPathDeps {
  /** The probe's EC2 calls and the doctor's network reads: one port serving both. */
  ec2: Ec2Port;
  settings: ProbeSettings;
}

/** Per-endpoint budget of a scheduled probe or a troubleshoot run. */
export const PROBE_TIMEOUT_MS = 10_000;
export const PROBE_CONCURRENCY = 8;

export async function createDiagnosticsDeps(
  config: Config,
  metrics: Metrics,
  eventsOf: EventsFactory,
): Promise<DiagnosticsDeps> {
  const { secrets, tidb, ec2, events, clock, dynamodb } = await commonDeps(config, eventsOf);
  const table = config.privateLink.stateTable;
  const { sqlSecretArn, dataPlaneFunction, securityGroupIds, subnetIds, dnsServer } = config.probe;
  const credentials = sqlSecretArn ? await readSqlCredentials(secrets, sqlSecretArn) : undefined;
  const lambda = createLambdaClient(awsOptions(config));
  return {
    tidb,
    ec2,
    events,
    clock,
    dataPlane: new LambdaDataPlane(lambda, dataPlaneFunction ?? ''),
    metrics: new PowertoolsProbeMetrics(metrics),
    // Troubleshoot reads the whole DNS path; the scheduled probe ignores these (it passes only EC2).
    ...dnsPathDeps(awsOptions(config)),
    caches: probeCaches(clock.now),
    // With the state table, a health flip is reported once however many probe runs overlap.
    ...(table && dynamodb ? { healthRecord: new DynamoDbClusterRegistry(dynamodb, table) } : {}),
    sites: config.probe.dataPlanes.map((site) => ({
      vpcId: site.vpcId,
      dataPlane: new LambdaDataPlane(lambda, site.functionName),
      placement: { securityGroupIds: site.securityGroupIds, subnetIds: site.subnetIds },
    })),
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
 * invoke), and then every delivery runs. The store (Powertools' DynamoDB layer and its client) is built
 * when the first event needs it, not at cold start: most probe runs are scheduled and never need it.
 */
export function createIdempotency(config: Config): PersistenceSource | undefined {
  const table = config.privateLink.stateTable;
  if (!table) return undefined;
  return async () => {
    const { createIdempotencyStore } = await import('../adapters/aws/idempotency-store.ts');
    return createIdempotencyStore(createDynamoDbClient(awsOptions(config)), table);
  };
}
