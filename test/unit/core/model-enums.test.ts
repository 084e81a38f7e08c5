/**
 * The model's documented enums are the one list the plan, the doctor and the tests share: they must be the
 * swagger's own (TiDB) and EC2's, or an unknown value would be acted on, or a documented one treated as unknown.
 */
import { describe, expect, it } from 'vitest';
import {
  CLUSTER_STATES,
  CONNECTION_STATES,
  ENDPOINT_STATES,
  isDocumented,
  SERVICE_STATES,
} from '../../../functions/core/model.ts';
import { swaggerEnum } from '../../../testing/tidbcloud-simulator/swagger.ts';

describe('documented enums', () => {
  it.each([
    ['commonv1beta1ClusterState', CLUSTER_STATES],
    ['dedicatedv1beta1PrivateLinkServiceState', SERVICE_STATES],
    ['dedicatedv1beta1PrivateEndpointConnectionEndpointState', CONNECTION_STATES],
  ])('%s is exactly the swagger’s', (name, model) => {
    expect([...model].sort()).toEqual([...swaggerEnum(name)].sort());
  });

  it('EC2 endpoint states: the API reference’s, less `partial` (no step fits it: the plan waits, naming it)', () => {
    expect(ENDPOINT_STATES).toEqual([
      'pendingAcceptance',
      'pending',
      'available',
      'deleting',
      'deleted',
      'rejected',
      'failed',
      'expired',
    ]);
    expect(isDocumented(ENDPOINT_STATES, 'partial')).toBe(false);
    expect(isDocumented(CLUSTER_STATES, 'PAUSED')).toBe(true);
    expect(isDocumented(CLUSTER_STATES, 'paused')).toBe(false);
  });
});
