/**
 * The customer VPC's network, played on loopback so the doctor and the probe run for real end to end:
 * - the endpoint's ENI addresses are loopback addresses the kit chooses (127.0.0.11, …), handed to the EC2
 *   fake before the endpoint is created, and a TiDB-greeting MySQL-protocol server (mysql2) listens on each;
 * - a real DNS server plays the VPC resolver: it answers a cluster's private name with the ENI addresses only
 *   while the EC2 fake says the managed endpoint has private DNS on (else NXDOMAIN, as AWS does);
 * - a packet filter in front of the TCP prober drops what the fake's security groups would not admit, so the
 *   connect times out as it would in AWS (loopback itself has no security groups). It decides with the
 *   independent matcher of packet-oracle.ts, never with the production evaluator the doctor uses.
 * The filter and the resolver are stand-ins for AWS behaviour the sandbox cannot show; everything else is real.
 */

import type { LocalDataPlane } from '../functions/adapters/dataplane/local-data-plane.ts';
import { probeTcp, type TcpProber } from '../functions/adapters/dataplane/tcp-prober.ts';
import type { TcpOutcome } from '../functions/core/diagnose/ports.ts';
import type { SecurityGroupRule, VpcEndpoint } from '../functions/core/model.ts';
import type { Ec2Fake } from './ec2-fake.ts';
import { closeAll, loopbackDataPlane, mysqlServer, onSamePort, startDns } from './local-servers.ts';
import { sgAdmits } from './packet-oracle.ts';

export const TIDB_GREETING = '8.0.11-TiDB-v7.5.2';

export interface VpcStandIn {
  /** `127.0.0.1:port` of the VPC resolver stand-in: pass it as --dns-server. */
  dnsServer: string;
  /** The TiDB port every ENI address listens on: create the cluster with it. */
  port: number;
  addresses: string[];
  /** The data plane with the packet filter in front of TCP. */
  dataPlane: LocalDataPlane;
  /** Admits / revokes TCP on `port` from the source CIDR in a security group of the EC2 fake. */
  admit(groupId: string): void;
  revoke(groupId: string): void;
  /** Names the resolver knows: a cluster's private DNS name and its endpoint service. */
  serve(host: string, serviceName: string): void;
  close(): Promise<void>;
}

/** The security-group rules in front of an ENI address; undefined for an address no endpoint holds. */
export type RulesAt = (address: string) => SecurityGroupRule[] | undefined;

/** The rules of the EC2 fake's endpoint holding each address, read at every connect. */
export function rulesInFake(ec2: Ec2Fake): RulesAt {
  return (address) => {
    const endpoint = ec2
      .peekEndpoints()
      .find((e) => ec2.endpointAddresses(e.vpcEndpointId).includes(address));
    return endpoint ? ec2.peekSecurityGroupRules(endpoint.securityGroupIds) : undefined;
  };
}

/** A TCP prober that drops SYNs the rules do not admit from `sourceCidr`'s first address, as AWS would. */
export function filteredProber(rulesAt: RulesAt, sourceCidr: string): TcpProber {
  const source = sourceCidr.split('/')[0] ?? sourceCidr;
  const admitted = (address: string, port: number): boolean => {
    const rules = rulesAt(address);
    return rules === undefined || sgAdmits(rules, [], { source, port });
  };
  return {
    async connect(address, port, timeoutMs, signal): Promise<TcpOutcome> {
      if (admitted(address, port)) return probeTcp(address, port, timeoutMs, signal);
      // A dropped SYN: nothing answers until the prober gives up.
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve(undefined);
        });
      });
      return { address, port, status: 'timeout', latencyMs: timeoutMs };
    },
  };
}

/** Admits / revokes TCP on `port` from `sourceCidr` in a security group of the fake. */
export function securityGroupSwitch(ec2: Ec2Fake, port: number, sourceCidr: string) {
  return {
    admit: (groupId: string) =>
      ec2.authorizeIngress(groupId, {
        ipProtocol: 'tcp',
        fromPort: port,
        toPort: port,
        cidrIpv4: sourceCidr,
      }),
    revoke: (groupId: string) =>
      ec2.revokeRules(groupId, (rule) => rule.fromPort === port && rule.toPort === port),
  };
}

/** The endpoint whose private name the resolver answers for `serviceName`: private DNS on, and available. */
function servingEndpoint(endpoints: VpcEndpoint[], serviceName: string | undefined): VpcEndpoint | undefined {
  return endpoints.find(
    (e) => e.serviceName === serviceName && e.privateDnsEnabled && e.state === 'available',
  );
}

/**
 * What the resolver answers now for each input's host (null: NXDOMAIN), keyed by the lower-cased name, and
 * the rules in front of each address it answers: for a resolver and filter that cannot read the fake.
 * `names`: host → endpoint service, as `VpcStandIn.serve` records them.
 */
export function privateDnsAnswers(
  ec2: Ec2Fake,
  names: ReadonlyMap<string, string>,
  inputs: ReadonlyArray<{ host: string }>,
): { answers: Record<string, string[] | null>; rules: Record<string, SecurityGroupRule[]> } {
  const endpoints = ec2.peekEndpoints();
  const answers: Record<string, string[] | null> = {};
  const rules: Record<string, SecurityGroupRule[]> = {};
  for (const { host } of inputs) {
    const name = host.toLowerCase();
    const endpoint = servingEndpoint(endpoints, names.get(name));
    answers[name] = endpoint ? ec2.endpointAddresses(endpoint.vpcEndpointId) : null;
    for (const address of answers[name] ?? []) {
      rules[address] = ec2.peekSecurityGroupRules(endpoint?.securityGroupIds ?? []);
    }
  }
  return { answers, rules };
}

/**
 * Call before the endpoint is created (the fake hands the addresses to the next ENIs), then create the
 * cluster with `port` and `serve()` its private DNS name.
 */
export async function startVpcStandIn(
  ec2: Ec2Fake,
  options: { addresses?: string[]; sourceCidr: string; serverVersion?: string },
): Promise<VpcStandIn> {
  const addresses = options.addresses ?? ['127.0.0.11', '127.0.0.12'];
  ec2.useEniAddresses(addresses);
  const port = await onSamePort(addresses, () => mysqlServer(options.serverVersion ?? TIDB_GREETING));
  const names = new Map<string, string>();
  const dnsServer = await startDns((name) => {
    const endpoint = servingEndpoint(ec2.peekEndpoints(), names.get(name));
    return endpoint ? { a: ec2.endpointAddresses(endpoint.vpcEndpointId) } : undefined;
  });
  return {
    dnsServer,
    port,
    addresses,
    dataPlane: loopbackDataPlane(filteredProber(rulesInFake(ec2), options.sourceCidr)),
    ...securityGroupSwitch(ec2, port, options.sourceCidr),
    serve: (host, serviceName) => names.set(host.toLowerCase(), serviceName),
    close: closeAll,
  };
}
