import { describe, expect, it } from 'vitest';
import { pollIntervalFor } from '../../../../functions/core/reconcile/reconcile.ts';
import type { ReconcileSettings } from '../../../../functions/core/reconcile/types.ts';

const settings = (requestsPerMinute?: number): ReconcileSettings => ({
  region: 'us-east-1',
  vpcId: 'vpc-1',
  subnetIds: [],
  securityGroupIds: [],
  pollIntervalMs: 5000,
  stackName: 'tidb-privatelink',
  pendingTimeoutMs: 1_800_000,
  ...(requestsPerMinute ? { requestsPerMinute } : {}),
});
const snapshot = (clusters: number, connections: number) =>
  ({
    clusters: Array.from({ length: clusters }),
    connections: Array.from({ length: connections }),
    endpoints: [],
  }) as unknown as Parameters<typeof pollIntervalFor>[1];

describe('pollIntervalFor', () => {
  it('keeps the 5 s poll while two listings a pass are well within a third of the quota', () => {
    expect(pollIntervalFor(settings(95), snapshot(100, 100))).toBe(5000);
  });

  it('stretches the poll so that 1,000 clusters listed every pass use at most a third of 95/min', () => {
    const interval = pollIntervalFor(settings(95), snapshot(1000, 1000));
    const listingsPerMinute = (20 * 60_000) / interval;
    expect(listingsPerMinute).toBeLessThanOrEqual(95 / 3);
    expect(listingsPerMinute).toBeGreaterThan(95 / 3 - 1);
  });

  it('without a quota setting, polls as configured', () => {
    expect(pollIntervalFor(settings(), snapshot(1000, 1000))).toBe(5000);
  });
});
