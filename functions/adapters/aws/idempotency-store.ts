import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KEY_ATTRIBUTE, TTL_ATTRIBUTE } from './dynamodb-registry.ts';

/**
 * Powertools Idempotency's records in the stack's state table, beside the registry's rows: same key
 * attribute, and `expiresAt` (the table's TTL attribute) as their expiry, so DynamoDB removes them itself.
 */
export function createIdempotencyStore(client: DynamoDBClient, tableName: string): DynamoDBPersistenceLayer {
  return new DynamoDBPersistenceLayer({
    tableName,
    keyAttr: KEY_ATTRIBUTE,
    expiryAttr: TTL_ATTRIBUTE,
    awsSdkV3Client: client,
  });
}
