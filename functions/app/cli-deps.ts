/**
 * The parts the CLI runs on. The type lives in app/, beside `liveCliDeps` that builds the real ones, so app never
 * reaches up into cli/ for it; the CLI, the tests and the demo build theirs against it.
 */
import type { DataPlanePort } from '../core/diagnose/ports.ts';
import type {
  AccountEc2Port,
  Clock,
  ClusterRegistry,
  EventsPort,
  HostedZonesPort,
  LeaseStore,
  ProvisioningEc2Port,
  ResolverPort,
  TidbCloudPort,
} from '../core/ports.ts';
import type { PreflightPorts } from '../core/preflight/ports.ts';

/** Everything a command needs, built once per run; tests and the demo pass in-memory or local parts. */
export interface CliDeps {
  tidb: TidbCloudPort;
  ec2: ProvisioningEc2Port;
  /** Spoke VPCs' EC2 ports (assumed roles, session `tidb-privatelink-cli`); absent without spokes. */
  accounts?: AccountEc2Port;
  events: EventsPort;
  clock: Clock;
  /** DNS, TCP and the handshake, from where the CLI runs (run it inside the VPC). */
  dataPlane: DataPlanePort;
  /** The stack's registry (`PRIVATELINK_STATE_TABLE`); the CLI works without it. */
  registry?: ClusterRegistry;
  /** The reconcile lease in that table: `reconcile` then takes it, as the scheduled one does. */
  lease?: LeaseStore;
  /** Route 53 and Route 53 Resolver, read by the doctor for the DNS path (optional: unknown without). */
  hostedZones?: HostedZonesPort;
  resolver?: ResolverPort;
  /** What `preflight` reads with the deployer's credentials; built only when that command runs. */
  preflight: () => PreflightPorts;
}
