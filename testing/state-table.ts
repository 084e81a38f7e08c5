/**
 * The stack's state table on moto, created as resources/state-table.yml declares it (the template test pins
 * the same key and TTL attribute to the adapter's constants).
 */
import { randomUUID } from 'node:crypto';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { KEY_ATTRIBUTE, TTL_ATTRIBUTE } from '../functions/adapters/aws/dynamodb-registry.ts';
import type { SandboxConfig } from './moto-world.ts';

export interface SandboxTable {
  client: DynamoDBClient;
  tableName: string;
  drop(): Promise<void>;
}

export async function createStateTable(config: SandboxConfig): Promise<SandboxTable> {
  const client = new DynamoDBClient({
    region: config.region,
    endpoint: config.endpointUrl,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 1,
  });
  const tableName = `tidb-privatelink-state-${randomUUID().slice(0, 8)}`;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: KEY_ATTRIBUTE, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: KEY_ATTRIBUTE, KeyType: 'HASH' }],
    }),
  );
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    }),
  );
  return {
    client,
    tableName,
    drop: async () => {
      await client.send(new DeleteTableCommand({ TableName: tableName }));
      client.destroy();
    },
  };
}
