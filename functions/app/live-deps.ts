import { type AwsClients, createAwsClients } from '../adapters/aws/clients.ts';
import { DynamoDbQuotaCounter } from '../adapters/aws/dynamodb-quota.ts';
import { DynamoDbClusterRegistry } from '../adapters/aws/dynamodb-registry.ts';
import { Ec2Adapter } from '../adapters/aws/ec2.ts';
import { EventBridgeAdapter } from '../adapters/aws/eventbridge.ts';
import { LocalDataPlane } from '../adapters/dataplane/local-data-plane.ts';
import { LogEventsPort } from '../adapters/log-events.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { TidbCloudClient } from '../adapters/tidbcloud/client.ts';
import type { CliDeps } from '../cli/context.ts';
import type { Config } from '../config.ts';
import { SharedBudget } from '../core/shared-budget.ts';

export interface ApiKeyPair {
  publicKey: string;
  privateKey: string;
}

export function createTidbClient(config: Config, keys: ApiKeyPair, clients?: AwsClients): TidbCloudClient {
  const table = config.privateLink.stateTable;
  // With the stack's table, every function (and a CLI pointed at it) draws on one per-minute quota.
  const budget =
    table && clients
      ? new SharedBudget(
          new DynamoDbQuotaCounter(clients.dynamodb, table),
          config.tidbCloud.requestsPerMinute,
          systemClock,
        )
      : undefined;
  return new TidbCloudClient({
    baseUrl: config.tidbCloud.apiUrl,
    ...keys,
    requestsPerMinute: config.tidbCloud.requestsPerMinute,
    userAgent: 'tidb-privatelink',
    ...(budget ? { budget } : {}),
  });
}

/** The CLI's real parts: TiDB Cloud over HTTPS, EC2 and EventBridge through the SDK. */
export function liveCliDeps(config: Config, env: NodeJS.ProcessEnv): CliDeps {
  const clients = createAwsClients({ region: config.aws.region, endpointUrl: config.aws.endpointUrl });
  const keys = { publicKey: config.tidbCloud.publicKey ?? '', privateKey: config.tidbCloud.privateKey ?? '' };
  const events = env.PRIVATELINK_EVENT_BUS
    ? new EventBridgeAdapter({
        client: clients.eventBridge,
        eventBusName: config.privateLink.eventBus,
        source: config.privateLink.eventSource,
      })
    : new LogEventsPort((line) => process.stderr.write(`${line}\n`));
  return {
    tidb: createTidbClient(config, keys, clients),
    ec2: new Ec2Adapter(clients.ec2),
    events,
    clock: systemClock,
    dataPlane: new LocalDataPlane(),
    ...(config.privateLink.stateTable
      ? { registry: new DynamoDbClusterRegistry(clients.dynamodb, config.privateLink.stateTable) }
      : {}),
  };
}
