/**
 * The stack's TiDB Cloud request ring in the state table: one item per limit (`quota#ring-<limit>`) holding
 * the next take number (`next`), the latest take's send time (`last`) and the sampled takes' send times
 * (`s0` … `s99`, epoch ms; at most 100: about 1.2 KB, 2 write units). A take is one conditional UpdateItem
 * (the only DynamoDB action the reconcile's role has); a refused one returns the item with the refusal, so
 * no read is needed. The item expires an hour after its latest take (the table's TTL attribute): by then
 * every slot is older than a window, so losing the item loses nothing.
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
const SLOT = /^s(\d+)$/;

export const quotaKeyOf = (limit: number) => `quota#ring-${limit}`;

/** The ring in a refusal's item (raw attribute values: the document client leaves errors as they are). */
function ringOf(item: Record<string, AttributeValue> = {}): QuotaRing {
  const slots: number[] = [];
  for (const [name, value] of Object.entries(item)) {
    const slot = SLOT.exec(name)?.[1];
    if (slot !== undefined && value.N !== undefined) slots[Number(slot)] = Number(value.N);
  }
  const last = item.last?.N;
  return { next: Number(item.next?.N ?? 0), ...(last === undefined ? {} : { last: Number(last) }), slots };
}

/**
 * The write and its condition: the number is still ours, no take was sent after this one, the checked slot
 * is a window old; then the number moves on, `last` and the sampled slot take this send time.
 */
function writeOf(take: QuotaTake) {
  const names: Record<string, string> = { '#next': 'next', '#last': 'last', '#ttl': TTL_ATTRIBUTE };
  const values: Record<string, number> = {
    ':after': take.index + 1,
    ':at': take.at,
    ':ttl': Math.ceil(take.at / 1000) + KEEP_S,
  };
  const clauses = ['(attribute_not_exists(#last) OR #last <= :at)'];
  if (take.index === 0) clauses.unshift('attribute_not_exists(#next)');
  else {
    clauses.unshift('#next = :index');
    values[':index'] = take.index;
  }
  if (take.check !== undefined) {
    names['#checked'] = `s${take.check.slot}`;
    values[':freeBefore'] = take.check.freeBefore;
    clauses.push('(attribute_not_exists(#checked) OR #checked <= :freeBefore)');
  }
  const sets = ['#next = :after', '#last = :at', '#ttl = :ttl'];
  if (take.recordSlot !== undefined) {
    names['#recorded'] = `s${take.recordSlot}`;
    sets.push('#recorded = :at');
  }
  return {
    UpdateExpression: `SET ${sets.join(', ')}`,
    ConditionExpression: clauses.join(' AND '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
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
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [KEY_ATTRIBUTE]: quotaKeyOf(take.limit) },
          ...writeOf(take),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
        { abortSignal: options.signal },
      );
      return { taken: true };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { taken: false, ring: ringOf(error.Item) };
      throw toAwsError(error, 'dynamodb:UpdateItem');
    }
  }
}
