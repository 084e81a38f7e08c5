/**
 * The stack's TiDB Cloud request ring in the state table: one item per ring size (`quota#ring-<size>`)
 * holding the next take number (`next`) and each slot's latest send time (`s0` … `s<size-1>`, epoch ms).
 * A take is one conditional UpdateItem (the only DynamoDB action the reconcile's role has); a refused one
 * returns the item with the refusal, so no read is needed. The item expires an hour after its latest take
 * (the table's TTL attribute): by then every slot is older than a window, so losing it loses nothing.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CallOptions, QuotaCounter, QuotaRing, QuotaTake } from '../../core/ports.ts';
import { toAwsError } from './clients.ts';
import { KEY_ATTRIBUTE, TTL_ATTRIBUTE } from './dynamodb-registry.ts';

const KEEP_S = 3600;

export const quotaKeyOf = (size: number) => `quota#ring-${size}`;
const slotAttribute = (slot: number) => `s${slot}`;

/** The ring in a refusal's item (raw attribute values: the document client leaves errors as they are). */
function ringOf(item: Record<string, AttributeValue> | undefined, size: number): QuotaRing {
  const numberOf = (value: AttributeValue | undefined) =>
    value?.N === undefined ? undefined : Number(value.N);
  return {
    next: numberOf(item?.next) ?? 0,
    slots: Array.from({ length: size }, (_, slot) => numberOf(item?.[slotAttribute(slot)])),
  };
}

/** The condition and its placeholders: the number is still ours, the slot is free, time does not run back. */
function conditionOf(take: QuotaTake) {
  const names: Record<string, string> = { '#next': 'next', '#slot': slotAttribute(take.slot) };
  const values: Record<string, number> = { ':freeBefore': take.freeBefore };
  const clauses = ['(attribute_not_exists(#slot) OR #slot <= :freeBefore)'];
  if (take.index === 0) clauses.unshift('attribute_not_exists(#next)');
  else {
    clauses.unshift('#next = :index');
    values[':index'] = take.index;
  }
  if (take.previousSlot !== undefined) {
    names['#previous'] = slotAttribute(take.previousSlot);
    clauses.push('(attribute_not_exists(#previous) OR #previous <= :at)');
  }
  return { expression: clauses.join(' AND '), names, values };
}

export class DynamoDbQuotaCounter implements QuotaCounter {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  async tryTake(
    take: QuotaTake,
    options: CallOptions = {},
  ): Promise<{ taken: true } | { taken: false; ring: QuotaRing }> {
    const condition = conditionOf(take);
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [KEY_ATTRIBUTE]: quotaKeyOf(take.size) },
          UpdateExpression: 'SET #next = :after, #slot = :at, #ttl = :ttl',
          ConditionExpression: condition.expression,
          ExpressionAttributeNames: { ...condition.names, '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: {
            ...condition.values,
            ':after': take.index + 1,
            ':at': take.at,
            ':ttl': Math.ceil(take.at / 1000) + KEEP_S,
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
        { abortSignal: options.signal },
      );
      return { taken: true };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        return { taken: false, ring: ringOf(error.Item, take.size) };
      throw toAwsError(error, 'dynamodb:UpdateItem');
    }
  }
}
