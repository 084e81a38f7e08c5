/** The pure orphan rules: mark once, delete only after the grace period (connection first), unmark on return. */
import { describe, expect, it } from 'vitest';
import {
  MANAGED_BY_TAG,
  MANAGED_BY_VALUE,
  ORPHANED_SINCE_TAG,
  type PrivateEndpointConnection,
  type VpcEndpoint,
} from '../../../../functions/core/model.ts';
import { deletesAt, planOrphan, type Verdict } from '../../../../functions/core/reconcile/orphan-plan.ts';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-26T00:00:00.000Z');

function endpoint(tags: Record<string, string> = {}): VpcEndpoint {
  return {
    vpcEndpointId: 'vpce-0abc',
    vpcId: 'vpc-0abc',
    serviceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0abc',
    state: 'available',
    subnetIds: [],
    securityGroupIds: [],
    networkInterfaceIds: [],
    privateDnsEnabled: true,
    tags: { [MANAGED_BY_TAG]: MANAGED_BY_VALUE, ...tags },
  };
}

const orphaned = (tags?: Record<string, string>): Verdict => ({
  kind: 'orphaned',
  endpoint: endpoint(tags),
  why: 'cluster 1 is DELETED',
});
const marked = { [ORPHANED_SINCE_TAG]: new Date(T0).toISOString() };
const connection = { privateEndpointConnectionId: '42' } as PrivateEndpointConnection;

describe('planOrphan', () => {
  it('marks an orphan the first time it is seen, with the time it was seen, and nothing else', () => {
    expect(planOrphan(orphaned(), T0, HOUR, connection)).toEqual([
      { type: 'mark-orphaned', vpcEndpointId: 'vpce-0abc', orphanedSince: '2026-11-26T00:00:00.000Z' },
    ]);
  });

  it('does nothing more to a marked orphan while the grace period lasts, or when deletion is off', () => {
    expect(planOrphan(orphaned(marked), T0 + HOUR - 1, HOUR, connection)).toEqual([]);
    expect(planOrphan(orphaned(marked), T0 + 10_000 * HOUR, undefined, connection)).toEqual([]);
  });

  it('deletes the TiDB connection first, then the endpoint, once the grace period is over', () => {
    expect(planOrphan(orphaned(marked), T0 + HOUR, HOUR, connection)).toEqual([
      { type: 'delete-connection', vpcEndpointId: 'vpce-0abc', privateEndpointConnectionId: '42' },
      { type: 'delete-endpoint', vpcEndpointId: 'vpce-0abc' },
    ]);
    expect(planOrphan(orphaned(marked), T0 + 2 * HOUR, HOUR)).toEqual([
      { type: 'delete-endpoint', vpcEndpointId: 'vpce-0abc' },
    ]);
  });

  it('re-marks an endpoint whose mark someone made unreadable, rather than deleting on a guess', () => {
    const actions = planOrphan(orphaned({ [ORPHANED_SINCE_TAG]: 'yesterday' }), T0, HOUR, connection);
    expect(actions.map((action) => action.type)).toEqual(['mark-orphaned']);
  });

  it('takes the mark off when the cluster is back, and leaves an unmarked live endpoint alone', () => {
    expect(planOrphan({ kind: 'alive', endpoint: endpoint(marked) }, T0, HOUR)).toEqual([
      { type: 'clear-orphaned', vpcEndpointId: 'vpce-0abc' },
    ]);
    expect(planOrphan({ kind: 'alive', endpoint: endpoint() }, T0, HOUR)).toEqual([]);
  });
});

describe('deletesAt', () => {
  it('is the mark plus the grace period, and undefined without either', () => {
    expect(deletesAt(endpoint(marked), 48 * HOUR)).toBe(T0 + 48 * HOUR);
    expect(deletesAt(endpoint(marked), undefined)).toBeUndefined();
    expect(deletesAt(endpoint(), 48 * HOUR)).toBeUndefined();
  });
});
