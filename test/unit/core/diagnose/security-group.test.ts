import { describe, expect, it } from 'vitest';
import {
  awsSecurityGroupIngress,
  evaluateIngress,
} from '../../../../functions/core/diagnose/checks/aws-security-group-ingress.ts';
import type { TrafficSource } from '../../../../functions/core/diagnose/observation.ts';
import type { SecurityGroupRule } from '../../../../functions/core/model.ts';
import { contextFor, healthyWorld, runCheck, SG_ID } from './fakes.ts';

const cidrSource = (...cidrs: string[]): TrafficSource => ({
  kind: 'cidr',
  label: cidrs.join(', '),
  cidrs,
  securityGroupIds: [],
});
const ingress = (rule: Partial<SecurityGroupRule>): SecurityGroupRule => ({
  groupId: SG_ID,
  isEgress: false,
  ipProtocol: 'tcp',
  fromPort: 4000,
  toPort: 4000,
  ...rule,
});
const verdict = (
  rules: SecurityGroupRule[],
  source: TrafficSource,
  prefixLists = [] as { prefixListId: string; cidrs: string[] }[],
) => evaluateIngress({ rules, prefixLists, port: 4000, source });

describe('evaluateIngress', () => {
  it('admits a source contained in a rule CIDR, not one outside it', () => {
    const rules = [ingress({ cidrIpv4: '10.0.0.0/16' })];
    expect(verdict(rules, cidrSource('10.0.5.0/24')).notAdmitted).toEqual([]);
    expect(verdict(rules, cidrSource('10.1.0.0/24')).notAdmitted).toEqual(['10.1.0.0/24']);
  });

  it('accepts a source covered only by the union of two rules', () => {
    const rules = [ingress({ cidrIpv4: '10.0.0.0/17' }), ingress({ cidrIpv4: '10.0.128.0/17' })];
    expect(verdict(rules, cidrSource('10.0.0.0/16')).notAdmitted).toEqual([]);
  });

  it('reports a partly covered source as partly admitted', () => {
    const result = verdict([ingress({ cidrIpv4: '10.0.0.0/17' })], cidrSource('10.0.0.0/16'));
    expect(result.notAdmitted).toEqual(['10.0.0.0/16']);
    expect(result.partlyAdmitted).toEqual(['10.0.0.0/16']);
  });

  it('honours port ranges and protocols', () => {
    const source = cidrSource('10.0.0.0/16');
    expect(
      verdict([ingress({ cidrIpv4: '0.0.0.0/0', fromPort: 3000, toPort: 5000 })], source).notAdmitted,
    ).toEqual([]);
    expect(
      verdict([ingress({ cidrIpv4: '0.0.0.0/0', fromPort: 4001, toPort: 5000 })], source).notAdmitted,
    ).toHaveLength(1);
    expect(verdict([ingress({ cidrIpv4: '0.0.0.0/0', ipProtocol: 'udp' })], source).notAdmitted).toHaveLength(
      1,
    );
    expect(verdict([ingress({ cidrIpv4: '0.0.0.0/0', ipProtocol: '6' })], source).notAdmitted).toEqual([]);
  });

  it('treats -1 as all traffic whatever ports EC2 reports', () => {
    const all = ingress({ ipProtocol: '-1', fromPort: -1, toPort: -1, cidrIpv4: '10.0.0.0/8' });
    expect(verdict([all], cidrSource('10.0.0.0/16')).notAdmitted).toEqual([]);
  });

  it('ignores egress rules', () => {
    expect(
      verdict([ingress({ isEgress: true, cidrIpv4: '0.0.0.0/0' })], cidrSource('10.0.0.0/16')).notAdmitted,
    ).toHaveLength(1);
  });

  it('admits a source security group only through a rule that references it', () => {
    const source: TrafficSource = {
      kind: 'security-group',
      label: 'sg-app',
      cidrs: ['10.0.0.0/16'],
      securityGroupIds: ['sg-app'],
    };
    expect(verdict([ingress({ referencedGroupId: 'sg-app' })], source).admittedGroup).toBe('sg-app');
    const other = verdict([ingress({ referencedGroupId: 'sg-other' })], source);
    expect(other.admittedGroup).toBeUndefined();
    expect(other.notAdmitted).toEqual(['10.0.0.0/16']);
  });

  it('resolves prefix lists to their CIDRs and reports unknown ones', () => {
    const rules = [ingress({ prefixListId: 'pl-1' }), ingress({ prefixListId: 'pl-missing' })];
    const result = verdict(rules, cidrSource('10.0.3.0/24'), [
      { prefixListId: 'pl-1', cidrs: ['10.0.0.0/16'] },
    ]);
    expect(result.notAdmitted).toEqual([]);
    expect(result.unknownPrefixLists).toEqual(['pl-missing']);
  });

  it('matches IPv6 sources against IPv6 rules only', () => {
    expect(
      verdict([ingress({ cidrIpv6: '2600:1f18::/32' })], cidrSource('2600:1f18:1::/48')).notAdmitted,
    ).toEqual([]);
    expect(
      verdict([ingress({ cidrIpv4: '0.0.0.0/0' })], cidrSource('2600:1f18:1::/48')).notAdmitted,
    ).toHaveLength(1);
  });
});

describe('aws.security-group-ingress', () => {
  it('passes when the endpoint group admits the whole VPC by default', async () => {
    const outcome = await runCheck(awsSecurityGroupIngress, await contextFor(healthyWorld()));
    expect(outcome).toMatchObject({ status: 'pass', evidence: { source: 'VPC vpc-0aaa (10.0.0.0/16)' } });
  });

  it('fails with the exact authorize command for a --source-cidr outside the rules', async () => {
    const outcome = await runCheck(
      awsSecurityGroupIngress,
      await contextFor(healthyWorld(), undefined, { source: { cidr: '192.168.0.0/16' } }),
    );
    expect(outcome).toEqual({
      status: 'fail',
      summary: 'No rule in sg-0abc admits TCP 4000 from 192.168.0.0/16.',
      evidence: expect.objectContaining({ securityGroupIds: ['sg-0abc'], source: '192.168.0.0/16' }),
      remediation:
        'aws ec2 authorize-security-group-ingress --group-id sg-0abc --protocol tcp --port 4000 --cidr 192.168.0.0/16',
    });
  });

  it('warns when only part of the source is admitted', async () => {
    const world = healthyWorld();
    world.vpc.cidrBlocks = ['10.0.0.0/15'];
    const outcome = await runCheck(awsSecurityGroupIngress, await contextFor(world));
    expect(outcome.status).toBe('warn');
    expect(outcome.remediation).toContain('--cidr 10.0.0.0/15');
  });

  it('with --source-sg, fails with a --source-group fix when no rule references it', async () => {
    const world = healthyWorld();
    world.securityGroupRules = [ingress({ referencedGroupId: 'sg-other' })];
    const outcome = await runCheck(
      awsSecurityGroupIngress,
      await contextFor(world, undefined, { source: { securityGroupId: 'sg-0app' } }),
    );
    expect(outcome).toMatchObject({
      status: 'fail',
      remediation:
        'aws ec2 authorize-security-group-ingress --group-id sg-0abc --protocol tcp --port 4000 --source-group sg-0app',
    });
  });

  it('in Lambda, uses the probe’s own security group and subnets', async () => {
    const world = healthyWorld();
    world.securityGroupRules = [ingress({ referencedGroupId: 'sg-probe' })];
    const context = await contextFor(world, undefined, {
      probe: { securityGroupIds: ['sg-probe'], subnetIds: ['subnet-a'] },
    });
    expect(await runCheck(awsSecurityGroupIngress, context)).toMatchObject({
      status: 'pass',
      summary: 'sg-0abc admits TCP 4000 from sg-probe.',
    });
  });

  it('uses the connection port, not 4000, when TiDB says so', async () => {
    const world = healthyWorld();
    for (const connection of world.connections) connection.port = 4100;
    const outcome = await runCheck(awsSecurityGroupIngress, await contextFor(world));
    expect(outcome).toMatchObject({
      status: 'fail',
      summary: 'No rule in sg-0abc admits TCP 4100 from VPC vpc-0aaa (10.0.0.0/16).',
    });
  });

  it('fails when the endpoint has no security group', async () => {
    const world = healthyWorld();
    for (const endpoint of world.endpoints) endpoint.securityGroupIds = [];
    const outcome = await runCheck(awsSecurityGroupIngress, await contextFor(world));
    expect(outcome).toMatchObject({
      status: 'fail',
      remediation: expect.stringContaining('--add-security-group-ids'),
    });
  });
});
