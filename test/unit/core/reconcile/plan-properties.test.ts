/**
 * plan() over every value of every enum it reads, plus arbitrary strings (states newer than this code): the
 * gates hold whatever TiDB Cloud and EC2 answer. Which endpoint is "live" is decided here from EC2's own
 * documentation, not from the code's GONE_STATES, so a wrong production constant cannot pass its own test.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CLUSTER_ID_TAG,
  CLUSTER_STATES,
  type ClusterState,
  CONNECTION_STATES,
  type ConnectionState,
  ENDPOINT_STATES,
  isDocumented,
  MANAGED_BY_TAG,
  MANAGED_BY_VALUE,
  NODE_GROUP_ID_TAG,
  type PrivateLinkServiceState,
  SERVICE_STATES,
  SUBNET_CONFIG_TAG,
  type VpcEndpoint,
  type VpcEndpointState,
} from '../../../../functions/core/model.ts';
import { subnetConfigOf } from '../../../../functions/core/reconcile/identity.ts';
import { GONE_STATES, observationOf } from '../../../../functions/core/reconcile/observe.ts';
import { plan, staleSubnetConfig } from '../../../../functions/core/reconcile/plan.ts';
import {
  DEFAULT_PENDING_TIMEOUT_MIN,
  DEFAULT_STACK_NAME,
  type ReconcileSettings,
} from '../../../../functions/core/reconcile/types.ts';

const VERIFICATION_STATES = ['verified', 'pendingVerification', 'failed'];

/**
 * Every VPC endpoint state EC2 documents (Amazon EC2 API Reference, data type `VpcEndpoint`, member `State`:
 * PendingAcceptance | Pending | Available | Deleting | Deleted | Rejected | Failed | Expired | Partial), in
 * the lowercase spelling the API returns, and whether such an endpoint still stands for its key. Gone: EC2
 * is removing it or has removed it, or the request expired; nothing brings it back, so a new endpoint is the
 * only way forward. Every other state, and any state EC2 may add later, is live: a second endpoint beside
 * it would be a duplicate (`rejected` and `failed` wait for a person to delete them).
 */
const EC2_ENDPOINT_STATES = {
  pendingAcceptance: 'live',
  pending: 'live',
  available: 'live',
  deleting: 'gone',
  deleted: 'gone',
  rejected: 'live',
  failed: 'live',
  expired: 'gone',
  partial: 'live',
} as const satisfies Record<string, 'live' | 'gone'>;
const DOCUMENTED_ENDPOINT_STATES = Object.keys(EC2_ENDPOINT_STATES);
type DocumentedEndpointState = keyof typeof EC2_ENDPOINT_STATES;

/** The test's own verdict: an endpoint is live unless EC2 documents its state as gone. */
const isLive = (state: string): boolean =>
  !Object.hasOwn(EC2_ENDPOINT_STATES, state) ||
  EC2_ENDPOINT_STATES[state as DocumentedEndpointState] === 'live';

const CLUSTER_ID = '1379661944646413143';
const GROUP_ID = '1934178998036000000';
const NOW = Date.parse('2026-01-01T01:00:00Z');

const settings: ReconcileSettings = {
  region: 'us-east-1',
  vpcId: 'vpc-0a1',
  subnetIds: ['subnet-0a', 'subnet-0c'],
  securityGroupIds: ['sg-01'],
  pollIntervalMs: 5000,
  stackName: DEFAULT_STACK_NAME,
  pendingTimeoutMs: DEFAULT_PENDING_TIMEOUT_MIN * 60_000,
};

/** Every documented value, and now and then something no spec names. */
const enumOrNew = (values: readonly string[]) =>
  fc.oneof(fc.constantFrom(...values), fc.string({ maxLength: 12 }));

const endpointArb = fc.record({
  id: fc.constantFrom('vpce-01', 'vpce-02', 'vpce-03'),
  state: enumOrNew(DOCUMENTED_ENDPOINT_STATES),
  privateDnsEnabled: fc.boolean(),
  subnetsAsConfigured: fc.boolean(),
  minutesOld: fc.integer({ min: 0, max: 120 }),
});

type EndpointCase = typeof endpointArb extends fc.Arbitrary<infer T> ? T : never;

const worldArb = fc.record({
  clusterState: enumOrNew(CLUSTER_STATES),
  serviceState: fc.option(enumOrNew(SERVICE_STATES), { nil: undefined }),
  connectionState: fc.option(enumOrNew(CONNECTION_STATES), { nil: undefined }),
  endpoints: fc.array(endpointArb, { maxLength: 3 }),
  verification: fc.option(enumOrNew(VERIFICATION_STATES), { nil: undefined }),
  vpcDns: fc.boolean(),
});

type WorldCase = typeof worldArb extends fc.Arbitrary<infer T> ? T : never;

function endpointOf(e: EndpointCase): VpcEndpoint {
  return {
    vpcEndpointId: e.id,
    vpcId: settings.vpcId,
    serviceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0abc',
    state: e.state as VpcEndpointState,
    subnetIds: ['subnet-0a'],
    securityGroupIds: ['sg-01'],
    networkInterfaceIds: [],
    privateDnsEnabled: e.privateDnsEnabled,
    tags: {
      [MANAGED_BY_TAG]: MANAGED_BY_VALUE,
      [CLUSTER_ID_TAG]: CLUSTER_ID,
      [NODE_GROUP_ID_TAG]: GROUP_ID,
      [SUBNET_CONFIG_TAG]: subnetConfigOf(e.subnetsAsConfigured ? settings.subnetIds : ['subnet-0z']),
    },
    createdAt: new Date(NOW - e.minutesOld * 60_000).toISOString(),
  };
}

function scenario(w: WorldCase) {
  const endpoints = w.endpoints.map(endpointOf);
  const cluster = {
    clusterId: CLUSTER_ID,
    displayName: 'orders',
    regionId: 'aws-us-east-1',
    cloudProvider: 'aws' as const,
    state: w.clusterState as ClusterState,
    port: 4000,
    labels: {},
    nodeGroups: [{ tidbNodeGroupId: GROUP_ID, displayName: 'DefaultGroup', isDefaultGroup: true }],
  };
  const connections = endpoints.map((endpoint) => ({
    privateEndpointConnectionId: `conn-${endpoint.vpcEndpointId}`,
    clusterId: CLUSTER_ID,
    tidbNodeGroupId: GROUP_ID,
    endpointId: endpoint.vpcEndpointId,
    endpointState: (w.connectionState ?? 'PENDING') as ConnectionState,
    message: '',
    host: '',
    privateLinkServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0abc',
  }));
  const snapshot = {
    clusters: [cluster],
    connections: w.connectionState === undefined ? [] : connections,
    endpoints,
  };
  const observed = {
    ...observationOf(cluster, GROUP_ID, snapshot, settings),
    ...(w.serviceState === undefined
      ? {}
      : {
          service: {
            tidbNodeGroupId: GROUP_ID,
            serviceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0abc',
            serviceDnsName: 'privatelink-1.abc.clusters.tidb-cloud.com',
            availableZones: ['use1-az1', 'use1-az4'],
            state: w.serviceState as PrivateLinkServiceState,
            regionId: 'aws-us-east-1',
          },
        }),
    vpc: {
      subnets: [
        {
          subnetId: 'subnet-0a',
          vpcId: 'vpc-0a1',
          availabilityZone: 'us-east-1a',
          availabilityZoneId: 'use1-az4',
          cidrBlock: '10.0.0.0/24',
        },
        {
          subnetId: 'subnet-0c',
          vpcId: 'vpc-0a1',
          availabilityZone: 'us-east-1c',
          availabilityZoneId: 'use1-az1',
          cidrBlock: '10.0.2.0/24',
        },
      ],
      zones: [
        { zoneName: 'us-east-1a', zoneId: 'use1-az4' },
        { zoneName: 'us-east-1c', zoneId: 'use1-az1' },
      ],
      dns: { enableDnsSupport: w.vpcDns, enableDnsHostnames: true },
    },
    serviceZoneNames: ['us-east-1a', 'us-east-1c'],
    foreignEndpoints: [],
    ...(w.verification === undefined
      ? {}
      : { servicePrivateDns: { name: 'x.clusters.tidb-cloud.com', verificationState: w.verification } }),
  };
  return { endpoints, observed, decision: plan(observed, settings, NOW) };
}

const createsEndpoint = ({ decision }: ReturnType<typeof scenario>): boolean =>
  decision.kind === 'act' && decision.action.type === 'create-endpoint';

/** The property's check: a create-endpoint decision while a live endpoint stands is a duplicate. */
function createsBesideLiveEndpoint(w: WorldCase): boolean {
  const outcome = scenario(w);
  return createsEndpoint(outcome) && outcome.endpoints.some((endpoint) => isLive(endpoint.state));
}

/** Every gate open: an ACTIVE cluster and service, a verified name, VPC DNS on, no TiDB connection yet. */
const openWorld = (state: string): WorldCase => ({
  clusterState: 'ACTIVE',
  serviceState: 'ACTIVE',
  connectionState: undefined,
  endpoints: [{ id: 'vpce-01', state, privateDnsEnabled: false, subnetsAsConfigured: true, minutesOld: 1 }],
  verification: 'verified',
  vpcDns: true,
});

describe('the endpoint states the test judges by', () => {
  it("covers every state the code's model lists (a misspelt model state would not be EC2's)", () => {
    for (const state of ENDPOINT_STATES) expect(DOCUMENTED_ENDPOINT_STATES).toContain(state);
  });

  it.each(DOCUMENTED_ENDPOINT_STATES)(
    'with one %s endpoint and every gate open, plan() creates one only if it is gone',
    (state) => {
      expect(createsEndpoint(scenario(openWorld(state)))).toBe(!isLive(state));
    },
  );

  // The property's check must not lean on the production constant: with GONE_STATES wrongly counting a
  // live state as gone, plan() creates a duplicate and the check says so.
  it.each(DOCUMENTED_ENDPOINT_STATES.filter(isLive))(
    'catches a GONE_STATES that wrongly counts %s as gone',
    (state) => {
      const gone = GONE_STATES as Set<string>;
      const wasGone = gone.has(state);
      gone.add(state);
      try {
        expect(createsBesideLiveEndpoint(openWorld(state))).toBe(true);
      } finally {
        if (!wasGone) gone.delete(state);
      }
      expect(createsBesideLiveEndpoint(openWorld(state))).toBe(false);
    },
  );
});

describe('plan() properties over every enum value and unknown ones', () => {
  it('never enables private DNS unless TiDB says ACTIVE and the endpoint is available', () => {
    fc.assert(
      fc.property(worldArb, (w) => {
        const { observed, decision } = scenario(w);
        if (decision.kind === 'act' && decision.action.type === 'enable-private-dns') {
          expect(observed.connection?.endpointState).toBe('ACTIVE');
          expect(observed.endpoint?.state).toBe('available');
          expect(observed.cluster.state).toBe('ACTIVE');
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('never creates a second endpoint when a live one exists for the key', () => {
    fc.assert(
      fc.property(worldArb, (w) => {
        expect(createsBesideLiveEndpoint(w)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('takes no step on a cluster state outside the swagger, and names it verbatim', () => {
    fc.assert(
      fc.property(worldArb, (w) => {
        fc.pre(!isDocumented(CLUSTER_STATES, w.clusterState));
        const { decision } = scenario(w);
        expect(decision).toMatchObject({
          kind: 'wait',
          waitingFor: expect.stringContaining(`"${w.clusterState}"`),
        });
      }),
      { numRuns: 300 },
    );
  });

  it('keeps no books (the subnet-config tag) while any state outside the enums is seen', () => {
    fc.assert(
      fc.property(worldArb, (w) => {
        const { observed } = scenario(w);
        fc.pre(observed.endpoint !== undefined);
        // The subnets as configured, the tag stale: the tag is due, unless a state this code does not know is seen.
        const endpoint = observed.endpoint && {
          ...observed.endpoint,
          subnetIds: [...settings.subnetIds].reverse(),
          tags: { ...observed.endpoint.tags, [SUBNET_CONFIG_TAG]: 'stale' },
        };
        const write = staleSubnetConfig({ ...observed, endpoint }, settings);
        const documented =
          isDocumented(CLUSTER_STATES, observed.cluster.state) &&
          isDocumented(ENDPOINT_STATES, endpoint?.state ?? '') &&
          isDocumented(CONNECTION_STATES, observed.connection?.endpointState ?? 'ACTIVE') &&
          isDocumented(SERVICE_STATES, observed.service?.state ?? 'ACTIVE');
        const live = ['pendingAcceptance', 'pending', 'available'].includes(endpoint?.state ?? '');
        expect(write !== undefined).toBe(documented && live);
      }),
      { numRuns: 2000 },
    );
  });

  it('is Ready only when every gate holds', () => {
    fc.assert(
      fc.property(worldArb, (w) => {
        const { observed, decision } = scenario(w);
        if (decision.kind === 'ready') {
          expect(observed.endpoint).toMatchObject({ state: 'available', privateDnsEnabled: true });
          expect(observed.connection?.endpointState).toBe('ACTIVE');
        }
      }),
      { numRuns: 2000 },
    );
  });
});
