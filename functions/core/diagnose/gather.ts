/**
 * Control-plane observation: everything the checks need from TiDB Cloud and EC2, read once. The calls form a
 * promise graph, so each starts as soon as what it needs is known and independent calls run in parallel.
 * A failed or timed-out call becomes an `Observed` error that the checks report; only errors that mean the
 * request itself is wrong (bad credentials, unknown cluster or node group) are thrown.
 */
import { UsageError } from '../errors.ts';
import {
  type AvailabilityZone,
  CLUSTER_ID_TAG,
  type Cluster,
  defaultNodeGroup,
  type KnownVpcEndpointState,
  type NetworkAcl,
  type NetworkInterface,
  NODE_GROUP_ID_TAG,
  type PrefixList,
  type PrivateEndpointConnection,
  type PrivateLinkService,
  type SecurityGroupRule,
  type Subnet,
  type Vpc,
  type VpcDnsAttributes,
  type VpcEndpoint,
} from '../model.ts';
import type { CallOptions, Ec2Port, TidbCloudPort } from '../ports.ts';
import { gatherNetworkPath, type NetworkPathDeps, type NetworkPathReads } from './gather-network.ts';
import {
  type GatherRequest,
  type Observe,
  type Observed,
  observer,
  ok,
  optionalObserver,
  type TrafficSource,
} from './observation.ts';

export interface EndpointFinding {
  endpoint: VpcEndpoint | undefined;
  foundBy: 'id' | 'tag' | 'service-name' | 'none';
  /** Every endpoint that matched, when more than one did. */
  candidates: string[];
}

/** A read still settling: what one check awaits. `undefined`: not looked up, as what it needs is unknown. */
export type Pending<T> = Promise<Observed<T> | undefined>;

/**
 * `undefined` members were not looked up, because what they need is unknown. The target's reads (cluster,
 * node group, service, connections, endpoint, its ENIs) have settled when `gather` returns: every check and
 * the data plane need them. The rest are still settling, each awaited only by the checks that use it, so a
 * slow network-ACL read holds up neither the data plane nor any other check.
 */
export interface Observation {
  clusterId: string;
  region: string;
  cluster: Observed<Cluster>;
  nodeGroupId: string | undefined;
  service: Observed<PrivateLinkService> | undefined;
  connections: Observed<PrivateEndpointConnection[]> | undefined;
  vpcId: string | undefined;
  endpoint: Observed<EndpointFinding> | undefined;
  networkInterfaces: Observed<NetworkInterface[]> | undefined;
  vpcDns: Pending<VpcDnsAttributes>;
  zones: Promise<Observed<AvailabilityZone[]>>;
  serviceZones: Pending<string[]>;
  subnets: Pending<Subnet[]>;
  securityGroupRules: Pending<SecurityGroupRule[]>;
  prefixLists: Pending<PrefixList[]>;
  networkAcls: Pending<NetworkAcl[]>;
  source: Pending<TrafficSource>;
  /** `--source-cidr` as given: which clients sit where is known without any read. */
  sourceCidr: string | undefined;
  /**
   * DHCP options, hosted zones, Resolver rules, DNS Firewall, and (for --source-cidr) routes, each its own
   * promise with a budget short of the deadline: a check awaits only the reads it uses (most use none), so
   * a slow Route 53 or DNS Firewall holds up neither the data plane nor any other check.
   */
  networkPath: NetworkPathReads;
}

export interface GatherDeps extends NetworkPathDeps {
  tidb: TidbCloudPort;
  ec2: Ec2Port;
}

const STATE_RANK: KnownVpcEndpointState[] = [
  'available',
  'pendingAcceptance',
  'pending',
  'failed',
  'rejected',
  'expired',
  'deleting',
  'deleted',
];

/** An undocumented state may still be live: after the waiting states, before the dead ones. */
const rankOf = (state: string) => {
  const rank = STATE_RANK.indexOf(state as KnownVpcEndpointState);
  return rank >= 0 ? rank : STATE_RANK.indexOf('failed') - 0.5;
};

/** The most useful of several matches: a live endpoint over a dead one. */
function finding(endpoints: VpcEndpoint[], foundBy: EndpointFinding['foundBy']): EndpointFinding {
  const ranked = [...endpoints].sort((a, b) => rankOf(a.state) - rankOf(b.state));
  const candidates = ranked.length > 1 ? ranked.map((endpoint) => endpoint.vpcEndpointId) : [];
  return { endpoint: ranked[0], foundBy, candidates };
}

async function pickNodeGroup(
  deps: GatherDeps,
  observe: Observe,
  request: GatherRequest,
  cluster: Observed<Cluster>,
): Promise<string | undefined> {
  if (!cluster.ok) return request.tidbNodeGroupId;
  let groups = cluster.value.nodeGroups;
  if (groups.length === 0) {
    const listed = await observe('tidbcloud:ListTidbNodeGroups', (o) =>
      deps.tidb.listNodeGroups(request.clusterId, o),
    );
    groups = listed.ok ? listed.value : [];
  }
  if (request.tidbNodeGroupId === undefined)
    return defaultNodeGroup({ ...cluster.value, nodeGroups: groups })?.tidbNodeGroupId;
  if (groups.length > 0 && !groups.some((group) => group.tidbNodeGroupId === request.tidbNodeGroupId)) {
    const known = groups.map((group) => group.tidbNodeGroupId).join(', ');
    throw new UsageError(
      `Cluster ${request.clusterId} has no node group ${request.tidbNodeGroupId} (it has: ${known}).`,
    );
  }
  return request.tidbNodeGroupId;
}

/** By --vpc-endpoint, else by our tags, else by service name in the VPC. */
async function findEndpoint(
  deps: GatherDeps,
  observe: Observe,
  request: GatherRequest,
  nodeGroupId: string | undefined,
  service: Promise<Observed<PrivateLinkService> | undefined>,
): Promise<Observed<EndpointFinding>> {
  const describe = (filter: Parameters<Ec2Port['findEndpoints']>[0]) =>
    observe('ec2:DescribeVpcEndpoints', (o) => deps.ec2.findEndpoints(filter, o));
  if (request.vpcEndpointId) {
    const byId = await describe({ vpcEndpointIds: [request.vpcEndpointId] });
    return byId.ok ? ok(finding(byId.value, 'id')) : byId;
  }
  const tags = {
    [CLUSTER_ID_TAG]: request.clusterId,
    ...(nodeGroupId ? { [NODE_GROUP_ID_TAG]: nodeGroupId } : {}),
  };
  const tagged = await observe('ec2:DescribeVpcEndpoints', (o) => deps.ec2.listManagedEndpoints(tags, o));
  if (!tagged.ok) return tagged;
  const inVpc = tagged.value.filter((endpoint) => !request.vpcId || endpoint.vpcId === request.vpcId);
  if (inVpc.length > 0) return ok(finding(inVpc, 'tag'));
  const serviceName = await service.then((s) => (s?.ok ? s.value.serviceName : undefined));
  if (!request.vpcId || !serviceName) return ok({ endpoint: undefined, foundBy: 'none', candidates: [] });
  const byService = await describe({ vpcId: request.vpcId, serviceName });
  if (!byService.ok) return byService;
  return ok(byService.value.length > 0 ? finding(byService.value, 'service-name') : finding([], 'none'));
}

function resolveSource(
  deps: GatherDeps,
  observe: Observe,
  request: GatherRequest,
  vpc: () => Promise<Observed<Vpc> | undefined>,
): Promise<Observed<TrafficSource> | undefined> {
  const { source, probe } = request;
  if (source && 'cidr' in source) {
    return Promise.resolve(
      ok({ kind: 'cidr', label: source.cidr, cidrs: [source.cidr], securityGroupIds: [] }),
    );
  }
  if (!source && probe) {
    return observe('ec2:DescribeSubnets', (o) => deps.ec2.describeSubnets(probe.subnetIds, o)).then(
      (subnets) =>
        subnets.ok
          ? ok({
              kind: 'probe',
              label: `this probe (${probe.securityGroupIds.join(', ')})`,
              cidrs: subnets.value.map((subnet) => subnet.cidrBlock),
              securityGroupIds: probe.securityGroupIds,
            })
          : subnets,
    );
  }
  // A source security group says nothing about addresses: its members may sit anywhere in the VPC.
  return vpc().then((described): Observed<TrafficSource> | undefined => {
    if (!described?.ok) return described;
    const cidrs = described.value.cidrBlocks;
    return source
      ? ok({
          kind: 'security-group',
          label: source.securityGroupId,
          cidrs,
          securityGroupIds: [source.securityGroupId],
        })
      : ok({
          kind: 'vpc',
          label: `VPC ${described.value.vpcId} (${cidrs.join(', ')})`,
          cidrs,
          securityGroupIds: [],
        });
  });
}

const unique = (values: Iterable<string>): string[] => [...new Set(values)];

/**
 * Reads everything the checks need; returns when the target's reads have settled or the signal fired. The
 * others keep settling on their own (see `Observation`).
 */
export async function gather(
  deps: GatherDeps,
  request: GatherRequest,
  signal: AbortSignal,
  deadline?: number,
): Promise<Observation> {
  const observe = observer(signal, deadline);
  const { clusterId } = request;
  const cluster = observe('tidbcloud:GetCluster', (o) => deps.tidb.getCluster(clusterId, o));
  const zones = observe('ec2:DescribeAvailabilityZones', (o) => deps.ec2.describeAvailabilityZones(o));
  const nodeGroupId = cluster.then((c) => pickNodeGroup(deps, observe, request, c));
  const whenGroup = <T>(action: string, call: (group: string, o: CallOptions) => Promise<T>) =>
    nodeGroupId.then((group) => (group ? observe(action, (o) => call(group, o)) : undefined));
  const service = whenGroup('tidbcloud:GetPrivateLinkService', (group, o) =>
    deps.tidb.getPrivateLinkService(clusterId, group, o),
  );
  const connections = whenGroup('tidbcloud:ListPrivateEndpointConnections', (group, o) =>
    deps.tidb.listConnections({ clusterId, tidbNodeGroupId: group }, o),
  );
  const endpointFinding = nodeGroupId.then((group) => findEndpoint(deps, observe, request, group, service));
  const endpoint = endpointFinding.then((f) => (f.ok ? f.value.endpoint : undefined));
  const vpcId = request.vpcId ? Promise.resolve(request.vpcId) : endpoint.then((e) => e?.vpcId);
  const whenVpc = <T>(action: string, call: (vpc: string, o: CallOptions) => Promise<T>) =>
    vpcId.then((vpc) => (vpc ? observe(action, (o) => call(vpc, o)) : undefined));
  const whenEndpoint = <T>(action: string, call: (e: VpcEndpoint, o: CallOptions) => Promise<T>) =>
    endpoint.then((e) => (e ? observe(action, (o) => call(e, o)) : undefined));

  const vpcDns = whenVpc('ec2:DescribeVpcAttribute', (vpc, o) => deps.ec2.describeVpcDnsAttributes(vpc, o));
  const source = resolveSource(deps, observe, request, () =>
    whenVpc('ec2:DescribeVpcs', (vpc, o) => deps.ec2.describeVpc(vpc, o)),
  );
  const serviceZones = service.then((s) =>
    s?.ok && s.value.serviceName
      ? observe('ec2:DescribeVpcEndpointServices', (o) =>
          deps.ec2.describeServiceZones(s.value.serviceName, o),
        )
      : undefined,
  );
  const subnets = whenEndpoint('ec2:DescribeSubnets', (e, o) => deps.ec2.describeSubnets(e.subnetIds, o));
  const networkInterfaces = whenEndpoint('ec2:DescribeNetworkInterfaces', (e, o) =>
    deps.ec2.describeNetworkInterfaces(e.networkInterfaceIds, o),
  );
  const networkAcls = whenEndpoint('ec2:DescribeNetworkAcls', (e, o) =>
    deps.ec2.describeNetworkAcls(e.subnetIds, o),
  );
  const securityGroupRules = whenEndpoint('ec2:DescribeSecurityGroupRules', (e, o) =>
    deps.ec2.describeSecurityGroupRules(e.securityGroupIds, o),
  );
  const prefixLists = securityGroupRules.then((rules) => {
    if (!rules?.ok) return undefined;
    const ids = unique(rules.value.flatMap((rule) => (rule.prefixListId ? [rule.prefixListId] : [])));
    return ids.length > 0
      ? observe('ec2:DescribeManagedPrefixLists', (o) => deps.ec2.describePrefixLists(ids, o))
      : ok<PrefixList[]>([]);
  });

  // Their own, shorter deadline: a check that awaits one still has time to report without it.
  const networkPath = gatherNetworkPath(deps, optionalObserver(signal, deadline), vpcId, request);

  const pending = {
    vpcDns,
    zones,
    serviceZones,
    subnets,
    securityGroupRules,
    prefixLists,
    networkAcls,
    source,
  };
  // After a fatal error `gather` throws and no check awaits these: they must not reject unhandled.
  for (const read of Object.values(pending)) read.catch(() => undefined);
  // One Promise.all, not a chain of awaits: after a fatal rejection no sibling may reject unhandled.
  const [observedCluster, group, observedService, observedConnections, vpc, found, enis] = await Promise.all([
    cluster,
    nodeGroupId,
    service,
    connections,
    vpcId,
    endpointFinding,
    networkInterfaces,
  ]);
  return {
    clusterId,
    region: request.region,
    cluster: observedCluster,
    nodeGroupId: group,
    service: observedService,
    connections: observedConnections,
    vpcId: vpc,
    endpoint: found,
    networkInterfaces: enis,
    ...pending,
    sourceCidr: request.source && 'cidr' in request.source ? request.source.cidr : undefined,
    networkPath,
  };
}
