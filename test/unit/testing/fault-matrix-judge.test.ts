/**
 * The fault matrix's judge reads the endpoints' tags as the contract spells them. These cases show it
 * counts what the contract describes and nothing else: endpoints written with a drifted tag key or value
 * (what a wrong production constant would write) leave the row unconverged, so the matrix would fail.
 */
import { describe, expect, it } from 'vitest';
import type { VpcEndpoint } from '../../../functions/core/model.ts';
import { type JudgedConnection, judgeWorld } from '../../../testing/fault-matrix/judge.ts';

const CLUSTERS = ['1379661944646413143', '1379661944646413144'];
const GROUP = '1934178998036000000';

/** An endpoint that has converged, tagged as docs/contracts.md names the tags. */
function readyEndpoint(index: number, tags?: Record<string, string>): VpcEndpoint {
  const clusterId = CLUSTERS[index] ?? '';
  return {
    vpcEndpointId: `vpce-0${index}`,
    vpcId: 'vpc-0a1',
    serviceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0abc',
    state: 'available',
    subnetIds: ['subnet-0a'],
    securityGroupIds: ['sg-01'],
    networkInterfaceIds: [],
    privateDnsEnabled: true,
    tags: tags ?? {
      'tidb-privatelink:managed-by': 'tidb-privatelink',
      'tidb-privatelink:cluster-id': clusterId,
    },
  };
}

const activeConnection = (endpoint: VpcEndpoint, index: number): JudgedConnection => ({
  clusterId: CLUSTERS[index] ?? '',
  tidbNodeGroupId: GROUP,
  endpointId: endpoint.vpcEndpointId,
  endpointState: 'ACTIVE',
});

function judge(endpoints: VpcEndpoint[]) {
  return judgeWorld(CLUSTERS, endpoints, endpoints.map(activeConnection));
}

describe('fault matrix judge', () => {
  it('counts endpoints tagged as the contract says', () => {
    expect(judge([readyEndpoint(0), readyEndpoint(1)])).toEqual({
      converged: 2,
      duplicateEndpoints: 0,
      duplicateConnections: 0,
    });
  });

  const drifts: [string, (clusterId: string) => Record<string, string>][] = [
    [
      'a misspelt managed-by key',
      (id) => ({ 'tidb-privatelink:managedBy': 'tidb-privatelink', 'tidb-privatelink:cluster-id': id }),
    ],
    [
      'another managed-by value',
      (id) => ({ 'tidb-privatelink:managed-by': 'tidb_privatelink', 'tidb-privatelink:cluster-id': id }),
    ],
    [
      'a misspelt cluster-id key',
      (id) => ({ 'tidb-privatelink:managed-by': 'tidb-privatelink', 'tidb-privatelink:cluster': id }),
    ],
  ];
  it.each(drifts)('does not count endpoints written with %s (a wrong production constant)', (_, tagsOf) => {
    const endpoints = [0, 1].map((index) => readyEndpoint(index, tagsOf(CLUSTERS[index] ?? '')));
    expect(judge(endpoints).converged).toBe(0);
  });

  it('counts a second managed endpoint of a cluster, and a second connection, as duplicates', () => {
    const first = readyEndpoint(0);
    const second = { ...readyEndpoint(0), vpcEndpointId: 'vpce-09' };
    const verdict = judgeWorld(
      CLUSTERS,
      [first, second],
      [first, second].map((e) => activeConnection(e, 0)),
    );
    expect(verdict).toMatchObject({ duplicateEndpoints: 1, duplicateConnections: 1, converged: 1 });
  });

  it('does not count an endpoint whose state, DNS or TiDB connection falls short', () => {
    const pending = { ...readyEndpoint(0), state: 'pendingAcceptance' as const };
    const noDns = { ...readyEndpoint(1), privateDnsEnabled: false };
    expect(judge([pending, noDns]).converged).toBe(0);
    const pendingConnection = { ...activeConnection(readyEndpoint(0), 0), endpointState: 'PENDING' };
    expect(judgeWorld(CLUSTERS, [readyEndpoint(0)], [pendingConnection]).converged).toBe(0);
  });
});
