/** `Endpoint Ready`'s `known` stands in for TiDB Cloud reads only when it is whole, ours and fresh. */
import { describe, expect, it } from 'vitest';
import { READY_FACTS_FRESH_MS, readyFactsOf } from '../../../functions/app/inbound-events.ts';
import type { ReadyFacts } from '../../../functions/core/model.ts';
import { CLUSTER_ID, healthyWorld, NODE_GROUP_ID, VPCE_ID } from '../core/diagnose/fakes.ts';

const NOW = Date.parse('2026-12-07T12:00:00Z');
const world = healthyWorld();
const facts: ReadyFacts = {
  cluster: world.cluster,
  service: world.service,
  connection: world.connections[0] as ReadyFacts['connection'],
};

function ready(overrides: { ageMs?: number; known?: unknown; clusterId?: string } = {}) {
  return {
    'detail-type': 'PrivateLink Endpoint Ready',
    time: new Date(NOW - (overrides.ageMs ?? 1_000)).toISOString(),
    detail: {
      clusterId: overrides.clusterId ?? CLUSTER_ID,
      tidbNodeGroupId: NODE_GROUP_ID,
      vpcEndpointId: VPCE_ID,
      ...('known' in overrides ? { known: overrides.known } : { known: facts }),
    },
  };
}

describe('readyFactsOf', () => {
  it('takes whole, fresh facts about the event’s own cluster and endpoint', () => {
    expect(readyFactsOf(ready(), NOW)).toEqual(facts);
  });

  it('leaves stale facts (a late retry) to a fresh read', () => {
    expect(readyFactsOf(ready({ ageMs: READY_FACTS_FRESH_MS + 1 }), NOW)).toBeUndefined();
    expect(readyFactsOf(ready({ ageMs: READY_FACTS_FRESH_MS - 1 }), NOW)).toEqual(facts);
  });

  it('ignores facts about another cluster or another endpoint', () => {
    expect(readyFactsOf(ready({ clusterId: '42' }), NOW)).toBeUndefined();
    const otherEndpoint = {
      ...facts,
      connection: { ...facts.connection, endpointId: 'vpce-0ffffffffffffffff' },
    };
    expect(readyFactsOf(ready({ known: otherEndpoint }), NOW)).toBeUndefined();
  });

  it.each([
    ['absent (an event from an earlier version)', undefined],
    ['not an object', 'ACTIVE'],
    ['without the service', { cluster: facts.cluster, connection: facts.connection }],
    ['with a port that is not a number', { ...facts, cluster: { ...facts.cluster, port: '4000' } }],
    ['with zones that are not strings', { ...facts, service: { ...facts.service, availableZones: [1] } }],
  ])('ignores facts %s', (_, known) => {
    expect(readyFactsOf(ready({ known }), NOW)).toBeUndefined();
  });

  it('ignores an event without a time', () => {
    const { time: _time, ...untimed } = ready();
    expect(readyFactsOf(untimed, NOW)).toBeUndefined();
  });
});
