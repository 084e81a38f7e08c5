import { describe, expect, it } from 'vitest';
import { type ClusterState, SUBNET_CONFIG_TAG, type VpcEndpoint } from '../../../../functions/core/model.ts';
import { subnetConfigOf } from '../../../../functions/core/reconcile/identity.ts';
import { detailsNeeded, plan, staleSubnetConfig } from '../../../../functions/core/reconcile/plan.ts';
import {
  DEFAULT_PENDING_TIMEOUT_MIN,
  DEFAULT_STACK_NAME,
  type Observation,
  type ReconcileSettings,
} from '../../../../functions/core/reconcile/types.ts';

const settings: ReconcileSettings = {
  region: 'us-east-1',
  vpcId: 'vpc-0a1',
  subnetIds: ['subnet-0a', 'subnet-0b', 'subnet-0c'],
  securityGroupIds: ['sg-01'],
  pollIntervalMs: 5000,
  stackName: DEFAULT_STACK_NAME,
  pendingTimeoutMs: DEFAULT_PENDING_TIMEOUT_MIN * 60_000,
};

const MANAGED = {
  'tidb-privatelink:managed-by': 'tidb-privatelink',
  'tidb-privatelink:cluster-id': '1379661944646413143',
  'tidb-privatelink:node-group-id': '1934178998036000000',
  // Made to match the configured subnets (a different digest means the subnet list changed).
  [SUBNET_CONFIG_TAG]: subnetConfigOf(settings.subnetIds),
};

function endpoint(overrides: Partial<VpcEndpoint> = {}): VpcEndpoint {
  return {
    vpcEndpointId: 'vpce-0123',
    vpcId: 'vpc-0a1',
    serviceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0abc',
    state: 'available',
    subnetIds: ['subnet-0a'],
    securityGroupIds: ['sg-01'],
    networkInterfaceIds: [],
    privateDnsEnabled: true,
    tags: MANAGED,
    ...overrides,
  };
}

/** A cluster ready for its endpoint, with VPC facts in which AZ names and IDs are deliberately shuffled. */
function observation(overrides: Partial<Observation> = {}, state: ClusterState = 'ACTIVE'): Observation {
  return {
    cluster: {
      clusterId: '1379661944646413143',
      displayName: 'orders',
      regionId: 'aws-us-east-1',
      cloudProvider: 'aws',
      state,
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
      availableZones: ['use1-az1', 'use1-az4'],
      state: 'ACTIVE',
      regionId: 'aws-us-east-1',
    },
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
          subnetId: 'subnet-0b',
          vpcId: 'vpc-0a1',
          availabilityZone: 'us-east-1b',
          availabilityZoneId: 'use1-az6',
          cidrBlock: '10.0.1.0/24',
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
        { zoneName: 'us-east-1b', zoneId: 'use1-az6' },
        { zoneName: 'us-east-1c', zoneId: 'use1-az1' },
      ],
      dns: { enableDnsSupport: true, enableDnsHostnames: true },
    },
    serviceZoneNames: ['us-east-1a', 'us-east-1c'],
    foreignEndpoints: [],
    ...overrides,
  };
}

const connection = (
  endpointState: 'PENDING' | 'ACTIVE' | 'FAILED' | 'DISCOVERED' | 'DELETING',
  message = '',
) => ({
  privateEndpointConnectionId: '1934214559409000000',
  clusterId: '1379661944646413143',
  tidbNodeGroupId: '1934178998036000000',
  endpointId: 'vpce-0123',
  endpointState,
  message,
  host: endpointState === 'ACTIVE' ? 'privatelink-19341789.abc.clusters.tidb-cloud.com' : '',
  port: 4000,
  privateLinkServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0abc',
});

describe('plan: the cluster gate', () => {
  it('blocks a cluster in another region and names VPC peering', () => {
    const observed = observation();
    observed.cluster.regionId = 'aws-eu-west-1';
    const decision = plan(observed, settings);
    expect(decision).toMatchObject({ kind: 'blocked', reason: 'REGION_MISMATCH' });
    expect(decision.kind === 'blocked' && decision.remediation).toContain('VPC peering');
  });

  it('blocks a cluster on another cloud', () => {
    const observed = observation();
    observed.cluster.cloudProvider = 'gcp';
    observed.cluster.regionId = 'gcp-us-central1';
    expect(plan(observed, settings)).toMatchObject({ kind: 'blocked', reason: 'NOT_AWS' });
  });

  it.each(['PAUSED', 'PAUSING'] as const)('leaves a %s cluster idle: paused on purpose', (state) => {
    expect(plan(observation({}, state), settings)).toMatchObject({ kind: 'idle' });
  });

  it.each(['CREATING', 'MODIFYING', 'RESUMING'] as const)('waits while the cluster is %s', (state) => {
    expect(plan(observation({}, state), settings)).toMatchObject({ kind: 'wait' });
  });

  it('blocks a cluster being deleted', () => {
    expect(plan(observation({}, 'DELETING'), settings)).toMatchObject({
      kind: 'blocked',
      reason: 'CLUSTER_UNAVAILABLE',
    });
  });
});

describe('plan: the five steps in order', () => {
  it('waits for the private link service while it is CREATING or unknown', () => {
    const creating = observation();
    if (creating.service) creating.service = { ...creating.service, state: 'CREATING', serviceName: '' };
    expect(plan(creating, settings)).toMatchObject({
      kind: 'wait',
      waitingFor: expect.stringContaining('3–5 minutes'),
    });
    expect(plan(observation({ service: undefined }), settings)).toMatchObject({ kind: 'wait' });
  });

  it('creates the endpoint only in subnets whose AZ ID the service supports, compared by ID', () => {
    const decision = plan(observation(), settings);
    expect(decision).toEqual({
      kind: 'act',
      action: {
        type: 'create-endpoint',
        subnetIds: ['subnet-0a', 'subnet-0c'],
        skippedSubnets: [expect.objectContaining({ subnetId: 'subnet-0b', availabilityZoneId: 'use1-az6' })],
      },
    });
  });

  it("falls back to TiDB's availableZones when EC2 lists no zones", () => {
    const decision = plan(observation({ serviceZoneNames: [] }), settings);
    expect(decision.kind === 'act' && decision.action).toMatchObject({
      subnetIds: ['subnet-0a', 'subnet-0c'],
    });
  });

  it("reads TiDB's zones as AZ IDs only, never through this account's names", () => {
    // `us-east-1a` is use1-az4 in this account, but a name from TiDB's side means nothing here.
    const observed = observation({ serviceZoneNames: [] });
    if (observed.service) observed.service.availableZones = ['use1-az1', 'us-east-1a'];
    const decision = plan(observed, settings);
    expect(decision.kind === 'act' && decision.action).toMatchObject({ subnetIds: ['subnet-0c'] });
  });

  it('blocks PRIVATE_DNS_UNAVAILABLE before creating when EC2 shows no verified private DNS name', () => {
    const name = 'privatelink-1.abc.clusters.tidb-cloud.com';
    const cases: Array<[Observation['servicePrivateDns'], string]> = [
      [{}, 'blocked'],
      [{ name, verificationState: 'pendingVerification' }, 'blocked'],
      [{ name, verificationState: 'failed' }, 'blocked'],
      [{ name, verificationState: 'verified' }, 'act'],
      // Some EC2 implementations omit the state: a name alone is not proof of a problem.
      [{ name }, 'act'],
    ];
    for (const [servicePrivateDns, kind] of cases) {
      const decision = plan(observation({ servicePrivateDns }), settings);
      expect(decision.kind).toBe(kind);
      if (decision.kind === 'blocked') expect(decision.reason).toBe('PRIVATE_DNS_UNAVAILABLE');
    }
  });

  it('waits on a private link service state outside the swagger, naming it', () => {
    const observed = observation();
    if (observed.service) observed.service = { ...observed.service, state: 'MIGRATING' as 'ACTIVE' };
    expect(plan(observed, settings)).toMatchObject({
      kind: 'wait',
      waitingFor: expect.stringContaining('"MIGRATING"'),
    });
  });

  it('blocks with an explanation when no subnet is in a supported AZ', () => {
    const observed = observation({ serviceZoneNames: ['us-east-1b', 'us-east-1c'] });
    if (observed.vpc)
      observed.vpc.subnets = observed.vpc.subnets.filter((subnet) => subnet.subnetId === 'subnet-0a');
    const decision = plan(observed, settings);
    expect(decision).toMatchObject({ kind: 'blocked', reason: 'NO_SUPPORTED_SUBNET' });
    expect(decision.kind === 'blocked' && decision.message).toContain('subnet-0a (use1-az4)');
    // EC2 lists the service's zones in no promised order: either supported AZ ID makes a good example.
    expect(decision.kind === 'blocked' && decision.remediation).toContain('(use1-az1, use1-az6)');
    expect(decision.kind === 'blocked' && decision.remediation).toMatch(
      /--availability-zone-id use1-az[16] /,
    );
  });

  it('blocks with the exact commands when VPC DNS attributes are off', () => {
    const observed = observation();
    if (observed.vpc) observed.vpc.dns = { enableDnsSupport: true, enableDnsHostnames: false };
    const decision = plan(observed, settings);
    expect(decision).toMatchObject({ kind: 'blocked', reason: 'VPC_DNS_ATTRIBUTES' });
    expect(decision.kind === 'blocked' && decision.remediation).toBe(
      `aws ec2 modify-vpc-attribute --vpc-id vpc-0a1 --enable-dns-hostnames '{"Value":true}'`,
    );
  });

  it('blocks when an endpoint it did not create already serves the cluster in the VPC', () => {
    const decision = plan(
      observation({ foreignEndpoints: [endpoint({ vpcEndpointId: 'vpce-hand', tags: {} })] }),
      settings,
    );
    expect(decision).toMatchObject({ kind: 'blocked', reason: 'FOREIGN_ENDPOINT' });
    expect(decision.kind === 'blocked' && decision.remediation).toContain('vpce-hand');
  });

  it('registers a new endpoint, and re-registers a DISCOVERED one', () => {
    const fresh = endpoint({ state: 'pendingAcceptance', privateDnsEnabled: false });
    expect(plan(observation({ endpoint: fresh }), settings)).toEqual({
      kind: 'act',
      action: { type: 'register-connection', vpcEndpointId: 'vpce-0123' },
    });
    expect(
      plan(observation({ endpoint: fresh, connection: connection('DISCOVERED') }), settings),
    ).toMatchObject({
      kind: 'act',
      action: { type: 'register-connection' },
    });
  });

  it('never registers again an endpoint this run registered or adopted: it waits for TiDB', () => {
    const fresh = endpoint({ state: 'pendingAcceptance', privateDnsEnabled: false });
    for (const shown of [undefined, connection('DISCOVERED')]) {
      const decision = plan(observation({ endpoint: fresh, connection: shown, registered: true }), settings);
      expect(decision).toMatchObject({ kind: 'wait', waitingFor: expect.stringContaining('vpce-0123') });
    }
  });

  it('waits while TiDB is System Checking (PENDING)', () => {
    const decision = plan(
      observation({
        endpoint: endpoint({ state: 'pendingAcceptance', privateDnsEnabled: false }),
        connection: connection('PENDING'),
      }),
      settings,
    );
    expect(decision).toMatchObject({ kind: 'wait', waitingFor: expect.stringContaining('System Checking') });
  });

  it('never enables private DNS before TiDB is ACTIVE and AWS shows available', () => {
    const pendingAws = observation({
      endpoint: endpoint({ state: 'pendingAcceptance', privateDnsEnabled: false }),
      connection: connection('ACTIVE'),
    });
    expect(plan(pendingAws, settings)).toMatchObject({ kind: 'wait' });
    const accepted = observation({
      endpoint: endpoint({ privateDnsEnabled: false }),
      connection: connection('ACTIVE'),
    });
    expect(plan(accepted, settings)).toEqual({
      kind: 'act',
      action: { type: 'enable-private-dns', vpcEndpointId: 'vpce-0123' },
    });
  });

  it("blocks on TiDB FAILED and surfaces TiDB's message", () => {
    const message = "The VPC Endpoint Id '{vpce-0123 []}' does not exist";
    const decision = plan(
      observation({
        endpoint: endpoint({ state: 'pendingAcceptance' }),
        connection: connection('FAILED', message),
      }),
      settings,
    );
    expect(decision).toMatchObject({ kind: 'blocked', reason: 'TIDB_CONNECTION_FAILED' });
    expect(decision.kind === 'blocked' && decision.message).toContain(message);
  });

  it.each(['rejected', 'failed'] as const)('blocks a %s endpoint with the delete command', (state) => {
    const decision = plan(observation({ endpoint: endpoint({ state }) }), settings);
    expect(decision).toMatchObject({ kind: 'blocked', reason: 'ENDPOINT_REJECTED' });
    expect(decision.kind === 'blocked' && decision.remediation).toContain(
      'delete-vpc-endpoints --vpc-endpoint-ids vpce-0123',
    );
  });

  it('is Ready when converged, without needing the service', () => {
    expect(
      plan(
        observation({ service: undefined, endpoint: endpoint(), connection: connection('ACTIVE') }),
        settings,
      ),
    ).toEqual({
      kind: 'ready',
    });
  });
});

describe('plan: a changed subnet configuration', () => {
  const stale = { ...MANAGED, [SUBNET_CONFIG_TAG]: subnetConfigOf(['subnet-0a']) };

  it('modifies the endpoint only when its subnets differ from those the configuration picks', () => {
    const lacking = observation({ endpoint: endpoint({ tags: stale }), connection: connection('ACTIVE') });
    expect(plan(lacking, settings)).toMatchObject({
      kind: 'act',
      action: { type: 'modify-endpoint-subnets', addSubnetIds: ['subnet-0c'], removeSubnetIds: [] },
    });
  });

  it('is Ready, with only the tag to write, when the subnets already are the ones picked', () => {
    const matching = endpoint({ tags: stale, subnetIds: ['subnet-0c', 'subnet-0a'] });
    const observed = observation({ endpoint: matching, connection: connection('ACTIVE') });
    expect(plan(observed, settings)).toEqual({ kind: 'ready' });
    expect(staleSubnetConfig(observed, settings)).toEqual({
      vpcEndpointId: 'vpce-0123',
      tags: { [SUBNET_CONFIG_TAG]: subnetConfigOf(settings.subnetIds) },
    });
  });

  it('reads the VPC facts before judging a stale tag, and writes nothing without them', () => {
    const observed = observation({
      vpc: undefined,
      endpoint: endpoint({ tags: stale, subnetIds: ['subnet-0c', 'subnet-0a'] }),
      connection: connection('ACTIVE'),
    });
    expect(detailsNeeded(observed, settings)).toEqual({ service: false, createFacts: true });
    expect(staleSubnetConfig(observed, settings)).toBeUndefined();
  });
});

describe('detailsNeeded: converged clusters cost no extra calls', () => {
  it('needs nothing for a converged cluster', () => {
    const converged = observation({
      service: undefined,
      vpc: undefined,
      endpoint: endpoint(),
      connection: connection('ACTIVE'),
    });
    expect(detailsNeeded(converged, settings)).toEqual({ service: false, createFacts: false });
  });

  it('needs the service first, then VPC facts only when an endpoint must be created', () => {
    expect(detailsNeeded(observation({ service: undefined, vpc: undefined }), settings)).toEqual({
      service: true,
      createFacts: false,
    });
    expect(detailsNeeded(observation({ vpc: undefined }), settings)).toEqual({
      service: false,
      createFacts: true,
    });
    expect(
      detailsNeeded(
        observation({ vpc: undefined, endpoint: endpoint({ privateDnsEnabled: false }) }),
        settings,
      ),
    ).toEqual({
      service: false,
      createFacts: false,
    });
  });

  it('needs nothing for a cluster in another region', () => {
    const observed = observation({ service: undefined });
    observed.cluster.regionId = 'aws-eu-west-1';
    expect(detailsNeeded(observed, settings)).toEqual({ service: false, createFacts: false });
  });
});
