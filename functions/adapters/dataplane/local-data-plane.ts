/**
 * The data plane run in this process: DNS through the resolver, then TCP in parallel to the resolved
 * addresses, then the MySQL greeting (and login, with credentials) on the first that connected. It connects
 * only when every resolved address is an endpoint ENI address (`probeTargets`): DNS pointing anywhere else
 * means the wrong thing would be probed, possibly outside the VPC.
 */
import { mapLimited } from '../../core/concurrency.ts';
import {
  type DataPlaneBatchItem,
  type DataPlaneBatchPort,
  type DataPlaneProbeInput,
  type DataPlaneResult,
  MAX_BATCH_TARGETS,
  probeTargets,
} from '../../core/diagnose/ports.ts';
import type { CallOptions } from '../../core/ports.ts';
import { type ResolveOptions, resolveHost } from './dns-resolver.ts';
import { type LoginInput, login, readGreeting } from './handshake.ts';
import { netTcpProber, type TcpProber } from './tcp-prober.ts';

/** Every stage is replaceable, so tests can inject outcomes a loopback network cannot produce. */
export interface LocalDataPlaneDeps {
  resolve: typeof resolveHost;
  tcp: TcpProber;
  greet: typeof readGreeting;
  login: typeof login;
}

const DEFAULTS: LocalDataPlaneDeps = { resolve: resolveHost, tcp: netTcpProber, greet: readGreeting, login };

export class LocalDataPlane implements DataPlaneBatchPort {
  private readonly deps: LocalDataPlaneDeps;

  constructor(deps: Partial<LocalDataPlaneDeps> = {}) {
    this.deps = { ...DEFAULTS, ...deps };
  }

  async probe(input: DataPlaneProbeInput, options: CallOptions = {}): Promise<DataPlaneResult> {
    const { signal } = options;
    // Each stage gets what is left of the one budget: a slow resolver leaves less for TCP, never more in total.
    const deadline = performance.now() + input.timeoutMs;
    const left = () => Math.max(1, Math.floor(deadline - performance.now()));
    const resolveOptions: ResolveOptions = {
      timeoutMs: left(),
      ...(input.dnsServer ? { server: input.dnsServer } : {}),
      ...(signal ? { signal } : {}),
    };
    const dns = await this.deps.resolve(input.host, resolveOptions);
    const targets = probeTargets(dns.addresses, input.expectedAddresses);
    const tcpBudget = left();
    const tcp = await Promise.all(
      targets.map((address) => this.deps.tcp.connect(address, input.port, tcpBudget, signal)),
    );
    const reachable = tcp.find((result) => result.status === 'connected');
    if (!reachable) return { dns, tcp };
    const handshake = await this.deps.greet(reachable.address, input.port, left(), signal);
    if (!input.credentials || handshake.status !== 'greeting') return { dns, tcp, handshake };
    const loginInput: LoginInput = {
      address: reachable.address,
      port: input.port,
      host: input.host,
      credentials: input.credentials,
      timeoutMs: left(),
      ...(signal ? { signal } : {}),
    };
    return { dns, tcp, handshake: { ...handshake, login: await this.deps.login(loginInput) } };
  }

  /**
   * A batch, all targets at once up to the batch limit: each is a few sockets, and every one must finish
   * within its own budget, which a queue behind slow (timing-out) targets would eat into.
   */
  probeMany(inputs: DataPlaneProbeInput[], options: CallOptions = {}): Promise<DataPlaneBatchItem[]> {
    return mapLimited(inputs, MAX_BATCH_TARGETS, async (input): Promise<DataPlaneBatchItem> => {
      try {
        return { ok: true, result: await this.probe(input, options) };
      } catch (error) {
        return { ok: false, error: error instanceof Error ? error.message : String(error) };
      }
    });
  }
}
