import { describe, expect, it } from 'vitest';
import type { Cluster, ClusterState, VpcEndpoint } from '../../../../functions/core/model.ts';
import {
  isQuietPass,
  pollIntervalFor,
  QUIET_POLL_CAP_MS,
  quietInterval,
} from '../../../../functions/core/reconcile/reconcile.ts';
import type {
  Observation,
  ProvisionOutcome,
  ReconcileSettings,
} from '../../../../functions/core/reconcile/types.ts';

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

describe('quietInterval', () => {
  it('polls at the interval after a pass that took a step, and after the first quiet one', () => {
    expect(quietInterval(5000, 0)).toBe(5000);
    expect(quietInterval(5000, 1)).toBe(5000);
  });

  it('doubles for each further quiet pass, up to the cap', () => {
    expect([2, 3, 4, 5, 9].map((quiet) => quietInterval(5000, quiet))).toEqual([
      10_000,
      QUIET_POLL_CAP_MS,
      QUIET_POLL_CAP_MS,
      QUIET_POLL_CAP_MS,
      QUIET_POLL_CAP_MS,
    ]);
  });

  it('never shortens an interval already longer than the cap (1,000 clusters listed)', () => {
    expect(quietInterval(45_000, 6)).toBe(45_000);
  });
});

describe('isQuietPass', () => {
  const waiting = (state: ClusterState, seen: Partial<Observation> = {}) => {
    const outcome: ProvisionOutcome = {
      clusterId: 'c',
      tidbNodeGroupId: 'g',
      vpcEndpointId: null,
      actions: [],
      phase: 'Progressing',
      waitingFor: 'something',
    };
    const cluster = { clusterId: 'c', state, nodeGroups: [] } as unknown as Cluster;
    return { outcome, last: { cluster, tidbNodeGroupId: 'g', ...seen } };
  };
  const endpoint = { vpcEndpointId: 'vpce-1', state: 'pendingAcceptance' } as VpcEndpoint;

  it('is quiet while clusters only wait: for System Checking, or to be ACTIVE', () => {
    expect(isQuietPass([waiting('ACTIVE', { endpoint }), waiting('CREATING')], true)).toBe(true);
  });

  it('is not quiet while an ACTIVE cluster waits for its private link service: its arrival starts the registrations', () => {
    expect(isQuietPass([waiting('ACTIVE', { endpoint }), waiting('ACTIVE')], true)).toBe(false);
  });

  it('for one cluster (no fleet to start) the service wait is quiet too', () => {
    expect(isQuietPass([waiting('ACTIVE')], false)).toBe(true);
  });

  it('is not quiet after a step', () => {
    const { outcome, last } = waiting('ACTIVE', { endpoint });
    const acted = { ...outcome, actions: [{ type: 'register-endpoint' }] } as unknown as ProvisionOutcome;
    expect(isQuietPass([{ outcome: acted, last }], false)).toBe(false);
  });
});
