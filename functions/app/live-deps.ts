import { createAwsClients, createServiceQuotasClient, createStsClient } from '../adapters/aws/clients.ts';
import { DynamoDbLeaseStore } from '../adapters/aws/dynamodb-lease.ts';
import { DynamoDbClusterRegistry } from '../adapters/aws/dynamodb-registry.ts';
import { Ec2Adapter } from '../adapters/aws/ec2.ts';
import { EventBusLookup } from '../adapters/aws/event-buses.ts';
import { createEventBridgeClient, EventBridgeAdapter } from '../adapters/aws/eventbridge.ts';
import { LambdaAccountSettings } from '../adapters/aws/lambda-account.ts';
import { SecretsManagerSecrets } from '../adapters/aws/secrets.ts';
import { ServiceQuotasAdapter } from '../adapters/aws/service-quotas.ts';
import { StsIdentity } from '../adapters/aws/sts-identity.ts';
import { LocalDataPlane } from '../adapters/dataplane/local-data-plane.ts';
import { LogEventsPort } from '../adapters/log-events.ts';
import { systemClock } from '../adapters/system-clock.ts';
import type { Config } from '../config.ts';
import type { CliDeps } from './cli-deps.ts';
import { dnsPathDeps } from './dns-path-deps.ts';
import { spokeAccounts } from './spokes.ts';
import { createTidbClient } from './tidb-client.ts';

/** The CLI's real parts: TiDB Cloud over HTTPS, EC2 and EventBridge through the SDK. */
export function liveCliDeps(config: Config, env: NodeJS.ProcessEnv): CliDeps {
  const aws = { region: config.aws.region, endpointUrl: config.aws.endpointUrl };
  const clients = createAwsClients(aws);
  const eventBridge = createEventBridgeClient(aws);
  const keys = { publicKey: config.tidbCloud.publicKey ?? '', privateKey: config.tidbCloud.privateKey ?? '' };
  const events = env.PRIVATELINK_EVENT_BUS
    ? new EventBridgeAdapter({
        client: eventBridge,
        eventBusName: config.privateLink.eventBus,
        source: config.privateLink.eventSource,
      })
    : new LogEventsPort((line) => process.stderr.write(`${line}\n`));
  const table = config.privateLink.stateTable;
  return {
    tidb: createTidbClient(config, keys, table ? clients.dynamodb : undefined),
    ec2: new Ec2Adapter(clients.ec2),
    ...spokeAccounts(config, aws),
    events,
    clock: systemClock,
    dataPlane: new LocalDataPlane(),
    ...dnsPathDeps(aws),
    ...(table
      ? {
          registry: new DynamoDbClusterRegistry(clients.dynamodb, table),
          lease: new DynamoDbLeaseStore(clients.dynamodb, table),
        }
      : {}),
    preflight: () => ({
      identity: new StsIdentity(createStsClient(aws)),
      ec2: new Ec2Adapter(clients.ec2),
      quotas: new ServiceQuotasAdapter(createServiceQuotasClient(aws)),
      lambda: new LambdaAccountSettings(clients.lambda),
      secrets: new SecretsManagerSecrets(clients.secretsManager),
      tidb: (keys) => createTidbClient(config, keys),
      eventBuses: new EventBusLookup(eventBridge),
    }),
  };
}
