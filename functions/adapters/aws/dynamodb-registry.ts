/**
 * The cluster registry in the stack's DynamoDB table. One table holds several kinds of items, told apart by
 * their key: cluster rows (`cluster#<id>`), the probe's health rows (`health#<vpce-id>`) and Powertools
 * idempotency records (`<function>#<hash>`). `expiresAt` is the table's TTL attribute: set on idempotency
 * records, on rows of deleted clusters and on health rows, never on a live cluster's row, which lives as long
 * as the cluster.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  paginateScan,
  UpdateCommand,
  type UpdateCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import type {
  CallOptions,
  ClusterRecord,
  ClusterRegistry,
  HealthKey,
  HealthRecordPort,
  ServiceFacts,
} from '../../core/ports.ts';
import { toAwsError } from './clients.ts';

/** The partition key of every item; Powertools' idempotency layer is configured with the same name. */
export const KEY_ATTRIBUTE = 'pk';
/** The table's TTL attribute (epoch seconds). */
export const TTL_ATTRIBUTE = 'expiresAt';

const PREFIX = 'cluster#';
const keyOf = (clusterId: string) => ({ [KEY_ATTRIBUTE]: `${PREFIX}${clusterId}` });
const iso = (ms: number) => new Date(ms).toISOString();
const healthKeyOf = (vpcEndpointId: string) => ({ [KEY_ATTRIBUTE]: `health#${vpcEndpointId}` });
/**
 * A health row lives this long after its last flip. It only arbitrates between overlapping probe runs: once
 * it has expired the endpoint's health tag is the record again, and a deleted endpoint leaves nothing behind.
 */
export const HEALTH_ROW_RETAIN_S = 30 * 86_400;

function recordOf(item: Record<string, unknown>): ClusterRecord {
  const text = (name: string) => (typeof item[name] === 'string' ? (item[name] as string) : undefined);
  const service = item.service as ServiceFacts | undefined;
  return {
    clusterId: text('clusterId') ?? String(item[KEY_ATTRIBUTE]).slice(PREFIX.length),
    tidbNodeGroupId: text('tidbNodeGroupId') ?? '',
    firstSeenAt: text('firstSeenAt') ?? '',
    ...(text('phase') ? { phase: text('phase'), phaseSince: text('phaseSince') } : {}),
    ...(service ? { service } : {}),
    ...(text('deletedAt') ? { deletedAt: text('deletedAt') } : {}),
  };
}

export class DynamoDbClusterRegistry implements ClusterRegistry, HealthRecordPort {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  /** Runs a conditional write; undefined when the condition did not hold (the expected "someone was first"). */
  private async conditional(
    operation: string,
    command: UpdateCommand,
    options: CallOptions,
  ): Promise<UpdateCommandOutput | undefined> {
    try {
      return await this.doc.send(command, { abortSignal: options.signal });
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw toAwsError(error, operation);
    }
  }

  async recordSighting(
    clusterId: string,
    tidbNodeGroupId: string,
    at: number,
    options: CallOptions = {},
  ): Promise<{ first: boolean }> {
    // An update, not a put: the row may already hold a phase or service written before the first sighting.
    const written = await this.conditional(
      'dynamodb:UpdateItem',
      new UpdateCommand({
        TableName: this.tableName,
        Key: keyOf(clusterId),
        UpdateExpression: 'SET firstSeenAt = :at, clusterId = :id, tidbNodeGroupId = :group',
        ConditionExpression: 'attribute_not_exists(firstSeenAt)',
        ExpressionAttributeValues: { ':at': iso(at), ':id': clusterId, ':group': tidbNodeGroupId },
      }),
      options,
    );
    return { first: written !== undefined };
  }

  /**
   * One conditional UpdateItem: the probe calls it only when an endpoint's health differs from its tag, so an
   * unchanged fleet costs no write. Of overlapping runs that saw the same flip, exactly one passes the
   * condition; the old value comes back with the write, so no read is needed to name the previous health.
   */
  async recordHealth(
    key: HealthKey,
    health: string,
    at: number,
    options: CallOptions = {},
  ): Promise<{ changed: true; previous: string | null } | { changed: false }> {
    const written = await this.conditional(
      'dynamodb:UpdateItem',
      new UpdateCommand({
        TableName: this.tableName,
        Key: healthKeyOf(key.vpcEndpointId),
        UpdateExpression:
          'SET #health = :health, healthSince = :at, vpcEndpointId = :vpce, clusterId = :id, tidbNodeGroupId = :group, #ttl = :ttl',
        ConditionExpression: 'attribute_not_exists(#health) OR #health <> :health',
        ExpressionAttributeNames: { '#health': 'health', '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: {
          ':health': health,
          ':at': iso(at),
          ':vpce': key.vpcEndpointId,
          ':id': key.clusterId,
          ':group': key.tidbNodeGroupId,
          ':ttl': Math.floor(at / 1000) + HEALTH_ROW_RETAIN_S,
        },
        ReturnValues: 'UPDATED_OLD',
      }),
      options,
    );
    if (!written) return { changed: false };
    const previous = written.Attributes?.health;
    return { changed: true, previous: typeof previous === 'string' ? previous : null };
  }

  async setPhase(
    clusterId: string,
    phase: string,
    since: number,
    options: CallOptions = {},
  ): Promise<{ changed: boolean; known: boolean; previous?: string }> {
    // Only a different phase moves `since`: a cluster Progressing for an hour says so, not "since this tick".
    const written = await this.conditional(
      'dynamodb:UpdateItem',
      new UpdateCommand({
        TableName: this.tableName,
        Key: keyOf(clusterId),
        UpdateExpression: 'SET #phase = :phase, phaseSince = :since, clusterId = :id',
        ConditionExpression: 'attribute_not_exists(#phase) OR #phase <> :phase',
        ExpressionAttributeNames: { '#phase': 'phase' },
        ExpressionAttributeValues: { ':phase': phase, ':since': iso(since), ':id': clusterId },
        // The row as it was (none: no row). Not UPDATED_OLD: whether an attribute set to its own value counts
        // as updated is not documented, and `clusterId` is.
        ReturnValues: 'ALL_OLD',
      }),
      options,
    );
    if (!written) return { changed: false, known: true, previous: phase };
    const old = written.Attributes;
    const previous = typeof old?.phase === 'string' ? old.phase : undefined;
    // No row before: AWS sends no Attributes; moto sends an empty map. Either means the same.
    const known = old !== undefined && Object.keys(old).length > 0;
    return { changed: true, known, ...(previous ? { previous } : {}) };
  }

  async recordService(clusterId: string, service: ServiceFacts, options: CallOptions = {}): Promise<void> {
    await this.conditional(
      'dynamodb:UpdateItem',
      new UpdateCommand({
        TableName: this.tableName,
        Key: keyOf(clusterId),
        UpdateExpression: 'SET service = :service, clusterId = :id',
        ExpressionAttributeValues: {
          ':service': {
            state: service.state,
            serviceName: service.serviceName,
            availableZones: service.availableZones,
          },
          ':id': clusterId,
        },
      }),
      options,
    );
  }

  async get(clusterId: string, options: CallOptions = {}): Promise<ClusterRecord | undefined> {
    try {
      const { Item } = await this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: keyOf(clusterId), ConsistentRead: true }),
        { abortSignal: options.signal },
      );
      return Item ? recordOf(Item) : undefined;
    } catch (error) {
      throw toAwsError(error, 'dynamodb:GetItem');
    }
  }

  async list(options: CallOptions = {}): Promise<ClusterRecord[]> {
    const records: ClusterRecord[] = [];
    try {
      const pages = paginateScan(
        { client: this.doc },
        {
          TableName: this.tableName,
          FilterExpression: 'begins_with(#pk, :prefix)',
          ExpressionAttributeNames: { '#pk': KEY_ATTRIBUTE },
          ExpressionAttributeValues: { ':prefix': PREFIX },
        },
        { abortSignal: options.signal },
      );
      for await (const page of pages) records.push(...(page.Items ?? []).map(recordOf));
    } catch (error) {
      throw toAwsError(error, 'dynamodb:Scan');
    }
    return records;
  }

  async markDeleted(
    clusterId: string,
    at: number,
    retainSeconds: number,
    options: CallOptions = {},
  ): Promise<void> {
    await this.conditional(
      'dynamodb:UpdateItem',
      new UpdateCommand({
        TableName: this.tableName,
        Key: keyOf(clusterId),
        UpdateExpression: 'SET deletedAt = :at, #ttl = :ttl, clusterId = :id',
        ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: {
          ':at': iso(at),
          ':ttl': Math.floor(at / 1000) + retainSeconds,
          ':id': clusterId,
        },
      }),
      options,
    );
  }
}
