/**
 * The stack's per-minute TiDB Cloud request counter in the state table: one item per minute
 * (`quota#<minute>`), counted up by a conditional update, so concurrent functions never overdraw it.
 * The item expires an hour later (the table's TTL attribute).
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CallOptions, QuotaCounter } from '../../core/ports.ts';
import { toAwsError } from './clients.ts';
import { KEY_ATTRIBUTE, TTL_ATTRIBUTE } from './dynamodb-registry.ts';

const KEEP_S = 3600;

export class DynamoDbQuotaCounter implements QuotaCounter {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  async tryTake(window: number, limit: number, options: CallOptions = {}): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [KEY_ATTRIBUTE]: `quota#${window}` },
          UpdateExpression: 'ADD used :one SET #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(used) OR used < :limit',
          ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':one': 1, ':limit': limit, ':ttl': window * 60 + KEEP_S },
        }),
        { abortSignal: options.signal },
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw toAwsError(error, 'dynamodb:UpdateItem');
    }
  }
}
