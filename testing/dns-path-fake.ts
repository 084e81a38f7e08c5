/**
 * In-memory Route 53 (private hosted zones by VPC) and Route 53 Resolver with its DNS Firewall, for the parts
 * moto lacks (DNS Firewall) and for core tests. Errors are `AwsError`s with AWS's codes, like the adapters'.
 *
 * @example
 * const dns = new DnsPathFake();
 * dns.addHostedZone(vpcId, { hostedZoneId: 'Z0CUST', name: 'tidb-cloud.com.', owningAccount: '123456789012' });
 * dns.blockDomains(vpcId, ['*.tidb-cloud.com']);
 * await diagnose({ ...deps, hostedZones: dns, resolver: dns }, request);
 */
import { covers } from '../functions/core/diagnose/dns-path.ts';
import { AwsError } from '../functions/core/errors.ts';
import type {
  FirewallRule,
  FirewallRuleGroupAssociation,
  PrivateHostedZone,
  ResolverEndpoint,
  ResolverRule,
  ResolverRuleAssociation,
} from '../functions/core/model.ts';
import type { CallOptions, HostedZonesPort, ResolverPort } from '../functions/core/ports.ts';

export type DnsPathOperation =
  | 'ListHostedZonesByVPC'
  | 'ListResolverRules'
  | 'ListResolverRuleAssociations'
  | 'ListResolverEndpoints'
  | 'ListFirewallRuleGroupAssociations'
  | 'ListFirewallRules'
  | 'ListFirewallDomains';

/** AWS's built-in recursive rule, listed in every account and applied to every VPC without association. */
export const INTERNET_RESOLVER_RULE: ResolverRule = {
  resolverRuleId: 'rslvr-autodefined-rr-internet-resolver',
  name: 'Internet Resolver',
  domainName: '.',
  ruleType: 'RECURSIVE',
  targetIps: [],
};

export class DnsPathFake implements HostedZonesPort, ResolverPort {
  readonly calls: DnsPathOperation[] = [];
  readonly #zones: { vpcId: string; zone: PrivateHostedZone }[] = [];
  readonly #rules: ResolverRule[] = [INTERNET_RESOLVER_RULE];
  readonly #ruleAssociations: ResolverRuleAssociation[] = [];
  readonly #endpoints: ResolverEndpoint[] = [];
  readonly #firewallAssociations: FirewallRuleGroupAssociation[] = [];
  readonly #firewallRules: FirewallRule[] = [];
  readonly #domainLists = new Map<string, string[]>();
  readonly #failures = new Map<DnsPathOperation, Error | 'hang'>();
  #sequence = 0;

  // ---------------------------------------------------------------- world building

  addHostedZone(vpcId: string, zone: PrivateHostedZone): void {
    this.#zones.push({ vpcId, zone: { ...zone } });
  }

  /** DisassociateVPCFromHostedZone (or DeleteHostedZone): the zone no longer answers in the VPC. */
  disassociateHostedZone(vpcId: string, hostedZoneId: string): void {
    const index = this.#zones.findIndex(
      (entry) => entry.vpcId === vpcId && entry.zone.hostedZoneId === hostedZoneId,
    );
    if (index < 0)
      throw new AwsError(
        'VPCAssociationNotFound',
        `The VPC ${vpcId} is not associated with ${hostedZoneId}.`,
      );
    this.#zones.splice(index, 1);
  }

  /** The customer-owned zones associated with the VPC that cover `name` (what the VPC resolver would ask). */
  customerZonesCovering(vpcId: string, name: string): PrivateHostedZone[] {
    return this.#zones
      .filter((entry) => entry.vpcId === vpcId && !entry.zone.owningService && covers(entry.zone.name, name))
      .map((entry) => ({ ...entry.zone }));
  }

  /** A rule associated with the VPC; returns the rule id. */
  associateRule(vpcId: string, rule: Omit<ResolverRule, 'resolverRuleId'>): string {
    const resolverRuleId = this.#id('rslvr-rr');
    this.#rules.push({ ...rule, resolverRuleId });
    this.#ruleAssociations.push({
      resolverRuleAssociationId: this.#id('rslvr-rrassoc'),
      resolverRuleId,
      vpcId,
    });
    return resolverRuleId;
  }

  addResolverEndpoint(vpcId: string, direction: 'INBOUND' | 'OUTBOUND'): string {
    const resolverEndpointId = this.#id('rslvr-in');
    this.#endpoints.push({ resolverEndpointId, direction, hostVpcId: vpcId, status: 'OPERATIONAL' });
    return resolverEndpointId;
  }

  /** A domain list (readable unless `managed`: AWS-managed lists cannot be listed). */
  addDomainList(domains: string[], options: { managed?: boolean } = {}): string {
    const id = this.#id(options.managed ? 'rslvr-fdl-managed' : 'rslvr-fdl');
    this.#domainLists.set(id, options.managed ? [] : [...domains]);
    return id;
  }

  /** A rule group associated with the VPC at `priority`, holding the given rules; returns the group id. */
  addFirewallRuleGroup(
    vpcId: string,
    priority: number,
    rules: { domainListId: string; action: 'ALLOW' | 'BLOCK' | 'ALERT'; priority: number; name?: string }[],
  ): string {
    const firewallRuleGroupId = this.#id('rslvr-frg');
    this.#firewallAssociations.push({
      associationId: this.#id('rslvr-frgassoc'),
      firewallRuleGroupId,
      vpcId,
      priority,
    });
    for (const rule of rules) {
      this.#firewallRules.push({
        firewallRuleGroupId,
        firewallDomainListId: rule.domainListId,
        name: rule.name ?? `${rule.action.toLowerCase()}-${rule.priority}`,
        priority: rule.priority,
        action: rule.action,
        ...(rule.action === 'BLOCK' ? { blockResponse: 'NXDOMAIN' } : {}),
      });
    }
    return firewallRuleGroupId;
  }

  /** Shorthand: one rule group blocking these domains (priority 101, rule priority 100). */
  blockDomains(vpcId: string, domains: string[]): string {
    const list = this.addDomainList(domains);
    return this.addFirewallRuleGroup(vpcId, 101, [{ domainListId: list, action: 'BLOCK', priority: 100 }]);
  }

  /** Every later call of `operation` fails with `error` (e.g. an AccessDeniedException). */
  failAlways(operation: DnsPathOperation, error: Error): void {
    this.#failures.set(operation, error);
  }

  /**
   * Every later call of `operation` never answers, and ignores its signal too: an adapter that does not honour
   * it, so only the doctor's own deadline can end the wait.
   */
  hangAlways(operation: DnsPathOperation): void {
    this.#failures.set(operation, 'hang');
  }

  // ---------------------------------------------------------------- ports

  listHostedZonesByVpc(vpcId: string, _region: string, options?: CallOptions): Promise<PrivateHostedZone[]> {
    return this.#call('ListHostedZonesByVPC', options, () =>
      this.#zones.filter((entry) => entry.vpcId === vpcId).map((entry) => ({ ...entry.zone })),
    );
  }

  listResolverRules(options?: CallOptions): Promise<ResolverRule[]> {
    return this.#call('ListResolverRules', options, () => structuredClone(this.#rules));
  }

  listResolverRuleAssociations(vpcId: string, options?: CallOptions): Promise<ResolverRuleAssociation[]> {
    return this.#call('ListResolverRuleAssociations', options, () =>
      this.#ruleAssociations.filter((association) => association.vpcId === vpcId).map((a) => ({ ...a })),
    );
  }

  listResolverEndpoints(vpcId: string, options?: CallOptions): Promise<ResolverEndpoint[]> {
    return this.#call('ListResolverEndpoints', options, () =>
      this.#endpoints.filter((endpoint) => endpoint.hostVpcId === vpcId).map((e) => ({ ...e })),
    );
  }

  listFirewallRuleGroupAssociations(
    vpcId: string,
    options?: CallOptions,
  ): Promise<FirewallRuleGroupAssociation[]> {
    return this.#call('ListFirewallRuleGroupAssociations', options, () =>
      this.#firewallAssociations.filter((association) => association.vpcId === vpcId).map((a) => ({ ...a })),
    );
  }

  listFirewallRules(firewallRuleGroupId: string, options?: CallOptions): Promise<FirewallRule[]> {
    return this.#call('ListFirewallRules', options, () =>
      this.#firewallRules
        .filter((rule) => rule.firewallRuleGroupId === firewallRuleGroupId)
        .map((r) => ({ ...r })),
    );
  }

  listFirewallDomains(firewallDomainListId: string, options?: CallOptions): Promise<string[]> {
    return this.#call('ListFirewallDomains', options, () => {
      const domains = this.#domainLists.get(firewallDomainListId);
      if (!domains) {
        throw new AwsError(
          'ResourceNotFoundException',
          `Can't find the resource with ID '${firewallDomainListId}'.`,
        );
      }
      if (firewallDomainListId.startsWith('rslvr-fdl-managed')) {
        throw new AwsError(
          'AccessDeniedException',
          'You cannot list the domains of an AWS managed domain list.',
        );
      }
      return [...domains];
    });
  }

  // ---------------------------------------------------------------- internals

  async #call<T>(operation: DnsPathOperation, options: CallOptions | undefined, work: () => T): Promise<T> {
    this.calls.push(operation);
    await Promise.resolve();
    options?.signal?.throwIfAborted();
    const failure = this.#failures.get(operation);
    if (failure === 'hang') return new Promise<never>(() => {});
    if (failure) throw failure;
    return work();
  }

  #id(prefix: string): string {
    this.#sequence += 1;
    return `${prefix}-${this.#sequence.toString(16).padStart(17, '0')}`;
  }
}
