/**
 * Property test of the AZ-ID subnet choice in the reconcile plan (read only: the plan is exercised, not
 * changed). In any account, whatever its AZ names map to, and whatever subnets are configured: the endpoint
 * the plan creates never has two subnets in one AZ, never one in an AZ the service does not support, and
 * leaves no supported AZ uncovered that a configured subnet could have covered.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AvailabilityZone, Subnet } from '../../../../functions/core/model.ts';
import { plan } from '../../../../functions/core/reconcile/plan.ts';
import {
  DEFAULT_PENDING_TIMEOUT_MIN,
  DEFAULT_STACK_NAME,
  type Observation,
  type ReconcileSettings,
} from '../../../../functions/core/reconcile/types.ts';

const ZONE_IDS = ['use1-az1', 'use1-az2', 'use1-az3', 'use1-az4', 'use1-az5', 'use1-az6'];
const NAMES = ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d', 'us-east-1e', 'us-east-1f'];

/** This account's names for the AZ IDs: a random pairing, as AWS shuffles them per account. */
const accountZones: fc.Arbitrary<AvailabilityZone[]> = fc
  .shuffledSubarray(NAMES, { minLength: ZONE_IDS.length, maxLength: ZONE_IDS.length })
  .map((names) => ZONE_IDS.map((zoneId, i) => ({ zoneId, zoneName: names[i] ?? '' })));

const world = accountZones.chain((zones) =>
  fc.record({
    zones: fc.constant(zones),
    subnets: fc.array(fc.constantFrom(...zones), { maxLength: 8 }).map((picked): Subnet[] =>
      picked.map((zone, i) => ({
        subnetId: `subnet-${i}`,
        vpcId: 'vpc-0a1',
        availabilityZone: zone.zoneName,
        availabilityZoneId: zone.zoneId,
        cidrBlock: `10.0.${i}.0/24`,
      })),
    ),
    /** EC2's view, in this account's names (empty: EC2 lists none, TiDB's AZ IDs are used). */
    ec2ZoneNames: fc.subarray(zones.map((zone) => zone.zoneName)),
    /** TiDB's view: AZ IDs. */
    tidbZoneIds: fc.subarray(ZONE_IDS, { minLength: 1 }),
  }),
);

const settings: ReconcileSettings = {
  region: 'us-east-1',
  vpcId: 'vpc-0a1',
  subnetIds: [],
  securityGroupIds: ['sg-01'],
  pollIntervalMs: 5000,
  stackName: DEFAULT_STACK_NAME,
  pendingTimeoutMs: DEFAULT_PENDING_TIMEOUT_MIN * 60_000,
};

type WorldInput = {
  zones: AvailabilityZone[];
  subnets: Subnet[];
  ec2ZoneNames: string[];
  tidbZoneIds: string[];
};

function observation(input: WorldInput): Observation {
  return {
    cluster: {
      clusterId: '1379661944646413143',
      displayName: 'orders',
      regionId: 'aws-us-east-1',
      cloudProvider: 'aws',
      state: 'ACTIVE',
      port: 4000,
      labels: {},
      nodeGroups: [
        { tidbNodeGroupId: '1934178998036000000', displayName: 'DefaultGroup', isDefaultGroup: true },
      ],
    },
    tidbNodeGroupId: '1934178998036000000',
    service: {
      tidbNodeGroupId: '1934178998036000000',
      serviceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0abc',
      serviceDnsName: 'privatelink-19341789.abc.clusters.tidb-cloud.com',
      availableZones: input.tidbZoneIds,
      state: 'ACTIVE',
      regionId: 'aws-us-east-1',
    },
    vpc: {
      subnets: input.subnets,
      zones: input.zones,
      dns: { enableDnsSupport: true, enableDnsHostnames: true },
    },
    serviceZoneNames: input.ec2ZoneNames,
    foreignEndpoints: [],
  };
}

describe('the subnets the plan gives a new endpoint', () => {
  it('one per supported AZ ID, none elsewhere, every coverable supported AZ covered', () => {
    let created = 0;
    fc.assert(
      fc.property(world, (input) => {
        // The supported AZ IDs, worked out here by hand: EC2's names through this account's own mapping,
        // TiDB's AZ IDs only when EC2 lists none.
        const idOf = new Map(input.zones.map((zone) => [zone.zoneName, zone.zoneId]));
        const supported = new Set(
          input.ec2ZoneNames.length > 0
            ? input.ec2ZoneNames.map((name) => idOf.get(name))
            : input.tidbZoneIds,
        );
        const decision = plan(observation(input), settings);
        if (decision.kind !== 'act' || decision.action.type !== 'create-endpoint') {
          // Only when no configured subnet sits in a supported AZ may the plan refuse to create.
          expect(input.subnets.some((subnet) => supported.has(subnet.availabilityZoneId))).toBe(false);
          return;
        }
        created += 1;
        const byId = new Map(input.subnets.map((subnet) => [subnet.subnetId, subnet]));
        const zonesChosen = decision.action.subnetIds.map((id) => byId.get(id)?.availabilityZoneId ?? '?');
        expect(new Set(zonesChosen).size).toBe(zonesChosen.length);
        for (const zone of zonesChosen) expect(supported.has(zone)).toBe(true);
        const coverable = new Set(
          input.subnets.map((subnet) => subnet.availabilityZoneId).filter((zone) => supported.has(zone)),
        );
        expect(new Set(zonesChosen)).toEqual(coverable);
      }),
      { numRuns: 500 },
    );
    // The property is about created endpoints: make sure most runs got that far.
    expect(created).toBeGreaterThan(100);
  });
});

describe('the choice does not depend on the order EC2 lists subnets in', () => {
  it('any order of the same subnets: the same action, subnets sorted as they are sent', () => {
    fc.assert(
      fc.property(
        world.chain((input) =>
          fc.tuple(
            fc.constant(input),
            fc.shuffledSubarray(input.subnets, { minLength: input.subnets.length }),
          ),
        ),
        ([input, reordered]) => {
          const decision = plan(observation(input), settings);
          expect(plan(observation({ ...input, subnets: reordered }), settings)).toEqual(decision);
          if (decision.kind === 'act' && decision.action.type === 'create-endpoint') {
            expect(decision.action.subnetIds).toEqual([...decision.action.subnetIds].sort());
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
