import type { Config } from '../config.ts';
import type { DataPlanePort } from '../core/diagnose/ports.ts';
import type {
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
import type { Flags } from './args.ts';

/** Everything a command needs, built once per run; tests and the demo pass in-memory or local parts. */
export interface CliDeps {
  tidb: TidbCloudPort;
  ec2: ProvisioningEc2Port;
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

export interface CliContext {
  config: Config;
  deps: CliDeps;
  flags: Flags;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  /** Progress lines for people (stderr): never mixed into --json output. */
  progress: (line: string) => void;
  /** stderr is a terminal (progress of long commands goes there). */
  interactive?: boolean;
}

export type ExitCode = 0 | 1 | 2;

export interface CommandResult {
  exitCode: ExitCode;
  json: unknown;
  lines: string[];
}
