import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { type AwsClients, createAwsClients } from '../adapters/aws/clients.ts';
import { Ec2Adapter } from '../adapters/aws/ec2.ts';
import { EventBridgeAdapter } from '../adapters/aws/eventbridge.ts';
import { systemClock } from '../adapters/system-clock.ts';
import type { Config } from '../config.ts';
import { ConfigError } from '../core/errors.ts';
import type { ReconcileDeps } from '../core/reconcile/types.ts';
import { type ApiKeyPair, createTidbClient } from './live-deps.ts';

/** Re-read the key pair at most every 5 minutes, so a rotated secret is picked up without a redeploy. */
const SECRET_MAX_AGE_S = 300;

/** Checks the secret's shape without ever echoing its content. */
export function parseApiKeySecret(value: unknown, arn: string): ApiKeyPair {
  const record = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const problems = (['publicKey', 'privateKey'] as const)
    .filter((field) => typeof record[field] !== 'string' || record[field] === '')
    .map((field) => `the secret ${arn} has no "${field}" string`);
  if (problems.length > 0) throw new ConfigError(problems);
  return { publicKey: String(record.publicKey), privateKey: String(record.privateKey) };
}

export interface LambdaDeps extends ReconcileDeps {
  clients: AwsClients;
}

/** Built once per cold start (the handler memoises the promise); never at module load of code tests import. */
export async function createLambdaDeps(config: Config, pollIntervalMs: number): Promise<LambdaDeps> {
  const clients = createAwsClients({ region: config.aws.region, endpointUrl: config.aws.endpointUrl });
  const arn = config.tidbCloud.apiKeySecretArn ?? '';
  const secrets = new SecretsProvider({ awsSdkV3Client: clients.secretsManager });
  const keys = parseApiKeySecret(
    await secrets.get(arn, { transform: 'json', maxAge: SECRET_MAX_AGE_S }),
    arn,
  );
  const { privateLink, aws, tidbCloud } = config;
  return {
    clients,
    tidb: createTidbClient(config, keys),
    ec2: new Ec2Adapter(clients.ec2),
    events: new EventBridgeAdapter({
      client: clients.eventBridge,
      eventBusName: privateLink.eventBus,
      source: privateLink.eventSource,
    }),
    clock: systemClock,
    settings: {
      region: aws.region,
      vpcId: privateLink.vpcId ?? '',
      subnetIds: privateLink.subnetIds,
      securityGroupIds: privateLink.securityGroupIds,
      projectId: tidbCloud.projectId,
      pollIntervalMs,
    },
  };
}
