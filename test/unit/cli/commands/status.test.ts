/**
 * What `status` prints for people, from a fleet with the longest ids and states the APIs produce. Reading the
 * fleet is tested in test/unit/core/status/; the whole command in test/integration/cli/.
 */
import { describe, expect, it } from 'vitest';
import { statusLines, TERMINAL_WIDTH } from '../../../../functions/cli/commands/status.ts';
import type { Fleet, OrphanRow, StatusRow } from '../../../../functions/core/status/fleet.ts';

/** A 64-character display name, TiDB Cloud's longest. */
const LONG_NAME = 'orders-primary-eu-central-reporting-and-analytics-cluster-000001';

/** The widest value of each column: a 20-digit id, the longest states of cluster, endpoint and connection. */
function row(index: number, extra: Partial<StatusRow> = {}): StatusRow {
  return {
    clusterId: `1379661944646413${String(index).padStart(4, '0')}`,
    displayName: index === 0 ? LONG_NAME : `app-${index}`,
    regionId: 'aws-eu-central-1',
    state: 'MAINTENANCE',
    selected: index % 2 === 0,
    tidbNodeGroupId: `1934178998036${String(index).padStart(7, '0')}`,
    privateLinkService: {
      state: 'ACTIVE',
      serviceName: 'com.amazonaws.vpce.eu-central-1.vpce-svc-0a1b2c3d4e5f60718',
      availableZones: ['euc1-az1', 'euc1-az2', 'euc1-az3'],
    },
    vpcEndpointId: `vpce-0a1b2c3d4e5f6${String(index).padStart(4, '0')}`,
    endpointState: 'pendingAcceptance',
    connectionState: 'DISCOVERED',
    privateDnsEnabled: false,
    health: 'unhealthy',
    ...extra,
  };
}

const orphan: OrphanRow = {
  clusterId: '13796619446464131430',
  tidbNodeGroupId: '19341789980360000001',
  vpcEndpointId: 'vpce-0fedcba98765432100',
  reason: 'cluster 13796619446464131430 has no TiDB node group 19341789980360000001 any more',
  orphanedSince: '2026-11-26T12:00:00.000Z',
  deletesAt: null,
  availabilityZones: 3,
  costPerMonthUsd: 21.9,
};

const fleet: Fleet = { clusters: [row(0), row(1), row(2)], orphans: [orphan] };
const VIEW = { region: 'eu-central-1', wide: false, deletion: false };
const widest = (lines: string[]) => Math.max(...lines.map((line) => line.length));

describe('status for people', () => {
  it(`fits ${TERMINAL_WIDTH} columns by default, even with the longest ids, states and names`, () => {
    const lines = statusLines(fleet, VIEW);
    expect(widest(lines)).toBeLessThanOrEqual(TERMINAL_WIDTH);
    expect(lines[0]).toMatch(/^CLUSTER\s+NAME\s+STATE\s+ENDPOINT\s+AWS\s+TIDB\s+DNS\s+HEALTH$/);
    // Ids and states are whole (people copy them); the name is what gives way.
    expect(lines[1]).toContain('13796619446464130000');
    expect(lines[1]).toContain('vpce-0a1b2c3d4e5f60000');
    expect(lines[1]).toMatch(/MAINTENANCE\s+vpce-\S+\s+pendingAcceptance\s+DISCOVERED\s+off\s+unhealthy$/);
    expect(lines[1]).toMatch(/ orders-prim\S*… /);
    expect(lines.join('\n')).not.toContain(LONG_NAME);
  });

  it('keeps the orphan lines within the width too, cutting only the reason', () => {
    const lines = statusLines(fleet, VIEW);
    const orphanLine = lines.find((line) => line.startsWith('vpce-0fedcba98765432100')) ?? '';
    expect(orphanLine).toMatch(
      /^vpce-0fedcba98765432100\s+13796619446464131430\s+21\.90\s+never\s+cluster .*…$/,
    );
    expect(lines).toContain('Orphans are never deleted while PRIVATELINK_DELETE_ORPHANS_AFTER_H is unset.');
  });

  it('--wide adds the node group, the service, its AZs and the selection, and cuts nothing', () => {
    const lines = statusLines(fleet, { ...VIEW, wide: true });
    expect(lines[0]).toMatch(
      /^CLUSTER\s+NAME\s+STATE\s+NODE GROUP\s+SERVICE\s+SERVICE NAME\s+AZS\s+ENDPOINT\s+AWS\s+TIDB\s+DNS\s+HEALTH\s+SELECTED$/,
    );
    expect(lines[1]).toContain(LONG_NAME);
    expect(lines[1]).toContain('com.amazonaws.vpce.eu-central-1.vpce-svc-0a1b2c3d4e5f60718');
    expect(lines[1]).toContain('euc1-az1,euc1-az2,euc1-az3');
    expect(lines[1]).toMatch(/yes$/);
    expect(lines[2]).toMatch(/no$/);
    expect(lines.join('\n')).toContain(orphan.reason);
    expect(lines.find((line) => line.startsWith('ENDPOINT'))).toMatch(/AZS\s+USD\/MONTH\s+ORPHANED SINCE/);
    expect(widest(lines)).toBeGreaterThan(TERMINAL_WIDTH);
  });

  it('names the VPC of each row when the stack serves several, still within the width for usual states', () => {
    const usual = {
      state: 'ACTIVE',
      endpointState: 'available',
      connectionState: 'ACTIVE',
      health: 'healthy',
    };
    const several: Fleet = {
      clusters: [
        row(0, { ...usual, vpcId: 'vpc-0a1b2c3d4e5f60718' }),
        row(0, { ...usual, vpcId: 'vpc-0f1e2d3c4b5a69788', vpcEndpointId: 'vpce-0b1b2c3d4e5f60000' }),
      ],
      orphans: [],
    };
    const lines = statusLines(several, VIEW);
    expect(lines[0]).toMatch(/^CLUSTER\s+VPC\s+NAME\s+STATE/);
    expect(lines[2]).toContain('vpc-0f1e2d3c4b5a69788');
    expect(widest(lines)).toBeLessThanOrEqual(TERMINAL_WIDTH);
  });

  it('says when an orphan is not marked yet though deletion is on', () => {
    const lines = statusLines({ clusters: [], orphans: [orphan] }, { ...VIEW, deletion: true });
    expect(lines[0]).toBe('No TiDB Cloud Dedicated clusters in aws-eu-central-1.');
    expect(lines.join('\n')).toContain('not marked yet');
    expect(lines.join('\n')).not.toContain('never deleted');
  });
});
