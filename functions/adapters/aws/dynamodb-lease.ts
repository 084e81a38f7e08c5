/**
 * Leases in the state table: one item per lease (`lease#<name>`) with its holder and `leaseUntil` (epoch ms).
 * Taking and releasing are each one conditional UpdateItem (the one DynamoDB action the reconcile's role
 * has), comparing times in the condition: the table's TTL deletes items up to days late, so it never decides
 * whether a lease is free, and the lease item carries no TTL at all.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CallOptions, LeaseHeld, LeaseStore } from '../../core/ports.ts';
import { toAwsError } from './clients.ts';
import { KEY_ATTRIBUTE } from './dynamodb-registry.ts';

const keyOf = (name: string) => ({ [KEY_ATTRIBUTE]: `lease#${name}` });

/** The holder in the item a refused take returns (raw attribute values: the document client leaves errors as they are). */
function heldOf(item: Record<string, AttributeValue> | undefined): LeaseHeld {
  return { holder: item?.holder?.S ?? 'an unknown holder', until: Number(item?.leaseUntil?.N ?? 0) };
}

export class DynamoDbLeaseStore implements LeaseStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  async tryTake(
    name: string,
    lease: LeaseHeld,
    freeBefore: number,
    options: CallOptions = {},
  ): Promise<{ taken: true } | { taken: false; heldBy: LeaseHeld }> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(name),
          UpdateExpression: 'SET holder = :holder, leaseUntil = :until',
          ConditionExpression: 'attribute_not_exists(leaseUntil) OR leaseUntil < :freeBefore',
          ExpressionAttributeValues: {
            ':holder': lease.holder,
            ':until': lease.until,
            ':freeBefore': freeBefore,
          },
          // Who holds it comes back with the refusal: no second read (and no GetItem permission) needed.
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
        { abortSignal: options.signal },
      );
      return { taken: true };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        return { taken: false, heldBy: heldOf(error.Item) };
      throw toAwsError(error, 'dynamodb:UpdateItem');
    }
  }

  async release(name: string, lease: LeaseHeld, options: CallOptions = {}): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(name),
          UpdateExpression: 'REMOVE holder, leaseUntil',
          ConditionExpression: 'holder = :holder AND leaseUntil = :until',
          ExpressionAttributeValues: { ':holder': lease.holder, ':until': lease.until },
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
