/**
 * The shared TiDB Cloud request budget on moto's DynamoDB over real HTTP: the adapter's conditional writes
 * (the QuotaCounter contract the in-memory fake runs too), and several budgets, as several functions would,
 * racing for the one ring: every take recorded once, no window over the limit, no update lost.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoDbQuotaCounter, quotaKeyOf } from '../../functions/adapters/aws/dynamodb-quota.ts';
import { KEY_ATTRIBUTE, TTL_ATTRIBUTE } from '../../functions/adapters/aws/dynamodb-registry.ts';
import type { QuotaCounter } from '../../functions/core/ports.ts';
import { SharedBudget, WINDOW_MS } from '../../functions/core/shared-budget.ts';
import { OPERATOR_PROVISION, OPERATOR_READ_ONLY } from '../../testing/iam/roles.ts';
import { sandboxPrincipals } from '../../testing/iam/sandbox-roles.ts';
import { sandboxClientConfig } from '../../testing/moto-world.ts';
import { createStateTable, type SandboxTable } from '../../testing/state-table.ts';
import { quotaCounterContract } from '../unit/core/quota-contract.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');
let table: SandboxTable;
/**
 * Who takes from the one ring: every function that calls TiDB Cloud, and a person running the CLI with the
 * state table under either operator policy set.
 */
const TAKERS = [
  'reconcile',
  'provision',
  'probe',
  'troubleshoot',
  OPERATOR_READ_ONLY,
  OPERATOR_PROVISION,
] as const;
/** Each taker's own DynamoDB client: every write decided against its packaged role first (testing/iam). */
const clients = new Map<string, DynamoDBClient>();

beforeAll(async () => {
  const config = { endpointUrl: inject('awsEndpointUrl'), region: inject('awsRegion') };
  table = await createStateTable(config);
  const principals = await sandboxPrincipals({ stateTable: table.tableName });
  for (const fn of TAKERS)
    clients.set(fn, new DynamoDBClient(sandboxClientConfig(config, { as: principals.as(fn) })));
}, 120_000);

afterAll(() => {
  for (const client of clients.values()) client.destroy();
  return table?.drop();
});

const clientOf = (fn: string): DynamoDBClient => {
  const client = clients.get(fn);
  if (!client) throw new Error(`no client for ${fn}`);
  return client;
};

// One table for the whole file; every contract test uses a limit (a ring) of its own.
quotaCounterContract(
  'DynamoDbQuotaCounter on moto (as the probe)',
  () => new DynamoDbQuotaCounter(clientOf('probe'), table.tableName),
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
    const counterOf = (fn: string): QuotaCounter => {
      const counter = new DynamoDbQuotaCounter(clientOf(fn), table.tableName);
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
      Array.from({ length: FUNCTIONS }, async (_, i) => {
        const fn = TAKERS[i % TAKERS.length] as string;
        const budget = new SharedBudget(counterOf(fn), LIMIT, clock);
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
