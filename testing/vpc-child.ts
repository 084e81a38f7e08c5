/**
 * The customer VPC's network in a process of its own (started by vpc-process.ts): the resolver stand-in, a
 * TiDB-greeting server on every ENI address, and the data plane's probes behind the packet filter, as in
 * vpc-stand-in.ts. What the resolver answers and what the filter admits follow the parent's EC2 fake: each
 * invocation brings the answers and rules for its own hosts, as they are when it is sent.
 * Environment: VPC_ADDRESSES (JSON list of ENI addresses), SOURCE_CIDR.
 */
import { setMaxListeners } from 'node:events';
import type { DataPlaneBatchItem } from '../functions/core/diagnose/ports.ts';
import type { SecurityGroupRule } from '../functions/core/model.ts';
import { loopbackDataPlane, mysqlServer, onSamePort, startDns } from './local-servers.ts';
import type { FromVpc, ToVpc } from './vpc-process.ts';
import { filteredProber, TIDB_GREETING } from './vpc-stand-in.ts';

const addresses = JSON.parse(process.env.VPC_ADDRESSES ?? '[]') as string[];
const answers = new Map<string, string[]>();
const rules = new Map<string, SecurityGroupRule[]>();
const port = await onSamePort(addresses, () => mysqlServer(TIDB_GREETING));
const dnsServer = await startDns((name) => {
  const a = answers.get(name);
  return a ? { a } : undefined;
});
const dataPlane = loopbackDataPlane(
  filteredProber((address) => rules.get(address), process.env.SOURCE_CIDR ?? ''),
);
const aborts = new Map<number, AbortController>();
const send = (message: FromVpc) => process.send?.(message);

process.on('message', (message: ToVpc) => {
  if (message.type === 'abort') return aborts.get(message.id)?.abort();
  for (const [host, a] of Object.entries(message.answers)) {
    if (a) answers.set(host, a);
    else answers.delete(host);
  }
  for (const [address, held] of Object.entries(message.rules)) rules.set(address, held);
  const controller = new AbortController();
  // Every probe of the batch (its resolver, sockets, greeting) listens on the one signal, as in the Lambda.
  setMaxListeners(0, controller.signal);
  aborts.set(message.id, controller);
  void dataPlane
    .probeMany(message.inputs, { signal: controller.signal })
    .then((items: DataPlaneBatchItem[]) => send({ type: 'result', id: message.id, items }))
    .finally(() => aborts.delete(message.id));
});
// Gone with the parent (a bench that crashed): nothing else would end this process.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', port, dnsServer });
