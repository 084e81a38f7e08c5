import type { PrefixList, SecurityGroupRule } from '../../model.ts';
import { type IpRange, intersect, parseCidr, uncovered } from '../../network/cidr.ts';
import { appliesToTcp, portsContain, rangeOf, rulePorts } from '../../network/packet-filter.ts';
import {
  attachSecurityGroup,
  authorizeIngressFromCidr,
  authorizeIngressFromGroup,
} from '../../remediation.ts';
import { type DiagnoseContext, ENDPOINT_EXISTS, endpointOf, need } from '../context.ts';
import type { TrafficSource } from '../observation.ts';
import type { Check, CheckOutcome } from '../runner.ts';

export interface IngressVerdict {
  /** A rule references one of the source's security groups. */
  admittedGroup: string | undefined;
  /** Source CIDRs not fully admitted by the union of CIDR and prefix-list rules. */
  notAdmitted: string[];
  /** Source CIDRs at least partly admitted. */
  partlyAdmitted: string[];
  /** Rules that admit TCP on the port, described for evidence. */
  admittingRules: string[];
  /** Prefix lists referenced by admitting rules that could not be resolved to CIDRs. */
  unknownPrefixLists: string[];
}

function describeRule(rule: SecurityGroupRule): string {
  const from = rule.cidrIpv4 ?? rule.cidrIpv6 ?? rule.prefixListId ?? rule.referencedGroupId ?? '?';
  const ports =
    rule.ipProtocol === '-1' ? 'all traffic' : `${rule.ipProtocol} ${rule.fromPort}-${rule.toPort}`;
  return `${rule.groupId}: ${ports} from ${from}`;
}

function rangesOfRule(rule: SecurityGroupRule, prefixLists: ReadonlyMap<string, string[]>): IpRange[] {
  const cidrs = [
    rule.cidrIpv4,
    rule.cidrIpv6,
    ...(rule.prefixListId ? (prefixLists.get(rule.prefixListId) ?? []) : []),
  ];
  return cidrs.flatMap((cidr) => (cidr ? (parseCidr(cidr) ?? []) : []));
}

/** Which parts of the source the ingress rules admit on TCP `port`. Security groups only allow, so any match admits. */
export function evaluateIngress(input: {
  rules: readonly SecurityGroupRule[];
  prefixLists: readonly PrefixList[];
  port: number;
  source: TrafficSource;
}): IngressVerdict {
  const { port, source } = input;
  const admitting = input.rules.filter(
    (rule) =>
      !rule.isEgress &&
      appliesToTcp(rule.ipProtocol) &&
      portsContain(rulePorts(rule.ipProtocol, { from: rule.fromPort, to: rule.toPort }), {
        from: port,
        to: port,
      }),
  );
  const lists = new Map(input.prefixLists.map((list) => [list.prefixListId, list.cidrs]));
  const ranges = admitting.flatMap((rule) => rangesOfRule(rule, lists));
  const gaps = source.cidrs.map((cidr) => {
    const range = rangeOf(cidr);
    return {
      cidr,
      missing: uncovered(range, ranges).length > 0,
      touched: ranges.some((r) => intersect(r, range)),
    };
  });
  const notAdmitted = gaps.filter((gap) => gap.missing).map((gap) => gap.cidr);
  const partlyAdmitted = gaps.filter((gap) => gap.touched).map((gap) => gap.cidr);
  return {
    admittedGroup: source.securityGroupIds.find((id) =>
      admitting.some((rule) => rule.referencedGroupId === id),
    ),
    notAdmitted,
    partlyAdmitted,
    admittingRules: admitting.map(describeRule),
    unknownPrefixLists: admitting.flatMap((rule) =>
      rule.prefixListId && !lists.has(rule.prefixListId) ? [rule.prefixListId] : [],
    ),
  };
}

function fixes(groupId: string, port: number, source: TrafficSource, cidrs: readonly string[]): string {
  const sourceGroup = source.securityGroupIds[0];
  // Members of a security group have no fixed addresses: admit the group itself.
  if (sourceGroup && source.kind !== 'cidr') return authorizeIngressFromGroup(groupId, port, sourceGroup);
  return cidrs.map((cidr) => authorizeIngressFromCidr(groupId, port, cidr)).join('\n');
}

export const awsSecurityGroupIngress: Check<DiagnoseContext> = {
  id: 'aws.security-group-ingress',
  dependsOn: [ENDPOINT_EXISTS],
  async run({ observation, target }): Promise<CheckOutcome> {
    const endpoint = endpointOf(target);
    const groups = endpoint.securityGroupIds;
    const { port } = target;
    if (groups.length === 0) {
      return {
        status: 'fail',
        summary: `${endpoint.vpcEndpointId} has no security group.`,
        evidence: { securityGroupIds: groups },
        remediation: attachSecurityGroup(endpoint.vpcEndpointId),
      };
    }
    const source = need(await observation.source, 'the traffic source');
    const rules = need(await observation.securityGroupRules, `the rules of ${groups.join(', ')}`);
    const prefixLists = need(await observation.prefixLists, 'the managed prefix lists');
    const verdict = evaluateIngress({ rules, prefixLists, port, source });
    const evidence = {
      securityGroupIds: groups,
      source: source.label,
      port,
      admittingRules: verdict.admittingRules,
      ...(verdict.notAdmitted.length > 0 ? { notAdmitted: verdict.notAdmitted } : {}),
      ...(verdict.unknownPrefixLists.length > 0 ? { unknownPrefixLists: verdict.unknownPrefixLists } : {}),
    };
    const groupText = groups.join(', ');
    if (verdict.admittedGroup) {
      return {
        status: 'pass',
        summary: `${groupText} admits TCP ${port} from ${verdict.admittedGroup}.`,
        evidence,
      };
    }
    if (verdict.notAdmitted.length === 0) {
      return { status: 'pass', summary: `${groupText} admits TCP ${port} from ${source.label}.`, evidence };
    }
    const remediation = fixes(groups[0] ?? '', port, source, verdict.notAdmitted);
    if (verdict.partlyAdmitted.length > 0) {
      return {
        status: 'warn',
        summary: `${groupText} admits TCP ${port} from only part of ${verdict.notAdmitted.join(', ')}.`,
        evidence,
        remediation,
      };
    }
    return {
      status: 'fail',
      summary: `No rule in ${groupText} admits TCP ${port} from ${source.label}.`,
      evidence,
      remediation,
    };
  },
};
