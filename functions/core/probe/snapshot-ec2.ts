import type {
  AvailabilityZone,
  NetworkAcl,
  NetworkInterface,
  SecurityGroupRule,
  Subnet,
  Vpc,
  VpcDnsAttributes,
  VpcEndpoint,
} from '../model.ts';
import type { CallOptions, CreateEndpointInput, Ec2Port } from '../ports.ts';
import type { TtlCache } from './ttl-cache.ts';

const unique = (values: string[]) => [...new Set(values)];
const covers = (known: Set<string>, wanted: string[]) => wanted.every((id) => known.has(id));

function once<T>(memo: Map<string, Promise<unknown>>, key: string, read: () => Promise<T>): Promise<T> {
  if (!memo.has(key)) memo.set(key, read());
  return memo.get(key) as Promise<T>;
}

/**
 * An EC2 port that answers the doctor's per-endpoint describes from one batch of calls covering every
 * endpoint of a probe run: about ten calls in all instead of ten per endpoint, which keeps a large probe
 * inside EC2's Describe* throttle (burst 100, 20/s). Anything not in the batch goes to the real port.
 */
export class SnapshotEc2 implements Ec2Port {
  private readonly perVpc = new Map<string, Promise<unknown>>();

  private constructor(
    private readonly inner: Ec2Port,
    private readonly endpoints: VpcEndpoint[],
    private readonly subnets: Subnet[],
    private readonly zones: AvailabilityZone[],
    private readonly rules: SecurityGroupRule[],
    private readonly acls: NetworkAcl[],
    private readonly interfaces: NetworkInterface[],
    private readonly vpcs: Map<string, { vpc: Vpc; dns: VpcDnsAttributes }>,
    private readonly serviceZones: TtlCache<string[]>,
  ) {}

  static async take(
    inner: Ec2Port,
    endpoints: VpcEndpoint[],
    caches: { serviceZones: TtlCache<string[]>; placementSubnetIds?: string[] },
    options: CallOptions,
  ): Promise<SnapshotEc2> {
    const subnetIds = unique(endpoints.flatMap((e) => e.subnetIds));
    // The probe's own subnets are the traffic source of every endpoint's checks: read them in the batch too.
    const allSubnetIds = unique([...subnetIds, ...(caches.placementSubnetIds ?? [])]);
    const vpcIds = unique(endpoints.map((e) => e.vpcId));
    const [subnets, zones, rules, acls, interfaces, vpcs] = await Promise.all([
      inner.describeSubnets(allSubnetIds, options),
      inner.describeAvailabilityZones(options),
      inner.describeSecurityGroupRules(unique(endpoints.flatMap((e) => e.securityGroupIds)), options),
      inner.describeNetworkAcls(subnetIds, options),
      inner.describeNetworkInterfaces(unique(endpoints.flatMap((e) => e.networkInterfaceIds)), options),
      Promise.all(
        vpcIds.map(async (vpcId) => {
          const [vpc, dns] = await Promise.all([
            inner.describeVpc(vpcId, options),
            inner.describeVpcDnsAttributes(vpcId, options),
          ]);
          return [vpcId, { vpc, dns }] as const;
        }),
      ),
    ]);
    return new SnapshotEc2(
      inner,
      endpoints,
      subnets,
      zones,
      rules,
      acls,
      interfaces,
      new Map(vpcs),
      caches.serviceZones,
    );
  }

  async listManagedEndpoints(
    tags: Record<string, string> = {},
    options?: CallOptions,
  ): Promise<VpcEndpoint[]> {
    return this.inner.listManagedEndpoints(tags, options);
  }

  async findEndpoints(
    filter: Parameters<Ec2Port['findEndpoints']>[0],
    options?: CallOptions,
  ): Promise<VpcEndpoint[]> {
    const ids = filter.vpcEndpointIds;
    const found = ids ? this.endpoints.filter((e) => ids.includes(e.vpcEndpointId)) : [];
    return ids && found.length === ids.length ? found : this.inner.findEndpoints(filter, options);
  }

  createInterfaceEndpoint(input: CreateEndpointInput, options?: CallOptions): Promise<VpcEndpoint> {
    return this.inner.createInterfaceEndpoint(input, options);
  }

  enablePrivateDns(vpcEndpointId: string, options?: CallOptions): Promise<void> {
    return this.inner.enablePrivateDns(vpcEndpointId, options);
  }

  tagResource(resourceId: string, tags: Record<string, string>, options?: CallOptions): Promise<void> {
    return this.inner.tagResource(resourceId, tags, options);
  }

  async describeSubnets(subnetIds: string[], options?: CallOptions): Promise<Subnet[]> {
    if (!covers(new Set(this.subnets.map((s) => s.subnetId)), subnetIds))
      return this.inner.describeSubnets(subnetIds, options);
    return this.subnets.filter((subnet) => subnetIds.includes(subnet.subnetId));
  }

  async describeAvailabilityZones(): Promise<AvailabilityZone[]> {
    return this.zones;
  }

  describeServiceZones(serviceName: string, options?: CallOptions): Promise<string[]> {
    return this.serviceZones.through(serviceName, () =>
      this.inner.describeServiceZones(serviceName, options),
    );
  }

  async describeVpc(vpcId: string, options?: CallOptions): Promise<Vpc> {
    return this.vpcs.get(vpcId)?.vpc ?? this.inner.describeVpc(vpcId, options);
  }

  async describeVpcDnsAttributes(vpcId: string, options?: CallOptions): Promise<VpcDnsAttributes> {
    return this.vpcs.get(vpcId)?.dns ?? this.inner.describeVpcDnsAttributes(vpcId, options);
  }

  async describeSecurityGroupRules(groupIds: string[], options?: CallOptions): Promise<SecurityGroupRule[]> {
    const known = new Set(this.endpoints.flatMap((e) => e.securityGroupIds));
    if (!covers(known, groupIds)) return this.inner.describeSecurityGroupRules(groupIds, options);
    return this.rules.filter((rule) => groupIds.includes(rule.groupId));
  }

  describePrefixLists(prefixListIds: string[], options?: CallOptions) {
    return this.inner.describePrefixLists(prefixListIds, options);
  }

  async describeNetworkAcls(subnetIds: string[], options?: CallOptions): Promise<NetworkAcl[]> {
    const known = new Set(this.endpoints.flatMap((e) => e.subnetIds));
    if (!covers(known, subnetIds)) return this.inner.describeNetworkAcls(subnetIds, options);
    return this.acls.filter((acl) => acl.subnetIds.some((id) => subnetIds.includes(id)));
  }

  /** Every endpoint of a VPC shares its DHCP options: one read per VPC and run. */
  describeDhcpOptions(vpcId: string, options?: CallOptions) {
    return once(this.perVpc, `dhcp:${vpcId}`, () => this.inner.describeDhcpOptions(vpcId, options));
  }

  describeRouteTables(vpcId: string, options?: CallOptions) {
    return once(this.perVpc, `routes:${vpcId}`, () => this.inner.describeRouteTables(vpcId, options));
  }

  async describeNetworkInterfaces(ids: string[], options?: CallOptions): Promise<NetworkInterface[]> {
    if (!covers(new Set(this.interfaces.map((i) => i.networkInterfaceId)), ids)) {
      return this.inner.describeNetworkInterfaces(ids, options);
    }
    return this.interfaces.filter((eni) => ids.includes(eni.networkInterfaceId));
  }
}
