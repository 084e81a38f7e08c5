/**
 * The shared TiDB Cloud request budget on moto's DynamoDB over real HTTP: the adapter's conditional writes
 * (the QuotaCounter contract the in-memory fake runs too), and several budgets, as several functions would,
 * racing for the one ring: every take recorded once, no window over the limit, no update lost.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoDbQuotaCounter, quotaKeyOf } from '../../functions/adapters/aws/dynamodb-quota.ts';
import { KEY_ATTRIBUTE, TTL_ATTRIBUTE } from '../../functions/adapters/aws/dynamodb-registry.ts';
import type { QuotaCounter } from '../../functions/core/ports.ts';
import { SharedBudget, WINDOW_MS } from '../../functions/core/shared-budget.ts';
import { createStateTable, type SandboxTable } from '../../testing/state-table.ts';
import { quotaCounterContract } from '../unit/core/quota-contract.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');
let table: SandboxTable;

beforeAll(async () => {
  table = await createStateTable({ endpointUrl: inject('awsEndpointUrl'), region: inject('awsRegion') });
});

afterAll(() => table?.drop());

// One table for the whole file; every contract test uses a limit (a ring) of its own.
quotaCounterContract(
  'DynamoDbQuotaCounter on moto',
  () => new DynamoDbQuotaCounter(table.client, table.tableName),
);

describe('SharedBudget on moto', () => {
  it('lets racing functions take the limit per window between them, each take recorded exactly once', async () => {
    // A limit the contract tests above do not use.
    const LIMIT = 9;
    const FUNCTIONS = 6;
    const TAKES = 5;
    // Virtual time that only moves forward: a sleep ends at once, having moved time to its end.
    let virtual = T0;
    const clock = {
      now: () => virtual,
      sleep: async (ms: number) => {
        virtual = Math.max(virtual, virtual + ms);
      },
    };
    const recorded: number[] = [];
    let refused = 0;
    const counterOf = (): QuotaCounter => {
      const counter = new DynamoDbQuotaCounter(table.client, table.tableName);
      return {
        tryTake: async (take, options) => {
          const result = await counter.tryTake(take, options);
          if (result.taken) recorded.push(take.at);
          else refused += 1;
          return result;
        },
      };
    };
    await Promise.all(
      Array.from({ length: FUNCTIONS }, async () => {
        const budget = new SharedBudget(counterOf(), LIMIT, clock);
        for (let i = 0; i < TAKES; i++) await budget.take();
      }),
    );
    expect(recorded).toHaveLength(FUNCTIONS * TAKES);
    // All six started on an empty view of the ring at once: five of them lost the first number.
    expect(refused).toBeGreaterThanOrEqual(FUNCTIONS - 1);
    const sorted = [...recorded].sort((a, b) => a - b);
    for (let i = LIMIT; i < sorted.length; i++)
      expect((sorted[i] ?? 0) - (sorted[i - LIMIT] ?? 0)).toBeGreaterThanOrEqual(WINDOW_MS);
    const { Item } = await table.client.send(
      new GetItemCommand({ TableName: table.tableName, Key: { [KEY_ATTRIBUTE]: { S: quotaKeyOf(LIMIT) } } }),
    );
    expect(Item?.next).toEqual({ N: String(FUNCTIONS * TAKES) });
    expect(Item?.[TTL_ATTRIBUTE]).toEqual({ N: String(Math.ceil(Math.max(...recorded) / 1000) + 3600) });
  });
});
