/**
 * Minimal in-memory TidbCloudPort and Ec2Port over one plain `World`, for the diagnose tests. A test mutates
 * the world (or makes a call fail or hang) and runs the doctor or a single check against it.
 * testing/ec2-fake.ts is the fuller EC2 fake; these stay small on purpose.
 */
import { type DiagnoseContext, deriveTarget } from '../../../../functions/core/diagnose/context.ts';
import { gather } from '../../../../functions/core/diagnose/gather.ts';
import type { GatherRequest, Observed } from '../../../../functions/core/diagnose/observation.ts';
import type {
  DataPlaneBatchPort,
  DataPlaneProbeInput,
  DataPlaneResult,
} from '../../../../functions/core/diagnose/ports.ts';
import { type CheckOutcome, CheckOutcomeError } from '../../../../functions/core/diagnose/runner.ts';
import {
  type AvailabilityZone,
  CLUSTER_ID_TAG,
  type Cluster,
  type DhcpOptions,
  MANAGED_BY_TAG,
  MANAGED_BY_VALUE,
  type NetworkAcl,
  type NetworkInterface,
  NODE_GROUP_ID_TAG,
  type PrefixList,
  type PrivateEndpointConnection,
  type PrivateLinkService,
  type RouteTable,
  type SecurityGroupRule,
  type Subnet,
  type Vpc,
  type VpcDnsAttributes,
  type VpcEndpoint,
} from '../../../../functions/core/model.ts';
import type { Ec2Port, TidbCloudPort } from '../../../../functions/core/ports.ts';

export const CLUSTER_ID = '1379661944646413143';
export const NODE_GROUP_ID = '1934178998036000000';
export const SERVICE_NAME = 'com.amazonaws.vpce.us-east-1.vpce-svc-0abc1234567890def';
export const HOST = 'privatelink-19341789.ubkypd000000.clusters.tidb-cloud.com';
export const VPC_ID = 'vpc-0aaa';
export const VPCE_ID = 'vpce-0abc';
export const SG_ID = 'sg-0abc';
export const ACL_ID = 'acl-0abc';

export interface World {
  cluster: Cluster;
  service: PrivateLinkService;
  connections: PrivateEndpointConnection[];
  endpoints: VpcEndpoint[];
  vpc: Vpc;
  dnsAttributes: VpcDnsAttributes;
  subnets: Subnet[];
  zones: AvailabilityZone[];
  /** AZ names (this account's) where EC2 offers the service. */
  serviceZones: string[];
  securityGroupRules: SecurityGroupRule[];
  prefixLists: PrefixList[];
  networkAcls: NetworkAcl[];
  networkInterfaces: NetworkInterface[];
  dhcpOptions: DhcpOptions | undefined;
  routeTables: RouteTable[];
  /** Make a port method reject with an error, or never settle. */
  failures: Partial<Record<string, Error | 'hang'>>;
  calls: string[];
}

const allTcpFromAnywhere = (egress: boolean) => [
  { ruleNumber: 100, egress, protocol: '-1', ruleAction: 'allow' as const, cidrBlock: '0.0.0.0/0' },
  { ruleNumber: 32767, egress, protocol: '-1', ruleAction: 'deny' as const, cidrBlock: '0.0.0.0/0' },
];

/** A cluster reachable through a healthy endpoint in two of the region's three AZs. */
export function healthyWorld(): World {
  return {
    cluster: {
      clusterId: CLUSTER_ID,
      displayName: 'orders',
      regionId: 'aws-us-east-1',
      cloudProvider: 'aws',
      state: 'ACTIVE',
      port: 4000,
      labels: {},
      nodeGroups: [{ tidbNodeGroupId: NODE_GROUP_ID, displayName: 'DefaultGroup', isDefaultGroup: true }],
    },
    service: {
      tidbNodeGroupId: NODE_GROUP_ID,
      serviceName: SERVICE_NAME,
      serviceDnsName: HOST,
      availableZones: ['use1-az1', 'use1-az4'],
      state: 'ACTIVE',
      regionId: 'aws-us-east-1',
    },
    connections: [
      {
        privateEndpointConnectionId: '1234567890123456789',
        clusterId: CLUSTER_ID,
        tidbNodeGroupId: NODE_GROUP_ID,
        endpointId: VPCE_ID,
        endpointState: 'ACTIVE',
        message: '',
        host: HOST,
        port: 4000,
        privateLinkServiceName: SERVICE_NAME,
      },
    ],
    endpoints: [
      {
        vpcEndpointId: VPCE_ID,
        vpcId: VPC_ID,
        serviceName: SERVICE_NAME,
        state: 'available',
        subnetIds: ['subnet-a', 'subnet-b'],
        securityGroupIds: [SG_ID],
        networkInterfaceIds: ['eni-a', 'eni-b'],
        privateDnsEnabled: true,
        tags: {
          [MANAGED_BY_TAG]: MANAGED_BY_VALUE,
          [CLUSTER_ID_TAG]: CLUSTER_ID,
          [NODE_GROUP_ID_TAG]: NODE_GROUP_ID,
        },
      },
    ],
    vpc: { vpcId: VPC_ID, cidrBlocks: ['10.0.0.0/16'] },
    dnsAttributes: { enableDnsSupport: true, enableDnsHostnames: true },
    subnets: [
      {
        subnetId: 'subnet-a',
        vpcId: VPC_ID,
        availabilityZone: 'us-east-1a',
        availabilityZoneId: 'use1-az1',
        cidrBlock: '10.0.1.0/24',
      },
      {
        subnetId: 'subnet-b',
        vpcId: VPC_ID,
        availabilityZone: 'us-east-1b',
        availabilityZoneId: 'use1-az4',
        cidrBlock: '10.0.2.0/24',
      },
    ],
    zones: [
      { zoneName: 'us-east-1a', zoneId: 'use1-az1' },
      { zoneName: 'us-east-1b', zoneId: 'use1-az4' },
      { zoneName: 'us-east-1c', zoneId: 'use1-az6' },
    ],
    serviceZones: ['us-east-1a', 'us-east-1b'],
    securityGroupRules: [
      {
        groupId: SG_ID,
        isEgress: false,
        ipProtocol: 'tcp',
        fromPort: 4000,
        toPort: 4000,
        cidrIpv4: '10.0.0.0/16',
      },
      { groupId: SG_ID, isEgress: true, ipProtocol: '-1', cidrIpv4: '0.0.0.0/0' },
    ],
    prefixLists: [],
    networkAcls: [
      {
        networkAclId: ACL_ID,
        vpcId: VPC_ID,
        subnetIds: ['subnet-a', 'subnet-b'],
        entries: [...allTcpFromAnywhere(false), ...allTcpFromAnywhere(true)],
      },
    ],
    networkInterfaces: [
      { networkInterfaceId: 'eni-a', subnetId: 'subnet-a', privateIpAddress: '10.0.1.10' },
      { networkInterfaceId: 'eni-b', subnetId: 'subnet-b', privateIpAddress: '10.0.2.10' },
    ],
    dhcpOptions: { dhcpOptionsId: 'dopt-0default', domainNameServers: ['AmazonProvidedDNS'] },
    routeTables: [
      {
        routeTableId: 'rtb-main',
        vpcId: VPC_ID,
        main: true,
        subnetIds: [],
        routes: [{ destination: '10.0.0.0/16', target: 'local', state: 'active' }],
      },
    ],
    failures: {},
    calls: [],
  };
}

const NEVER = new Promise<never>(() => {});

/** Records the call, then fails, hangs or answers as the world says. */
function answer<T>(world: World, method: string, value: () => T): Promise<T> {
  world.calls.push(method);
  const failure = world.failures[method];
  if (failure === 'hang') return NEVER;
  if (failure) return Promise.reject(failure);
  return Promise.resolve(structuredClone(value()));
}

const unused = (method: string) => () => Promise.reject(new Error(`${method} is not used by the doctor`));

export function fakeTidb(world: World): TidbCloudPort {
  return {
    listClusters: unused('listClusters'),
    getCluster: () => answer(world, 'getCluster', () => world.cluster),
    listNodeGroups: () => answer(world, 'listNodeGroups', () => world.cluster.nodeGroups),
    getPrivateLinkService: () => answer(world, 'getPrivateLinkService', () => world.service),
    listConnections: () => answer(world, 'listConnections', () => world.connections),
    createConnection: unused('createConnection'),
    getConnection: unused('getConnection'),
    deleteConnection: unused('deleteConnection'),
  };
}

const hasTags = (endpoint: VpcEndpoint, tags: Record<string, string>) =>
  Object.entries(tags).every(([key, value]) => endpoint.tags[key] === value);

export function fakeEc2(world: World): Ec2Port {
  return {
    listManagedEndpoints: (tags = {}) =>
      answer(world, 'listManagedEndpoints', () =>
        world.endpoints.filter((e) => hasTags(e, { [MANAGED_BY_TAG]: MANAGED_BY_VALUE, ...tags })),
      ),
    findEndpoints: (filter) =>
      answer(world, 'findEndpoints', () =>
        world.endpoints.filter(
          (e) =>
            (!filter.vpcId || e.vpcId === filter.vpcId) &&
            (!filter.serviceName || e.serviceName === filter.serviceName) &&
            (!filter.vpcEndpointIds || filter.vpcEndpointIds.includes(e.vpcEndpointId)),
        ),
      ),
    createInterfaceEndpoint: unused('createInterfaceEndpoint'),
    enablePrivateDns: unused('enablePrivateDns'),
    tagResource: unused('tagResource'),
    describeSubnets: (ids) =>
      answer(world, 'describeSubnets', () => world.subnets.filter((s) => ids.includes(s.subnetId))),
    describeAvailabilityZones: () => answer(world, 'describeAvailabilityZones', () => world.zones),
    describeServiceZones: () => answer(world, 'describeServiceZones', () => world.serviceZones),
    describeVpc: () => answer(world, 'describeVpc', () => world.vpc),
    describeVpcDnsAttributes: () => answer(world, 'describeVpcDnsAttributes', () => world.dnsAttributes),
    describeSecurityGroupRules: (ids) =>
      answer(world, 'describeSecurityGroupRules', () =>
        world.securityGroupRules.filter((r) => ids.includes(r.groupId)),
      ),
    describePrefixLists: (ids) =>
      answer(world, 'describePrefixLists', () =>
        world.prefixLists.filter((p) => ids.includes(p.prefixListId)),
      ),
    describeNetworkAcls: (ids) =>
      answer(world, 'describeNetworkAcls', () =>
        world.networkAcls.filter((acl) => acl.subnetIds.some((subnet) => ids.includes(subnet))),
      ),
    describeDhcpOptions: () => answer(world, 'describeDhcpOptions', () => world.dhcpOptions),
    describeRouteTables: () => answer(world, 'describeRouteTables', () => world.routeTables),
    describeNetworkInterfaces: (ids) =>
      answer(world, 'describeNetworkInterfaces', () =>
        world.networkInterfaces.filter((eni) => ids.includes(eni.networkInterfaceId)),
      ),
  };
}

/** What a healthy data plane reports for the healthy world. */
export function healthyProbe(): DataPlaneResult {
  return {
    dns: { server: 'system', status: 'answered', addresses: ['10.0.1.10', '10.0.2.10'], durationMs: 2 },
    tcp: [
      { address: '10.0.1.10', port: 4000, status: 'connected', latencyMs: 0.8 },
      { address: '10.0.2.10', port: 4000, status: 'connected', latencyMs: 1.2 },
    ],
    handshake: {
      address: '10.0.1.10',
      status: 'greeting',
      serverVersion: '8.0.11-TiDB-v7.5.2',
      latencyMs: 3,
    },
  };
}

/** A data plane answering a fixed result (or hanging), recording every input. */
export function fakeDataPlane(
  result: DataPlaneResult | 'hang',
): DataPlaneBatchPort & { inputs: DataPlaneProbeInput[] } {
  const inputs: DataPlaneProbeInput[] = [];
  const probe = (input: DataPlaneProbeInput) => {
    inputs.push(input);
    return result === 'hang' ? NEVER : Promise.resolve(structuredClone(result));
  };
  return {
    inputs,
    probe,
    probeMany: (batch) =>
      Promise.all(batch.map(async (input) => ({ ok: true as const, result: await probe(input) }))),
  };
}

export const REQUEST: GatherRequest = { clusterId: CLUSTER_ID, region: 'us-east-1', vpcId: VPC_ID };

/** The context a check sees, gathered from the world with the fakes. */
export async function contextFor(
  world: World,
  probe: DataPlaneResult = healthyProbe(),
  request: Partial<GatherRequest> & { dnsServer?: string } = {},
): Promise<DiagnoseContext> {
  const { dnsServer, ...gatherRequest } = request;
  const observation = await gather(
    { tidb: fakeTidb(world), ec2: fakeEc2(world) },
    { ...REQUEST, ...gatherRequest },
    new AbortController().signal,
  );
  const result: Observed<DataPlaneResult> = { ok: true, value: probe };
  return {
    observation,
    target: deriveTarget(observation),
    dnsServer,
    dataPlane: () => Promise.resolve(result),
  };
}

/** Runs one check's `run` against a context, turning an early exit (CheckOutcomeError) into its outcome. */
export async function runCheck(
  check: { run(context: DiagnoseContext, signal: AbortSignal): CheckOutcome | Promise<CheckOutcome> },
  context: DiagnoseContext,
): Promise<CheckOutcome> {
  try {
    return await check.run(context, new AbortController().signal);
  } catch (error) {
    if (error instanceof CheckOutcomeError) return error.outcome;
    throw error;
  }
}
