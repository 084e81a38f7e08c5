/**
 * An in-memory EC2 that behaves like the real one where the cores depend on it and where moto does not
 * (SANDBOX.md, "Gaps"): ClientToken idempotency, AZ support per service, endpoints waiting in
 * `pendingAcceptance` until the provider (TiDB) accepts them, the rules for enabling private DNS, throttling,
 * the per-VPC endpoint limit, and ENIs on loopback addresses the test controls. Errors are `AwsError`s with
 * AWS's codes and texts, so a core cannot tell the fake from `Ec2Adapter` on the real API.
 *
 * Texts marked "AWS text" are the real ones (SANDBOX.md); the others are faithful in code, close in wording.
 *
 * @example
 * const fake = Ec2Fake.withDefaultWorld({ region: 'us-east-1' });
 * fake.registerService('com.amazonaws.vpce.us-east-1.vpce-svc-0abc', ['use1-az1', 'use1-az2']);
 * const endpoint = await fake.createInterfaceEndpoint({ vpcId: fake.world.vpcId, … });
 * fake.accept(endpoint.vpcEndpointId);
 */
import { AwsError } from '../functions/core/errors.ts';
import type {
  AvailabilityZone,
  DhcpOptions,
  NetworkAcl,
  NetworkAclEntry,
  NetworkInterface,
  PrefixList,
  Route,
  RouteTable,
  SecurityGroupRule,
  Subnet,
  Vpc,
  VpcDnsAttributes,
  VpcEndpoint,
  VpcEndpointState,
} from '../functions/core/model.ts';
import { DEFAULT_TIDB_PORT, MANAGED_BY_TAG, MANAGED_BY_VALUE } from '../functions/core/model.ts';
import type {
  CallOptions,
  CreateEndpointInput,
  EndpointChangesPort,
  EndpointLifecyclePort,
  EndpointReadsPort,
  EndpointServiceDetails,
  EndpointServicesPort,
  NetworkReadsPort,
} from '../functions/core/ports.ts';
import { ListingOrder } from './listing-order.ts';

/** EC2 API operations, named as AWS names them: one `Ec2Port` method may make several (as the adapter does). */
export type Ec2Operation =
  | 'DescribeVpcEndpoints'
  | 'CreateVpcEndpoint'
  | 'ModifyVpcEndpoint'
  | 'CreateTags'
  | 'DeleteTags'
  | 'DeleteVpcEndpoints'
  | 'DescribeSubnets'
  | 'DescribeAvailabilityZones'
  | 'DescribeVpcEndpointServices'
  | 'DescribeVpcs'
  | 'DescribeVpcAttribute'
  | 'DescribeSecurityGroupRules'
  | 'GetManagedPrefixListEntries'
  | 'DescribeNetworkAcls'
  | 'DescribeNetworkInterfaces'
  | 'DescribeDhcpOptions'
  | 'DescribeRouteTables';

/** Mutating calls share EC2's small token bucket; describes share the large one (SANDBOX.md). */
export const MUTATING: ReadonlySet<Ec2Operation> = new Set([
  'CreateVpcEndpoint',
  'ModifyVpcEndpoint',
  'CreateTags',
  'DeleteTags',
  'DeleteVpcEndpoints',
]);

export const VPC_ENDPOINT_LIMIT_PER_VPC = 50;

export interface ThrottleOptions {
  /** Milliseconds, e.g. a fake clock's `now`; buckets refill against it. */
  now: () => number;
  /** Default: EC2's `{ burst: 4, refillPerSecond: 0.3 }` for CreateVpcEndpoint / ModifyVpcEndpoint. */
  mutating?: { burst: number; refillPerSecond: number };
  /** Default: EC2's `{ burst: 100, refillPerSecond: 20 }` for Describe* calls. */
  describe?: { burst: number; refillPerSecond: number };
}

export interface Ec2FakeOptions {
  region?: string;
  /** AZ name → AZ ID of this (fake) account. Default: a fixed mapping whose name order differs from ID order. */
  zones?: AvailabilityZone[];
  /** Off by default; turn on to prove callers back off on `RequestLimitExceeded`. */
  throttle?: ThrottleOptions;
  endpointLimitPerVpc?: number;
  /** Milliseconds for endpoints' `CreationTimestamp`, e.g. a virtual clock's `now`. Default `Date.now`. */
  now?: () => number;
  /** What CreateVpcEndpoint answers for the token of a deleted endpoint (AWS does not say). Default `current`. */
  tokenReplay?: TokenReplay;
  /** Seeds the order of subnets, endpoints, route tables and zones in answers (EC2 promises none). */
  listingSeed?: number;
  /**
   * Asked before every API call reaches the fake, as IAM is before EC2 acts (testing/iam: the calling
   * function's role); it throws AWS's refusal to deny. Calls made outside a function's view pass.
   */
  authorize?: (operation: Ec2Operation) => Promise<void>;
  /** Where this fake's id sequence starts: a second account's fake beside the first never repeats its ids. */
  idBase?: number;
}

/**
 * The plausible answers to a ClientToken whose endpoint is gone (deleted, or no longer listed):
 * `current` replays the endpoint as it is now (`deleted`); `original` replays the first response (e.g.
 * `pendingAcceptance`), whatever became of the endpoint; `error` refuses with `errorCode` (default
 * `InvalidVpcEndpointId.NotFound`, naming the endpoint the token is bound to).
 */
export type TokenReplay = { mode: 'current' } | { mode: 'original' } | { mode: 'error'; errorCode?: string };

export interface RegisterServiceOptions {
  /** Does the provider accept endpoints by hand (TiDB does)? Default true: endpoints wait in pendingAcceptance. */
  acceptanceRequired?: boolean;
  /** The service's private DNS name; `null` for a service without one. Default `<service id>.clusters.tidb-cloud.com`. */
  privateDnsName?: string | null;
  /** `PrivateDnsNameVerificationState` of that name. Default `verified`. */
  privateDnsVerificationState?: string;
}

export interface DefaultWorld {
  region: string;
  vpcId: string;
  cidrBlock: string;
  /** One subnet per AZ ID, in this order: use1-az1, use1-az2, use1-az4 (for us-east-1). */
  subnetIds: string[];
  subnetIdByZoneId: Record<string, string>;
  /** Admits TCP 4000 from the VPC CIDR; egress to anywhere (EC2's default). */
  securityGroupId: string;
  defaultNetworkAclId: string;
}

export type Ec2FakeWithWorld = Ec2Fake & { readonly world: DefaultWorld };

interface FakeVpc {
  vpcId: string;
  cidrBlocks: string[];
  dns: VpcDnsAttributes;
  defaultNetworkAclId: string;
  /** `default` (EC2's word for none) or a DHCP options set id. */
  dhcpOptionsId: string;
  mainRouteTableId: string;
}

interface FakeService {
  serviceName: string;
  zoneNames: string[];
  acceptanceRequired: boolean;
  privateDnsName: string | null;
  privateDnsVerificationState: string;
}

interface FakeEndpoint extends VpcEndpoint {
  clientToken: string;
  fingerprint: string;
  /** The response the create gave, for `tokenReplay: original`. */
  original: VpcEndpoint;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
  burst: number;
  refillPerSecond: number;
}

interface Injected {
  error: Error;
  afterSideEffect: boolean;
}

/** Default mapping for us-east-1: IDs are deliberately not in name order, as in most real accounts. */
const US_EAST_1_ZONES: AvailabilityZone[] = [
  { zoneName: 'us-east-1a', zoneId: 'use1-az4' },
  { zoneName: 'us-east-1b', zoneId: 'use1-az6' },
  { zoneName: 'us-east-1c', zoneId: 'use1-az1' },
  { zoneName: 'us-east-1d', zoneId: 'use1-az2' },
  { zoneName: 'us-east-1e', zoneId: 'use1-az3' },
  { zoneName: 'us-east-1f', zoneId: 'use1-az5' },
];

/** `us-east-1` → `use1`, `ap-southeast-1` → `apse1`, `eu-central-1` → `euc1` (AWS's AZ ID prefixes). */
export function zoneIdPrefix(region: string): string {
  const [geo = '', direction = '', number = ''] = region.split('-');
  return `${geo}${direction.replace(/north|south|east|west|central/g, (word) => word.charAt(0))}${number}`;
}

function defaultZones(region: string): AvailabilityZone[] {
  if (region === 'us-east-1') return US_EAST_1_ZONES;
  // Elsewhere: three zones, names a,b,c mapped to IDs az3,az1,az2 (again not in name order).
  const prefix = zoneIdPrefix(region);
  return [
    { zoneName: `${region}a`, zoneId: `${prefix}-az3` },
    { zoneName: `${region}b`, zoneId: `${prefix}-az1` },
    { zoneName: `${region}c`, zoneId: `${prefix}-az2` },
  ];
}

/** One fake for every EC2 sub-port (together, `ProvisioningEc2Port`), over one consistent world. */
export class Ec2Fake
  implements
    EndpointReadsPort,
    EndpointChangesPort,
    EndpointServicesPort,
    EndpointLifecyclePort,
    NetworkReadsPort
{
  readonly region: string;
  /** Calls per EC2 operation since construction or `resetCalls()`, for benchmarks and call-budget tests. */
  readonly calls: Record<Ec2Operation, number> = {
    DescribeVpcEndpoints: 0,
    CreateVpcEndpoint: 0,
    ModifyVpcEndpoint: 0,
    CreateTags: 0,
    DeleteTags: 0,
    DeleteVpcEndpoints: 0,
    DescribeSubnets: 0,
    DescribeAvailabilityZones: 0,
    DescribeVpcEndpointServices: 0,
    DescribeVpcs: 0,
    DescribeVpcAttribute: 0,
    DescribeSecurityGroupRules: 0,
    GetManagedPrefixListEntries: 0,
    DescribeNetworkAcls: 0,
    DescribeNetworkInterfaces: 0,
    DescribeDhcpOptions: 0,
    DescribeRouteTables: 0,
  };

  readonly #zones: AvailabilityZone[];
  readonly #vpcs = new Map<string, FakeVpc>();
  readonly #subnets = new Map<string, Subnet>();
  readonly #securityGroups = new Map<string, { vpcId: string; rules: SecurityGroupRule[] }>();
  readonly #prefixLists = new Map<string, string[]>();
  readonly #networkAcls = new Map<string, NetworkAcl>();
  readonly #dhcpOptions = new Map<string, DhcpOptions>();
  readonly #routeTables = new Map<string, RouteTable>();
  /** The region's default DHCP options set (AmazonProvidedDNS), which EC2 gives every new VPC. */
  #defaultDhcpOptionsId: string | undefined;
  readonly #services = new Map<string, FakeService>();
  readonly #endpoints = new Map<string, FakeEndpoint>();
  readonly #enis = new Map<string, NetworkInterface>();
  readonly #tokens = new Map<string, string>();
  /** Domains claimed in a VPC by something other than an endpoint (a private hosted zone). */
  readonly #claimedDomains = new Map<string, Set<string>>();
  readonly #injected = new Map<Ec2Operation, Injected[]>();
  readonly #createdListeners: ((endpoint: VpcEndpoint) => void)[] = [];
  readonly #queuedAddresses: string[] = [];
  readonly #throttle: ThrottleOptions | undefined;
  readonly #buckets = new Map<'mutating' | 'describe', Bucket>();
  readonly #endpointLimit: number;
  readonly #now: () => number;
  readonly #tokenReplay: TokenReplay;
  readonly #order: ListingOrder;
  /** Deleted endpoints EC2 no longer lists (it lists them as `deleted` only for a while). */
  readonly #forgotten = new Set<string>();
  readonly #authorize: Ec2FakeOptions['authorize'];
  #sequence = 0;
  #nextLoopbackHost = 10;

  constructor(options: Ec2FakeOptions = {}) {
    this.region = options.region ?? 'us-east-1';
    this.#zones = (options.zones ?? defaultZones(this.region)).map((zone) => ({ ...zone }));
    this.#throttle = options.throttle;
    this.#endpointLimit = options.endpointLimitPerVpc ?? VPC_ENDPOINT_LIMIT_PER_VPC;
    this.#now = options.now ?? Date.now;
    this.#tokenReplay = options.tokenReplay ?? { mode: 'current' };
    this.#order = new ListingOrder(options.listingSeed);
    this.#authorize = options.authorize;
    this.#sequence = options.idBase ?? 0;
  }

  /**
   * A realistic customer VPC in a few lines: 10.0.0.0/16 with DNS support and hostnames on, three subnets in
   * the AZ IDs use1-az1/az2/az4 (named us-east-1c/d/a in this account), a security group admitting TCP 4000
   * from the VPC CIDR, and the default network ACL (allow all).
   */
  static withDefaultWorld(options: Ec2FakeOptions = {}): Ec2FakeWithWorld {
    const fake = new Ec2Fake(options);
    const cidrBlock = '10.0.0.0/16';
    const vpcId = fake.createVpc({ cidrBlocks: [cidrBlock] });
    const zoneIds =
      fake.region === 'us-east-1' ? ['use1-az1', 'use1-az2', 'use1-az4'] : fake.#zoneIds().slice(0, 3);
    const subnetIdByZoneId: Record<string, string> = {};
    const subnetIds = zoneIds.map((zoneId, index) => {
      const subnetId = fake.createSubnet({
        vpcId,
        availabilityZoneId: zoneId,
        cidrBlock: `10.0.${index * 16}.0/20`,
      });
      subnetIdByZoneId[zoneId] = subnetId;
      return subnetId;
    });
    const securityGroupId = fake.createSecurityGroup(vpcId, {
      ingress: [
        { ipProtocol: 'tcp', fromPort: DEFAULT_TIDB_PORT, toPort: DEFAULT_TIDB_PORT, cidrIpv4: cidrBlock },
      ],
    });
    const world: DefaultWorld = {
      region: fake.region,
      vpcId,
      cidrBlock,
      subnetIds,
      subnetIdByZoneId,
      securityGroupId,
      defaultNetworkAclId: fake.defaultNetworkAclId(vpcId),
    };
    return Object.assign(fake, { world });
  }

  // ---------------------------------------------------------------- world building (no call counting)

  /** Creates a VPC with its default network ACL (allow all in and out, as EC2 creates it). */
  createVpc(input: { cidrBlocks: string[]; dns?: Partial<VpcDnsAttributes> }): string {
    const vpcId = this.#id('vpc');
    const defaultNetworkAclId = this.#id('acl');
    this.#defaultDhcpOptionsId ??= this.createDhcpOptions(['AmazonProvidedDNS']);
    const mainRouteTableId = this.#id('rtb');
    this.#vpcs.set(vpcId, {
      vpcId,
      cidrBlocks: [...input.cidrBlocks],
      // A VPC made with the API has DNS support on and hostnames off; tests usually want both on.
      dns: { enableDnsSupport: true, enableDnsHostnames: true, ...input.dns },
      defaultNetworkAclId,
      dhcpOptionsId: this.#defaultDhcpOptionsId,
      mainRouteTableId,
    });
    // The main route table, with the `local` route of each VPC CIDR, as EC2 creates it.
    this.#routeTables.set(mainRouteTableId, {
      routeTableId: mainRouteTableId,
      vpcId,
      main: true,
      subnetIds: [],
      routes: input.cidrBlocks.map((destination) => ({ destination, target: 'local', state: 'active' })),
    });
    this.#networkAcls.set(defaultNetworkAclId, {
      networkAclId: defaultNetworkAclId,
      vpcId,
      subnetIds: [],
      entries: allowAllEntries(),
    });
    return vpcId;
  }

  setVpcDnsAttributes(vpcId: string, attributes: Partial<VpcDnsAttributes>): void {
    const vpc = this.#vpc(vpcId);
    vpc.dns = { ...vpc.dns, ...attributes };
  }

  addVpcCidrBlock(vpcId: string, cidrBlock: string): void {
    const vpc = this.#vpc(vpcId);
    vpc.cidrBlocks.push(cidrBlock);
    // EC2 adds the block's `local` route to every route table of the VPC.
    for (const table of this.#routeTables.values())
      if (table.vpcId === vpcId)
        table.routes.push({ destination: cidrBlock, target: 'local', state: 'active' });
  }

  /** A DHCP options set handing out these DNS servers (`AmazonProvidedDNS` or addresses). */
  createDhcpOptions(domainNameServers: string[]): string {
    const dhcpOptionsId = this.#id('dopt');
    this.#dhcpOptions.set(dhcpOptionsId, { dhcpOptionsId, domainNameServers: [...domainNameServers] });
    return dhcpOptionsId;
  }

  /** `default` detaches any set (EC2's AssociateDhcpOptions takes the same word). */
  associateDhcpOptions(dhcpOptionsId: string, vpcId: string): void {
    if (dhcpOptionsId !== 'default' && !this.#dhcpOptions.has(dhcpOptionsId)) {
      throw new AwsError(
        'InvalidDhcpOptionID.NotFound',
        `The dhcpOption ID '${dhcpOptionsId}' does not exist`,
      );
    }
    this.#vpc(vpcId).dhcpOptionsId = dhcpOptionsId;
  }

  mainRouteTableId(vpcId: string): string {
    return this.#vpc(vpcId).mainRouteTableId;
  }

  /** A custom route table with the VPC's `local` routes; the subnets given move to it (as EC2 does). */
  createRouteTable(vpcId: string, input: { subnetIds?: string[] } = {}): string {
    const vpc = this.#vpc(vpcId);
    const routeTableId = this.#id('rtb');
    this.#routeTables.set(routeTableId, {
      routeTableId,
      vpcId,
      main: false,
      subnetIds: [],
      routes: vpc.cidrBlocks.map((destination) => ({ destination, target: 'local', state: 'active' })),
    });
    for (const subnetId of input.subnetIds ?? []) this.associateRouteTable(routeTableId, subnetId);
    return routeTableId;
  }

  associateRouteTable(routeTableId: string, subnetId: string): void {
    const target = this.#routeTable(routeTableId);
    this.#subnet(subnetId);
    for (const table of this.#routeTables.values())
      table.subnetIds = table.subnetIds.filter((id) => id !== subnetId);
    target.subnetIds.push(subnetId);
  }

  /** CreateRoute: one route per destination, as EC2 insists (`RouteAlreadyExists`). */
  addRoute(routeTableId: string, route: Omit<Route, 'state'> & { state?: string }): void {
    const table = this.#routeTable(routeTableId);
    const key = route.destination ?? route.destinationPrefixListId;
    if (table.routes.some((existing) => (existing.destination ?? existing.destinationPrefixListId) === key)) {
      throw new AwsError('RouteAlreadyExists', `The route identified by ${key} already exists.`);
    }
    table.routes.push({ ...route, state: route.state ?? 'active' });
  }

  /** A peering connection or gateway deleted under its routes turns them `blackhole`. */
  blackholeRoutesTo(target: string): void {
    for (const table of this.#routeTables.values())
      for (const route of table.routes) if (route.target === target) route.state = 'blackhole';
  }

  /** Give either the AZ name or its ID; the other is looked up in this account's mapping. */
  createSubnet(input: {
    vpcId: string;
    cidrBlock: string;
    availabilityZone?: string;
    availabilityZoneId?: string;
  }): string {
    this.#vpc(input.vpcId);
    const zone = this.#zones.find(
      (candidate) =>
        candidate.zoneName === input.availabilityZone || candidate.zoneId === input.availabilityZoneId,
    );
    if (!zone) {
      throw new AwsError(
        'InvalidParameterValue',
        `Value (${input.availabilityZone ?? input.availabilityZoneId}) for parameter availabilityZone is invalid.`,
      );
    }
    const subnetId = this.#id('subnet');
    this.#subnets.set(subnetId, {
      subnetId,
      vpcId: input.vpcId,
      availabilityZone: zone.zoneName,
      availabilityZoneId: zone.zoneId,
      cidrBlock: input.cidrBlock,
    });
    // A new subnet is associated with its VPC's default network ACL.
    this.#networkAcl(this.#vpc(input.vpcId).defaultNetworkAclId).subnetIds.push(subnetId);
    return subnetId;
  }

  /** Ingress rules as given; egress defaults to EC2's "all traffic to 0.0.0.0/0". */
  createSecurityGroup(
    vpcId: string,
    rules: {
      ingress?: Omit<SecurityGroupRule, 'groupId' | 'isEgress'>[];
      egress?: Omit<SecurityGroupRule, 'groupId' | 'isEgress'>[];
    } = {},
  ): string {
    this.#vpc(vpcId);
    const groupId = this.#id('sg');
    const egress = rules.egress ?? [{ ipProtocol: '-1', fromPort: -1, toPort: -1, cidrIpv4: '0.0.0.0/0' }];
    this.#securityGroups.set(groupId, {
      vpcId,
      rules: [
        ...(rules.ingress ?? []).map((rule) => ({ ...rule, groupId, isEgress: false })),
        ...egress.map((rule) => ({ ...rule, groupId, isEgress: true })),
      ],
    });
    return groupId;
  }

  authorizeIngress(groupId: string, rule: Omit<SecurityGroupRule, 'groupId' | 'isEgress'>): void {
    this.#securityGroup(groupId).rules.push({ ...rule, groupId, isEgress: false });
  }

  /** Removes the group's rules matching the predicate (e.g. every ingress rule). */
  revokeRules(groupId: string, predicate: (rule: SecurityGroupRule) => boolean): void {
    const group = this.#securityGroup(groupId);
    group.rules = group.rules.filter((rule) => !predicate(rule));
  }

  createPrefixList(cidrs: string[]): string {
    const prefixListId = this.#id('pl');
    this.#prefixLists.set(prefixListId, [...cidrs]);
    return prefixListId;
  }

  defaultNetworkAclId(vpcId: string): string {
    return this.#vpc(vpcId).defaultNetworkAclId;
  }

  /** A custom network ACL; the subnets given move to it from whichever ACL they had (as EC2 does). */
  createNetworkAcl(vpcId: string, input: { subnetIds?: string[]; entries?: NetworkAclEntry[] } = {}): string {
    this.#vpc(vpcId);
    const networkAclId = this.#id('acl');
    // EC2 creates custom ACLs with only the catch-all deny rules.
    const entries = input.entries ?? [
      { ruleNumber: 32767, egress: false, protocol: '-1', ruleAction: 'deny', cidrBlock: '0.0.0.0/0' },
      { ruleNumber: 32767, egress: true, protocol: '-1', ruleAction: 'deny', cidrBlock: '0.0.0.0/0' },
    ];
    this.#networkAcls.set(networkAclId, {
      networkAclId,
      vpcId,
      subnetIds: [],
      entries: structuredClone(entries),
    });
    for (const subnetId of input.subnetIds ?? []) this.associateNetworkAcl(networkAclId, subnetId);
    return networkAclId;
  }

  associateNetworkAcl(networkAclId: string, subnetId: string): void {
    const target = this.#networkAcl(networkAclId);
    this.#subnet(subnetId);
    for (const acl of this.#networkAcls.values())
      acl.subnetIds = acl.subnetIds.filter((id) => id !== subnetId);
    target.subnetIds.push(subnetId);
  }

  setNetworkAclEntries(networkAclId: string, entries: NetworkAclEntry[]): void {
    this.#networkAcl(networkAclId).entries = structuredClone(entries);
  }

  addNetworkAclEntry(networkAclId: string, entry: NetworkAclEntry): void {
    this.#networkAcl(networkAclId).entries.push({ ...entry });
  }

  /**
   * Offers an endpoint service (TiDB's side). Zones may be given as names in this account or as AZ IDs (what
   * TiDB's API lists); EC2 answers DescribeVpcEndpointServices with names, so IDs are translated.
   */
  registerService(serviceName: string, zones: string[], options: RegisterServiceOptions = {}): void {
    const zoneNames = zones.map(
      (zone) => this.#zones.find((known) => known.zoneId === zone)?.zoneName ?? zone,
    );
    const serviceId = serviceName.split('.').pop() ?? serviceName;
    this.#services.set(serviceName, {
      serviceName,
      zoneNames,
      acceptanceRequired: options.acceptanceRequired ?? true,
      privateDnsName:
        options.privateDnsName === undefined
          ? `${serviceId}.clusters.tidb-cloud.com`
          : options.privateDnsName,
      privateDnsVerificationState: options.privateDnsVerificationState ?? 'verified',
    });
  }

  /** The provider accepts the endpoint: `pendingAcceptance` → `available`. */
  accept(vpcEndpointId: string): void {
    const endpoint = this.#endpoint(vpcEndpointId);
    if (endpoint.state !== 'pendingAcceptance' && endpoint.state !== 'pending') {
      throw new Error(`Ec2Fake: cannot accept ${vpcEndpointId} in state ${endpoint.state}`);
    }
    endpoint.state = 'available';
  }

  /** The provider rejects the endpoint. */
  reject(vpcEndpointId: string): void {
    this.#endpoint(vpcEndpointId).state = 'rejected';
  }

  /** Forces any state (e.g. `failed`, `deleting`) for diagnosis tests. */
  setEndpointState(vpcEndpointId: string, state: VpcEndpointState): void {
    this.#endpoint(vpcEndpointId).state = state;
  }

  /** Deletes as EC2 does: the endpoint stays listed as `deleted` for a while, its ENIs are gone at once. */
  deleteEndpoint(vpcEndpointId: string): void {
    const endpoint = this.#endpoint(vpcEndpointId);
    for (const eniId of endpoint.networkInterfaceIds) this.#enis.delete(eniId);
    endpoint.state = 'deleted';
    endpoint.networkInterfaceIds = [];
    endpoint.privateDnsEnabled = false;
  }

  /** A deleted endpoint EC2 has stopped listing; its ClientToken stays bound to it. */
  forgetEndpoint(vpcEndpointId: string): void {
    if (this.#endpoint(vpcEndpointId).state !== 'deleted') {
      throw new Error(`Ec2Fake: only a deleted endpoint can be forgotten (${vpcEndpointId})`);
    }
    this.#forgotten.add(vpcEndpointId);
  }

  /** Called synchronously after each successful creation: lets a TiDB simulator see endpoints appear. */
  onEndpointCreated(listener: (endpoint: VpcEndpoint) => void): void {
    this.#createdListeners.push(listener);
  }

  /** The private IPs the next ENIs get, in order (then loopback addresses picked by the fake: 127.0.0.10, …). */
  useEniAddresses(addresses: string[]): void {
    this.#queuedAddresses.push(...addresses);
  }

  setEniAddress(networkInterfaceId: string, privateIpAddress: string): void {
    const eni = this.#enis.get(networkInterfaceId);
    if (!eni) throw new Error(`Ec2Fake: no ENI ${networkInterfaceId}`);
    eni.privateIpAddress = privateIpAddress;
  }

  /** Whether this fake (this account) holds the endpoint, in any state. */
  hasEndpoint(vpcEndpointId: string): boolean {
    return this.#endpoints.has(vpcEndpointId);
  }

  /** The addresses of an endpoint's ENIs, in subnet order: what its private DNS name would resolve to. */
  endpointAddresses(vpcEndpointId: string): string[] {
    return this.#endpoint(vpcEndpointId).networkInterfaceIds.flatMap((id) => {
      const eni = this.#enis.get(id);
      return eni ? [eni.privateIpAddress] : [];
    });
  }

  /** Something else (a private hosted zone) already serves this domain in the VPC. */
  claimPrivateDnsDomain(vpcId: string, domain: string): void {
    const domains = this.#claimedDomains.get(vpcId) ?? new Set<string>();
    domains.add(domain);
    this.#claimedDomains.set(vpcId, domains);
  }

  /**
   * The next call of `operation` fails with `error`. With `afterSideEffect`, the call does its work first and
   * then fails, like a response lost on the way back: the endpoint exists but the caller never learned its ID.
   */
  failNext(operation: Ec2Operation, error: Error, options: { afterSideEffect?: boolean } = {}): void {
    const queue = this.#injected.get(operation) ?? [];
    queue.push({ error, afterSideEffect: options.afterSideEffect ?? false });
    this.#injected.set(operation, queue);
  }

  /** Every endpoint as it is now, without counting a call: for stand-ins that play the VPC's network. */
  peekEndpoints(): VpcEndpoint[] {
    return this.#listed().map(publicEndpoint);
  }

  /**
   * One endpoint as it is now (as `peekEndpoints` would list it, or undefined), without counting a call: IAM's
   * look-up of the endpoint a call names (testing/iam), by id rather than through a whole shuffled listing.
   */
  peekEndpoint(vpcEndpointId: string): VpcEndpoint | undefined {
    const endpoint = this.#endpoints.get(vpcEndpointId);
    return endpoint && !this.#forgotten.has(vpcEndpointId) ? publicEndpoint(endpoint) : undefined;
  }

  /** Security-group rules as they are now, without counting a call (see `peekEndpoints`). */
  peekSecurityGroupRules(groupIds: string[]): SecurityGroupRule[] {
    return groupIds.flatMap((groupId) =>
      (this.#securityGroups.get(groupId)?.rules ?? []).map((rule) => ({ ...rule })),
    );
  }

  /** Security groups' VPCs as they are now, without counting a call; unknown ids are left out. */
  peekSecurityGroups(groupIds: string[]): Array<{ groupId: string; vpcId: string }> {
    return groupIds.flatMap((groupId) => {
      const group = this.#securityGroups.get(groupId);
      return group ? [{ groupId, vpcId: group.vpcId }] : [];
    });
  }

  /** Subnets as they are now, without counting a call (see `peekEndpoints`); unknown ids are left out. */
  peekSubnets(subnetIds: string[]): Subnet[] {
    return subnetIds.flatMap((id) => {
      const subnet = this.#subnets.get(id);
      return subnet ? [{ ...subnet }] : [];
    });
  }

  resetCalls(): void {
    for (const operation of Object.keys(this.calls) as Ec2Operation[]) this.calls[operation] = 0;
  }

  get totalCalls(): number {
    return Object.values(this.calls).reduce((sum, count) => sum + count, 0);
  }

  /** Calls that change something (create, modify, tag, untag, delete): a dry run must make none. */
  get mutatingCalls(): number {
    return [...MUTATING].reduce((sum, operation) => sum + this.calls[operation], 0);
  }

  // ---------------------------------------------------------------- Ec2Port

  async listManagedEndpoints(
    tags: Record<string, string> = {},
    options?: CallOptions,
  ): Promise<VpcEndpoint[]> {
    return this.#call('DescribeVpcEndpoints', options, () => {
      const wanted: Record<string, string> = { ...tags, [MANAGED_BY_TAG]: MANAGED_BY_VALUE };
      return this.#listed((endpoint) =>
        Object.entries(wanted).every(([key, value]) => endpoint.tags[key] === value),
      ).map(publicEndpoint);
    });
  }

  async findEndpoints(
    filter: { vpcId?: string; serviceName?: string; vpcEndpointIds?: string[] },
    options?: CallOptions,
  ): Promise<VpcEndpoint[]> {
    if (filter.vpcEndpointIds?.length === 0) return [];
    return this.#call('DescribeVpcEndpoints', options, () =>
      this.#listed(
        (endpoint) =>
          (!filter.vpcId || endpoint.vpcId === filter.vpcId) &&
          (!filter.serviceName || endpoint.serviceName === filter.serviceName) &&
          // Unknown IDs are dropped, as Ec2Adapter does.
          (!filter.vpcEndpointIds || filter.vpcEndpointIds.includes(endpoint.vpcEndpointId)),
      ).map(publicEndpoint),
    );
  }

  async createInterfaceEndpoint(input: CreateEndpointInput, options?: CallOptions): Promise<VpcEndpoint> {
    return this.#call('CreateVpcEndpoint', options, () => {
      const fingerprint = fingerprintOf(input);
      const existingId = this.#tokens.get(input.clientToken);
      if (existingId) {
        const existing = this.#endpoint(existingId);
        if (existing.fingerprint !== fingerprint) {
          throw new AwsError(
            'IdempotentParameterMismatch',
            `The client token ${input.clientToken} has already been used with different parameters.`,
          );
        }
        // Same token, same request: EC2 answers with the endpoint the first request created.
        return this.#replay(existing);
      }
      const vpc = this.#vpcs.get(input.vpcId);
      if (!vpc) throw new AwsError('InvalidVpcID.NotFound', `The vpc ID '${input.vpcId}' does not exist`);
      const service = this.#services.get(input.serviceName);
      if (!service) {
        throw new AwsError(
          'InvalidServiceName',
          `The Vpc Endpoint Service '${input.serviceName}' does not exist`,
        );
      }
      const subnets = this.#endpointSubnets(input.vpcId, service, input.subnetIds);
      for (const groupId of input.securityGroupIds) {
        const group = this.#securityGroups.get(groupId);
        if (!group)
          throw new AwsError('InvalidGroup.NotFound', `The security group '${groupId}' does not exist`);
        if (group.vpcId !== input.vpcId) {
          throw new AwsError(
            'InvalidParameter',
            `The security group ${groupId} does not belong to the VPC ${input.vpcId}.`,
          );
        }
      }
      const live = [...this.#endpoints.values()].filter(
        (endpoint) => endpoint.vpcId === input.vpcId && endpoint.state !== 'deleted',
      );
      if (live.length >= this.#endpointLimit) {
        throw new AwsError(
          'VpcEndpointLimitExceeded',
          `The maximum number of VPC endpoints (${this.#endpointLimit}) has been reached for ${input.vpcId}.`,
        );
      }

      const vpcEndpointId = this.#id('vpce');
      const networkInterfaceIds = subnets.map((subnet) => this.#newEni(subnet.subnetId));
      const created: VpcEndpoint = {
        vpcEndpointId,
        vpcId: input.vpcId,
        serviceName: input.serviceName,
        state: service.acceptanceRequired ? 'pendingAcceptance' : 'available',
        subnetIds: [...input.subnetIds],
        securityGroupIds: [...input.securityGroupIds],
        networkInterfaceIds,
        // The port always creates with private DNS off (it cannot be on before acceptance).
        privateDnsEnabled: false,
        tags: { ...input.tags },
        createdAt: new Date(this.#now()).toISOString(),
      };
      const endpoint: FakeEndpoint = {
        ...created,
        clientToken: input.clientToken,
        fingerprint,
        original: publicEndpoint(created),
      };
      this.#endpoints.set(vpcEndpointId, endpoint);
      this.#tokens.set(input.clientToken, vpcEndpointId);
      for (const listener of this.#createdListeners) listener(publicEndpoint(endpoint));
      return publicEndpoint(endpoint);
    });
  }

  async enablePrivateDns(vpcEndpointId: string, options?: CallOptions): Promise<void> {
    return this.#call('ModifyVpcEndpoint', options, () => {
      const endpoint = this.#endpoints.get(vpcEndpointId);
      if (!endpoint) {
        throw new AwsError(
          'InvalidVpcEndpointId.NotFound',
          `The VpcEndPoint ID '${vpcEndpointId}' does not exist`,
        );
      }
      if (endpoint.privateDnsEnabled) return;
      if (endpoint.state !== 'available') {
        throw new AwsError(
          'IncorrectState',
          `Private DNS can only be enabled after the VPC endpoint ${vpcEndpointId} has been accepted by the ` +
            `service owner; it is ${endpoint.state}.`,
        );
      }
      const vpc = this.#vpc(endpoint.vpcId);
      if (!vpc.dns.enableDnsSupport || !vpc.dns.enableDnsHostnames) {
        // AWS text.
        throw new AwsError(
          'InvalidParameter',
          `Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true for ${vpc.vpcId}`,
        );
      }
      const service = this.#services.get(endpoint.serviceName);
      const domain = service?.privateDnsName;
      if (!domain) {
        throw new AwsError(
          'InvalidParameter',
          `Private DNS can't be enabled because the service ${endpoint.serviceName} does not provide a private DNS name.`,
        );
      }
      const conflicting =
        this.#claimedDomains.get(vpc.vpcId)?.has(domain) === true ||
        [...this.#endpoints.values()].some(
          (other) =>
            other.vpcEndpointId !== vpcEndpointId &&
            other.vpcId === vpc.vpcId &&
            other.privateDnsEnabled &&
            this.#services.get(other.serviceName)?.privateDnsName === domain,
        );
      if (conflicting) {
        throw new AwsError(
          'InvalidParameter',
          `private-dns-enabled cannot be set because there is already a conflicting DNS domain for ${domain} in the VPC ${vpc.vpcId}`,
        );
      }
      endpoint.privateDnsEnabled = true;
    });
  }

  async modifyEndpointSubnets(
    vpcEndpointId: string,
    change: { addSubnetIds: string[]; removeSubnetIds: string[] },
    options?: CallOptions,
  ): Promise<void> {
    return this.#call('ModifyVpcEndpoint', options, () => {
      const endpoint = this.#endpoint(vpcEndpointId);
      if (['deleting', 'deleted', 'rejected', 'failed', 'expired'].includes(endpoint.state)) {
        throw new AwsError('IncorrectState', `The VPC endpoint ${vpcEndpointId} is ${endpoint.state}.`);
      }
      const service = this.#services.get(endpoint.serviceName);
      if (!service) {
        throw new AwsError(
          'InvalidServiceName',
          `The Vpc Endpoint Service '${endpoint.serviceName}' does not exist`,
        );
      }
      const kept = endpoint.subnetIds.filter((id) => !change.removeSubnetIds.includes(id));
      // Validates the whole resulting set: one subnet per AZ, every AZ supported by the service.
      this.#endpointSubnets(endpoint.vpcId, service, [...kept, ...change.addSubnetIds]);
      const removedEnis = endpoint.networkInterfaceIds.filter((eniId) =>
        change.removeSubnetIds.includes(this.#enis.get(eniId)?.subnetId ?? ''),
      );
      for (const eniId of removedEnis) this.#enis.delete(eniId);
      endpoint.networkInterfaceIds = [
        ...endpoint.networkInterfaceIds.filter((eniId) => !removedEnis.includes(eniId)),
        ...change.addSubnetIds.map((subnetId) => this.#newEni(subnetId)),
      ];
      endpoint.subnetIds = [...kept, ...change.addSubnetIds];
    });
  }

  async tagResource(resourceId: string, tags: Record<string, string>, options?: CallOptions): Promise<void> {
    if (Object.keys(tags).length === 0) return;
    return this.#call('CreateTags', options, () => {
      const endpoint = this.#endpoints.get(resourceId);
      if (!endpoint) {
        throw new AwsError(
          'InvalidVpcEndpointId.NotFound',
          `The VpcEndPoint ID '${resourceId}' does not exist`,
        );
      }
      Object.assign(endpoint.tags, tags);
    });
  }

  async deleteTags(resourceId: string, keys: string[], options?: CallOptions): Promise<void> {
    if (keys.length === 0) return;
    return this.#call('DeleteTags', options, () => {
      const endpoint = this.#endpoint(resourceId);
      for (const key of keys) delete endpoint.tags[key];
    });
  }

  /**
   * As EC2 answers through the adapter: an unknown id is no error (EC2 lists it in `Unsuccessful` as not
   * found, which the adapter ignores); the others go to `deleted` with their ENIs gone at once.
   */
  async deleteVpcEndpoints(vpcEndpointIds: string[], options?: CallOptions): Promise<void> {
    if (vpcEndpointIds.length === 0) return;
    return this.#call('DeleteVpcEndpoints', options, () => {
      for (const id of vpcEndpointIds) if (this.#endpoints.has(id)) this.deleteEndpoint(id);
    });
  }

  async describeSubnets(subnetIds: string[], options?: CallOptions): Promise<Subnet[]> {
    if (subnetIds.length === 0) return [];
    return this.#call('DescribeSubnets', options, () =>
      this.#order.arrange(
        subnetIds.map((id) => ({ ...this.#subnet(id) })),
        (subnet) => subnet.subnetId,
      ),
    );
  }

  async describeAvailabilityZones(options?: CallOptions): Promise<AvailabilityZone[]> {
    return this.#call('DescribeAvailabilityZones', options, () =>
      this.#order.arrange(
        this.#zones.map((zone) => ({ ...zone })),
        (zone) => zone.zoneId,
      ),
    );
  }

  async describeServiceZones(serviceName: string, options?: CallOptions): Promise<string[]> {
    return (await this.describeEndpointService(serviceName, options)).zoneNames;
  }

  async describeEndpointService(serviceName: string, options?: CallOptions): Promise<EndpointServiceDetails> {
    return this.#call('DescribeVpcEndpointServices', options, () => {
      const service = this.#services.get(serviceName);
      if (!service) {
        throw new AwsError('InvalidServiceName', `The Vpc Endpoint Service '${serviceName}' does not exist`);
      }
      return {
        zoneNames: [...service.zoneNames],
        ...(service.privateDnsName
          ? {
              privateDnsName: service.privateDnsName,
              privateDnsVerificationState: service.privateDnsVerificationState,
            }
          : {}),
      };
    });
  }

  async describeVpc(vpcId: string, options?: CallOptions): Promise<Vpc> {
    return this.#call('DescribeVpcs', options, () => {
      const vpc = this.#vpc(vpcId);
      return { vpcId, cidrBlocks: [...vpc.cidrBlocks] };
    });
  }

  async describeVpcDnsAttributes(vpcId: string, options?: CallOptions): Promise<VpcDnsAttributes> {
    // Two DescribeVpcAttribute calls, as on the real API.
    const [support, hostnames] = await Promise.all([
      this.#call('DescribeVpcAttribute', options, () => this.#vpc(vpcId).dns.enableDnsSupport),
      this.#call('DescribeVpcAttribute', options, () => this.#vpc(vpcId).dns.enableDnsHostnames),
    ]);
    return { enableDnsSupport: support, enableDnsHostnames: hostnames };
  }

  async describeSecurityGroupRules(groupIds: string[], options?: CallOptions): Promise<SecurityGroupRule[]> {
    if (groupIds.length === 0) return [];
    // A `group-id` filter: unknown groups simply match nothing.
    return this.#call('DescribeSecurityGroupRules', options, () =>
      groupIds.flatMap((groupId) =>
        (this.#securityGroups.get(groupId)?.rules ?? []).map((rule) => ({ ...rule })),
      ),
    );
  }

  async describePrefixLists(prefixListIds: string[], options?: CallOptions): Promise<PrefixList[]> {
    // One GetManagedPrefixListEntries per list, as on the real API.
    return Promise.all(
      prefixListIds.map((prefixListId) =>
        this.#call('GetManagedPrefixListEntries', options, () => {
          const cidrs = this.#prefixLists.get(prefixListId);
          if (!cidrs) {
            throw new AwsError(
              'InvalidPrefixListID.NotFound',
              `The prefix list ID '${prefixListId}' does not exist`,
            );
          }
          return { prefixListId, cidrs: [...cidrs] };
        }),
      ),
    );
  }

  async describeNetworkAcls(subnetIds: string[], options?: CallOptions): Promise<NetworkAcl[]> {
    if (subnetIds.length === 0) return [];
    return this.#call('DescribeNetworkAcls', options, () =>
      [...this.#networkAcls.values()]
        .filter((acl) => acl.subnetIds.some((id) => subnetIds.includes(id)))
        .map((acl) => structuredClone(acl)),
    );
  }

  async describeDhcpOptions(vpcId: string, options?: CallOptions): Promise<DhcpOptions | undefined> {
    // DescribeVpcs for the set's id, then DescribeDhcpOptions, as Ec2Adapter does.
    const dhcpOptionsId = await this.#call('DescribeVpcs', options, () => this.#vpc(vpcId).dhcpOptionsId);
    if (dhcpOptionsId === 'default') return undefined;
    return this.#call('DescribeDhcpOptions', options, () => {
      const set = this.#dhcpOptions.get(dhcpOptionsId);
      if (!set) {
        throw new AwsError(
          'InvalidDhcpOptionID.NotFound',
          `The dhcpOption ID '${dhcpOptionsId}' does not exist`,
        );
      }
      return structuredClone(set);
    });
  }

  async describeRouteTables(vpcId: string, options?: CallOptions): Promise<RouteTable[]> {
    // A `vpc-id` filter: an unknown VPC matches nothing.
    return this.#call('DescribeRouteTables', options, () =>
      this.#order.arrange(
        [...this.#routeTables.values()]
          .filter((table) => table.vpcId === vpcId)
          .map((table) => structuredClone(table)),
        (table) => table.routeTableId,
      ),
    );
  }

  async describeNetworkInterfaces(ids: string[], options?: CallOptions): Promise<NetworkInterface[]> {
    if (ids.length === 0) return [];
    return this.#call('DescribeNetworkInterfaces', options, () =>
      ids.map((id) => {
        const eni = this.#enis.get(id);
        if (!eni) {
          throw new AwsError(
            'InvalidNetworkInterfaceID.NotFound',
            `The networkInterface ID '${id}' does not exist`,
          );
        }
        return { ...eni };
      }),
    );
  }

  // ---------------------------------------------------------------- internals

  /** Endpoints DescribeVpcEndpoints still lists (those matching, filtered first), in this listing's order. */
  #listed(matches: (endpoint: FakeEndpoint) => boolean = () => true): FakeEndpoint[] {
    const listed = [...this.#endpoints.values()].filter(
      (endpoint) => !this.#forgotten.has(endpoint.vpcEndpointId) && matches(endpoint),
    );
    return this.#order.arrange(listed, (endpoint) => endpoint.vpcEndpointId);
  }

  /** The answer to a ClientToken used before (see `TokenReplay`). */
  #replay(endpoint: FakeEndpoint): VpcEndpoint {
    const gone = endpoint.state === 'deleted' || this.#forgotten.has(endpoint.vpcEndpointId);
    switch (this.#tokenReplay.mode) {
      case 'original':
        return structuredClone(endpoint.original);
      case 'error':
        if (!gone) return publicEndpoint(endpoint);
        throw new AwsError(
          this.#tokenReplay.errorCode ?? 'InvalidVpcEndpointId.NotFound',
          `The VpcEndPoint ID '${endpoint.vpcEndpointId}' does not exist`,
        );
      default:
        return publicEndpoint(endpoint);
    }
  }

  /**
   * Every API call: count it, honour the abort signal, throttle, apply injected faults, and yield to the event
   * loop first so concurrent callers interleave the way concurrent HTTP requests would.
   */
  async #call<T>(operation: Ec2Operation, options: CallOptions | undefined, work: () => T): Promise<T> {
    this.calls[operation] += 1;
    await Promise.resolve();
    options?.signal?.throwIfAborted();
    await this.#authorize?.(operation);
    this.#consumeToken(operation);
    const injected = this.#injected.get(operation)?.shift();
    if (injected && !injected.afterSideEffect) throw injected.error;
    const result = work();
    if (injected) throw injected.error;
    return result;
  }

  #consumeToken(operation: Ec2Operation): void {
    if (!this.#throttle) return;
    const kind = MUTATING.has(operation) ? 'mutating' : 'describe';
    const now = this.#throttle.now();
    const limits =
      kind === 'mutating'
        ? (this.#throttle.mutating ?? { burst: 4, refillPerSecond: 0.3 })
        : (this.#throttle.describe ?? { burst: 100, refillPerSecond: 20 });
    const bucket = this.#buckets.get(kind) ?? { tokens: limits.burst, updatedAt: now, ...limits };
    bucket.tokens = Math.min(
      bucket.burst,
      bucket.tokens + ((now - bucket.updatedAt) / 1000) * bucket.refillPerSecond,
    );
    bucket.updatedAt = now;
    this.#buckets.set(kind, bucket);
    if (bucket.tokens < 1) throw new AwsError('RequestLimitExceeded', 'Request limit exceeded.');
    bucket.tokens -= 1;
  }

  /** Subnets for an endpoint, checked as EC2 checks them: in the VPC, one per AZ, each AZ offered. */
  #endpointSubnets(vpcId: string, service: FakeService, subnetIds: string[]): Subnet[] {
    const subnets = subnetIds.map((subnetId) => {
      const subnet = this.#subnets.get(subnetId);
      if (!subnet)
        throw new AwsError('InvalidSubnetID.NotFound', `The subnet ID '${subnetId}' does not exist`);
      if (subnet.vpcId !== vpcId) {
        throw new AwsError('InvalidParameter', `The subnet ${subnetId} does not belong to the VPC ${vpcId}.`);
      }
      return subnet;
    });
    const seenZones = new Set<string>();
    for (const subnet of subnets) {
      if (seenZones.has(subnet.availabilityZoneId)) {
        throw new AwsError(
          'DuplicateSubnetsInSameZone',
          `Found another VPC endpoint subnet in the availability zone of ${subnet.subnetId}. VPC endpoint ` +
            'subnets should be in different availability zones supported by the VPC endpoint service.',
        );
      }
      seenZones.add(subnet.availabilityZoneId);
      if (!service.zoneNames.includes(subnet.availabilityZone)) {
        // AWS text.
        throw new AwsError(
          'InvalidParameter',
          `The VPC endpoint service ${service.serviceName} does not support the availability zone of the subnet: ${subnet.subnetId}.`,
        );
      }
    }
    return subnets;
  }

  #newEni(subnetId: string): string {
    const networkInterfaceId = this.#id('eni');
    this.#enis.set(networkInterfaceId, {
      networkInterfaceId,
      subnetId,
      privateIpAddress: this.#nextAddress(),
    });
    return networkInterfaceId;
  }

  #nextAddress(): string {
    const queued = this.#queuedAddresses.shift();
    if (queued) return queued;
    // Loopback only: probes in tests connect to these addresses and must never leave the machine.
    const host = this.#nextLoopbackHost;
    this.#nextLoopbackHost = host >= 254 ? 10 : host + 1;
    return `127.0.0.${host}`;
  }

  #id(prefix: string): string {
    this.#sequence += 1;
    return `${prefix}-0${this.#sequence.toString(16).padStart(16, '0')}`;
  }

  #zoneIds(): string[] {
    return this.#zones.map((zone) => zone.zoneId).sort();
  }

  #vpc(vpcId: string): FakeVpc {
    const vpc = this.#vpcs.get(vpcId);
    if (!vpc) throw new AwsError('InvalidVpcID.NotFound', `The vpc ID '${vpcId}' does not exist`);
    return vpc;
  }

  #subnet(subnetId: string): Subnet {
    const subnet = this.#subnets.get(subnetId);
    if (!subnet) throw new AwsError('InvalidSubnetID.NotFound', `The subnet ID '${subnetId}' does not exist`);
    return subnet;
  }

  #securityGroup(groupId: string): { vpcId: string; rules: SecurityGroupRule[] } {
    const group = this.#securityGroups.get(groupId);
    if (!group) throw new AwsError('InvalidGroup.NotFound', `The security group '${groupId}' does not exist`);
    return group;
  }

  #networkAcl(networkAclId: string): NetworkAcl {
    const acl = this.#networkAcls.get(networkAclId);
    if (!acl) {
      throw new AwsError(
        'InvalidNetworkAclID.NotFound',
        `The network ACL ID '${networkAclId}' does not exist`,
      );
    }
    return acl;
  }

  #routeTable(routeTableId: string): RouteTable {
    const table = this.#routeTables.get(routeTableId);
    if (!table) {
      throw new AwsError(
        'InvalidRouteTableID.NotFound',
        `The routeTable ID '${routeTableId}' does not exist`,
      );
    }
    return table;
  }

  #endpoint(vpcEndpointId: string): FakeEndpoint {
    const endpoint = this.#endpoints.get(vpcEndpointId);
    if (!endpoint) {
      throw new AwsError(
        'InvalidVpcEndpointId.NotFound',
        `The VpcEndPoint ID '${vpcEndpointId}' does not exist`,
      );
    }
    return endpoint;
  }
}

/** EC2's default network ACL: rule 100 allows everything, the catch-all `*` (32767) denies. */
function allowAllEntries(): NetworkAclEntry[] {
  return [
    { ruleNumber: 100, egress: false, protocol: '-1', ruleAction: 'allow', cidrBlock: '0.0.0.0/0' },
    { ruleNumber: 32767, egress: false, protocol: '-1', ruleAction: 'deny', cidrBlock: '0.0.0.0/0' },
    { ruleNumber: 100, egress: true, protocol: '-1', ruleAction: 'allow', cidrBlock: '0.0.0.0/0' },
    { ruleNumber: 32767, egress: true, protocol: '-1', ruleAction: 'deny', cidrBlock: '0.0.0.0/0' },
  ];
}

/**
 * What makes two CreateVpcEndpoint requests "the same" for ClientToken purposes. AWS does not say whether
 * the order of the lists counts, so here it does: the same set in another order is `IdempotentParameterMismatch`.
 */
function fingerprintOf(input: CreateEndpointInput): string {
  return JSON.stringify([
    input.vpcId,
    input.serviceName,
    input.subnetIds,
    input.securityGroupIds,
    Object.entries(input.tags).sort(([a], [b]) => a.localeCompare(b)),
  ]);
}

/** A detached copy without the fake's bookkeeping, so callers cannot mutate the fake's state. */
function publicEndpoint(endpoint: VpcEndpoint): VpcEndpoint {
  return {
    vpcEndpointId: endpoint.vpcEndpointId,
    vpcId: endpoint.vpcId,
    serviceName: endpoint.serviceName,
    state: endpoint.state,
    subnetIds: [...endpoint.subnetIds],
    securityGroupIds: [...endpoint.securityGroupIds],
    networkInterfaceIds: [...endpoint.networkInterfaceIds],
    privateDnsEnabled: endpoint.privateDnsEnabled,
    tags: { ...endpoint.tags },
    ...(endpoint.createdAt ? { createdAt: endpoint.createdAt } : {}),
  };
}
