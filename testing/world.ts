/**
 * A whole local world for provisioning tests, the demo and the benchmarks: the TiDB Cloud simulator over
 * real HTTP with digest auth, the in-memory EC2 fake (for what moto cannot show: pendingAcceptance, AZ
 * rejection, ClientToken, private DNS) and the two linked the way TiDB and AWS are linked — TiDB accepting
 * a connection makes the AWS endpoint `available`, an endpoint that does not exist makes TiDB fail it.
 */
import { LocalDataPlane } from '../functions/adapters/dataplane/local-data-plane.ts';
import { TidbCloudClient } from '../functions/adapters/tidbcloud/client.ts';
import type { CliDeps } from '../functions/app/cli-deps.ts';
import { DEFAULT_REQUESTS_PER_MINUTE } from '../functions/config.ts';
import type { DataPlanePort } from '../functions/core/diagnose/ports.ts';
import type { AppEvent, Clock, EventsPort } from '../functions/core/ports.ts';
import {
  DEFAULT_PENDING_TIMEOUT_MIN,
  DEFAULT_STACK_NAME,
  type ReconcileDeps,
  type ReconcileSettings,
} from '../functions/core/reconcile/types.ts';
import { Ec2Fake, type Ec2FakeOptions, type Ec2FakeWithWorld } from './ec2-fake.ts';
import { authorizeEc2Call, enforcedEc2, enforcedEvents } from './iam/enforce.ts';
import { authorizerAs, enforcedPreflight, type PortViews, portViews } from './iam/enforce-ports.ts';
import type { OPERATOR_PROVISION, OPERATOR_READ_ONLY } from './iam/roles.ts';
import { fakePreflightPorts } from './preflight-fakes.ts';
import {
  type SimCluster,
  type Simulator,
  type SimulatorOptions,
  startSimulator,
} from './tidbcloud-simulator/index.ts';

/** Records what the app publishes, for assertions and the demo's narration. */
export class RecordingEvents implements EventsPort {
  readonly published: AppEvent[] = [];
  private readonly listeners: Array<(event: AppEvent) => void> = [];

  async publish(events: AppEvent[]): Promise<void> {
    for (const event of events) {
      this.published.push(event);
      for (const listener of this.listeners) listener(event);
    }
  }

  onEvent(listener: (event: AppEvent) => void): void {
    this.listeners.push(listener);
  }

  ofType(detailType: string): AppEvent[] {
    return this.published.filter((event) => event.detailType === detailType);
  }
}

/**
 * Time that passes only when someone sleeps: TiDB's minutes of "System Checking" cost nothing in a test,
 * yet every wait the app makes is measured exactly (the overhead figure in the benchmarks).
 */
export class VirtualClock implements Clock {
  private current: number;

  constructor(start = Date.parse('2026-01-01T00:00:00.000Z')) {
    this.current = start;
  }

  now = (): number => this.current;

  sleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
    signal?.throwIfAborted();
    this.current += ms;
    await new Promise((resolve) => setImmediate(resolve));
  };

  advance(ms: number): void {
    this.current += ms;
  }
}

export interface WorldOptions {
  clock?: Clock;
  simulator?: SimulatorOptions;
  /** Client-side limit; the benchmarks lift it to count calls without waiting out real minutes. */
  requestsPerMinute?: number;
  pollIntervalMs?: number;
  /** e.g. a raised `endpointLimitPerVpc` (AWS's default quota is 50 interface endpoints per VPC). */
  ec2?: Ec2FakeOptions;
  /**
   * Other accounts' EC2 fakes (spokes, testing/spoke-account.ts): TiDB sees their endpoints as it sees the
   * world's own (registration, acceptance), and every cluster's service is known to them too.
   */
  accounts?: Ec2Fake[];
}

/** Who may run the CLI: the holder of the read-only operator policy, or of both (testing/iam/roles.ts). */
export type OperatorPolicies = typeof OPERATOR_READ_ONLY | typeof OPERATOR_PROVISION;

/** The functions whose packaged role can act on the world (testing/iam). */
export type FunctionName = 'reconcile' | 'provision' | 'probe' | 'troubleshoot';

/** Whoever can hold in-memory ports: a function of the stack (the data plane too) or an operator. */
export type Principal = FunctionName | 'dataPlane' | OperatorPolicies;

export interface World {
  sim: Simulator;
  /** The shared EC2 fake itself: for building the world and looking at it; no IAM in front. */
  ec2: Ec2FakeWithWorld;
  tidb: TidbCloudClient;
  events: RecordingEvents;
  clock: Clock;
  settings: ReconcileSettings;
  /** The reconcile function's dependencies: its own view of the fake, under its packaged role. */
  deps: ReconcileDeps;
  /**
   * `fn`'s dependencies under its packaged role, for a stack with `settings` (default the world's): a stack
   * of other VPCs is packaged (once per shape) with them, as it would be deployed.
   */
  depsFor(fn: FunctionName, settings?: ReconcileSettings): Promise<ReconcileDeps>;
  /**
   * The same parts as the CLI sees them, with the real in-process data plane (DNS, TCP, handshake): the
   * stand-ins themselves, no IAM in front (`cliDepsAs`, `partsFor` put it there).
   */
  cliDeps: CliDeps;
  /**
   * The CLI's parts as a person holding the stack's operator policies sees them (resources/operator-policies.yml):
   * every EC2 call decided against them first. `settings`: a stack of other VPCs (default the world's), as
   * for `depsFor`.
   */
  cliDepsAs(holder: OperatorPolicies, settings?: ReconcileSettings): Promise<CliDeps>;
  /**
   * `who`'s views of in-memory ports a test holds (registry, lease, quota, idempotency, secrets, data plane,
   * DNS path): each call decided against its packaged role or operator policy first (testing/iam/enforce-ports).
   */
  portsFor(who: Principal, settings?: ReconcileSettings): Promise<PortViews>;
  /**
   * The parts the probe or the troubleshoot works with (the diagnostics cores' deps): the world's, with EC2,
   * events and `dataPlane` (as the function's `lambda:InvokeFunction` of the data plane) under its role.
   */
  partsFor<D extends DataPlanePort>(
    fn: 'probe' | 'troubleshoot',
    dataPlane: D,
  ): Promise<Omit<CliDeps, 'dataPlane'> & { dataPlane: D }>;
  /** Adds an ACTIVE AWS cluster in the world's region whose service EC2 also knows. */
  addCluster(input?: Parameters<Simulator['addCluster']>[0]): SimCluster;
  close(): Promise<void>;
}

export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const clock = options.clock ?? new VirtualClock();
  const ec2: Ec2FakeWithWorld = Ec2Fake.withDefaultWorld({
    region: 'us-east-1',
    now: clock.now,
    authorize: authorizeEc2Call(() => ec2),
    ...options.ec2,
  });
  const fakes = [ec2, ...(options.accounts ?? [])];
  // The account holding an endpoint; the world's own when none does (its answer for an unknown id).
  const accountOf = (endpointId: string) => fakes.find((fake) => fake.hasEndpoint(endpointId)) ?? ec2;
  const sim = await startSimulator({
    now: clock.now,
    serviceReadyMs: 0,
    connectionAcceptMs: 300_000,
    endpointExists: (endpointId) => accountOf(endpointId).endpointAddresses(endpointId).length > 0,
    // TiDB accepting the connection is what moves the AWS endpoint out of pendingAcceptance.
    onConnectionActive: (endpointId) => accountOf(endpointId).accept(endpointId),
    ...options.simulator,
  });
  const tidb = new TidbCloudClient({
    baseUrl: sim.url,
    publicKey: sim.publicKey,
    privateKey: sim.privateKey,
    requestsPerMinute: options.requestsPerMinute,
    now: clock.now,
    sleep: clock.sleep,
  });
  const events = new RecordingEvents();
  const settings: ReconcileSettings = {
    region: 'us-east-1',
    vpcId: ec2.world.vpcId,
    subnetIds: ec2.world.subnetIds,
    securityGroupIds: [ec2.world.securityGroupId],
    pollIntervalMs: options.pollIntervalMs ?? 5000,
    requestsPerMinute: DEFAULT_REQUESTS_PER_MINUTE,
    stackName: DEFAULT_STACK_NAME,
    pendingTimeoutMs: DEFAULT_PENDING_TIMEOUT_MIN * 60_000,
  };
  const authorizerFor = (who: Principal, stack = settings) => authorizerAs(who, stack.vpcs ?? [stack]);
  const depsFor = async (fn: FunctionName, stack = settings): Promise<ReconcileDeps> => {
    const authorizer = await authorizerFor(fn, stack);
    return {
      tidb,
      ec2: enforcedEc2(ec2, authorizer),
      events: enforcedEvents(events, authorizer, 'default'),
      clock,
      settings: stack,
    };
  };
  const cliDeps: CliDeps = {
    tidb,
    ec2,
    events,
    clock,
    dataPlane: new LocalDataPlane(),
    preflight: () => fakePreflightPorts({ ec2, tidbUrl: sim.url }),
  };
  const cliDepsAs = async (holder: OperatorPolicies, stack = settings): Promise<CliDeps> => {
    const authorizer = await authorizerFor(holder, stack);
    const enforced = enforcedEc2(ec2, authorizer);
    return {
      ...cliDeps,
      // Events stay the recorder's: the CLI sends to EventBridge only with PRIVATELINK_EVENT_BUS, which the
      // world's CLI environment (cliEnvOf) leaves unset, so it prints them instead.
      ec2: enforced,
      preflight: () => enforcedPreflight(fakePreflightPorts({ ec2: enforced, tidbUrl: sim.url }), authorizer),
    };
  };
  const addCluster = (input: Parameters<Simulator['addCluster']>[0] = {}) => {
    // The real service spans the cluster's AZs: two of the VPC's three here, so AZ filtering shows.
    const cluster = sim.addCluster({ availableZones: ['use1-az1', 'use1-az4', 'use1-az6'], ...input });
    for (const fake of fakes) fake.registerService(cluster.serviceName, cluster.availableZones);
    return cluster;
  };
  return {
    sim,
    ec2,
    tidb,
    events,
    clock,
    settings,
    deps: await depsFor('reconcile'),
    depsFor,
    cliDeps,
    cliDepsAs,
    portsFor: async (who, stack) => portViews(await authorizerFor(who, stack)),
    partsFor: async (fn, dataPlane) => {
      const [own, authorizer] = await Promise.all([depsFor(fn), authorizerFor(fn)]);
      const invoked = portViews(authorizer).dataPlane(dataPlane);
      return { ...cliDeps, ec2: own.ec2, events: own.events, dataPlane: invoked };
    },
    addCluster,
    close: () => sim.close(),
  };
}

/** The environment a user would export to point the CLI at this world (simulator + EC2 fake). */
export function cliEnvOf(world: World, extra: Record<string, string> = {}): Record<string, string> {
  return {
    TIDB_CLOUD_API_URL: world.sim.url,
    TIDB_CLOUD_PUBLIC_KEY: world.sim.publicKey,
    TIDB_CLOUD_PRIVATE_KEY: world.sim.privateKey,
    AWS_REGION: 'us-east-1',
    PRIVATELINK_VPC_ID: world.ec2.world.vpcId,
    PRIVATELINK_SUBNET_IDS: world.ec2.world.subnetIds.join(','),
    PRIVATELINK_SECURITY_GROUP_IDS: world.ec2.world.securityGroupId,
    ...extra,
  };
}
