/**
 * The VPC stand-in (vpc-stand-in.ts) in a child process of its own, with the data plane's probes: the
 * resolver, the TiDB servers and the probes' sockets then keep real time however busy the stack's process
 * is. In AWS the data plane is its own Lambda and the resolver and TiDB are not in the stack's process; in one
 * process, the stack's own CPU work (the IAM engine deciding every call, the fakes) held the event loop for
 * seconds at 300+ clusters, and the probes' 5 s budgets, counted in real time, ran out on answers that had
 * arrived (docs/performance.md, "1,000 clusters at once").
 */
import { type ChildProcess, fork } from 'node:child_process';
import type {
  DataPlaneBatchItem,
  DataPlaneBatchPort,
  DataPlaneProbeInput,
} from '../functions/core/diagnose/ports.ts';
import type { SecurityGroupRule } from '../functions/core/model.ts';
import type { Ec2Fake } from './ec2-fake.ts';
import type { StackDataPlane } from './stack-sim.ts';
import { privateDnsAnswers, securityGroupSwitch } from './vpc-stand-in.ts';

/** One data-plane invocation, with the resolver's answers (null: NXDOMAIN) and the rules for its hosts. */
export interface Invocation {
  type: 'probeMany';
  id: number;
  inputs: DataPlaneProbeInput[];
  answers: Record<string, string[] | null>;
  rules: Record<string, SecurityGroupRule[]>;
}

/** What the parent sends: an invocation, or the caller giving up on one. */
export type ToVpc = Invocation | { type: 'abort'; id: number };

export type FromVpc =
  | { type: 'ready'; port: number; dnsServer: string }
  | { type: 'result'; id: number; items: DataPlaneBatchItem[] };

export interface VpcProcess extends StackDataPlane {
  /** The TiDB port every ENI address listens on: create the clusters with it. */
  port: number;
  /** Admits / revokes TCP on `port` from the source CIDR in a security group of the EC2 fake. */
  admit(groupId: string): void;
  revoke(groupId: string): void;
  /** Names the resolver knows: a cluster's private DNS name and its endpoint service. */
  serve(host: string, serviceName: string): void;
  close(): Promise<void>;
}

function started(child: ChildProcess): Promise<{ port: number; dnsServer: string }> {
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the VPC process exited (${code}) before it was ready`)));
    child.once('message', (message: FromVpc) => {
      if (message.type === 'ready') resolve(message);
    });
  });
}

/** Call before the endpoints are created (the fake hands `addresses` to the ENIs in creation order). */
export async function startVpcProcess(
  ec2: Ec2Fake,
  options: { addresses: string[]; sourceCidr: string },
): Promise<VpcProcess> {
  ec2.useEniAddresses(options.addresses);
  const child = fork(new URL('./vpc-child.ts', import.meta.url).pathname, [], {
    execArgv: ['--import', 'tsx'],
    env: {
      PATH: process.env.PATH ?? '',
      VPC_ADDRESSES: JSON.stringify(options.addresses),
      SOURCE_CIDR: options.sourceCidr,
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const { port, dnsServer } = await started(child);
  const names = new Map<string, string>();
  const pending = new Map<number, (items: DataPlaneBatchItem[]) => void>();
  child.on('message', (message: FromVpc) => {
    if (message.type !== 'result') return;
    pending.get(message.id)?.(message.items);
    pending.delete(message.id);
  });
  let nextId = 0;
  const probeMany: DataPlaneBatchPort['probeMany'] = (inputs, callOptions = {}) => {
    const id = nextId++;
    const { answers, rules } = privateDnsAnswers(ec2, names, inputs);
    const request: ToVpc = { type: 'probeMany', id, inputs, answers, rules };
    const { signal } = callOptions;
    const onAbort = () => child.send({ type: 'abort', id } satisfies ToVpc);
    return new Promise((resolve) => {
      pending.set(id, (items) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(items);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      child.send(request);
    });
  };
  return {
    port,
    dnsServer,
    dataPlane: {
      probeMany,
      probe: async (input, callOptions) => {
        const [item] = await probeMany([input], callOptions);
        if (!item?.ok) throw new Error(item?.error ?? 'the data plane answered nothing');
        return item.result;
      },
    },
    ...securityGroupSwitch(ec2, port, options.sourceCidr),
    serve: (host, serviceName) => names.set(host.toLowerCase(), serviceName),
    close: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}
