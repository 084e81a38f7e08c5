import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbQuotaCounter } from '../adapters/aws/dynamodb-quota.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { TidbCloudClient } from '../adapters/tidbcloud/client.ts';
import type { Config } from '../config.ts';
import { SharedBudget } from '../core/shared-budget.ts';

export interface ApiKeyPair {
  publicKey: string;
  privateKey: string;
}

/**
 * The TiDB Cloud client every entry point (Lambda, CLI) builds the same way. With the stack's table, every
 * function (and a CLI pointed at it) draws on one quota there, kept in every sliding 60 s. Build it once per cold start (the
 * handler modules memoise their dependencies): it keeps the key's digest nonce, so a warm invocation sends no
 * unauthenticated request, only an answer to `stale=true` when the nonce has expired meanwhile.
 */
export function createTidbClient(
  config: Config,
  keys: ApiKeyPair,
  dynamodb?: DynamoDBClient,
): TidbCloudClient {
  const table = config.privateLink.stateTable;
  const budget =
    table && dynamodb
      ? new SharedBudget(
          new DynamoDbQuotaCounter(dynamodb, table),
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
