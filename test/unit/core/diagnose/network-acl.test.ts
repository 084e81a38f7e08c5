import { describe, expect, it } from 'vitest';
import {
  awsNetworkAcl,
  evaluateNacl,
  freeRuleNumber,
} from '../../../../functions/core/diagnose/checks/aws-network-acl.ts';
import type { NetworkAclEntry } from '../../../../functions/core/model.ts';
import { EPHEMERAL_PORTS } from '../../../../functions/core/network/packet-filter.ts';
import { ACL_ID, contextFor, healthyWorld, runCheck } from './fakes.ts';

const rule = (
  ruleNumber: number,
  ruleAction: 'allow' | 'deny',
  more: Partial<NetworkAclEntry> = {},
): NetworkAclEntry => ({
  ruleNumber,
  egress: false,
  protocol: '6',
  ruleAction,
  cidrBlock: '0.0.0.0/0',
  ...more,
});
const DEFAULT_IN = rule(32767, 'deny', { protocol: '-1' });
const inbound = (entries: NetworkAclEntry[], sources = ['10.0.0.0/16']) =>
  evaluateNacl(entries, { egress: false, ports: { from: 4000, to: 4000 }, sources });

describe('evaluateNacl', () => {
  it('admits when an allow rule covers the port and source', () => {
    expect(inbound([rule(100, 'allow', { portRange: { from: 4000, to: 4000 } }), DEFAULT_IN])).toEqual([]);
  });

  it('lets a lower-numbered deny win over a later allow, whatever the list order', () => {
    const entries = [rule(200, 'allow'), rule(100, 'deny', { cidrBlock: '10.0.5.0/24' }), DEFAULT_IN];
    expect(inbound(entries)).toEqual([
      { egress: false, ports: { from: 4000, to: 4000 }, cidrs: ['10.0.5.0/24'], ruleNumber: 100 },
    ]);
  });

  it('lets a lower-numbered allow win over a later deny', () => {
    expect(inbound([rule(100, 'allow'), rule(200, 'deny'), DEFAULT_IN])).toEqual([]);
  });

  it('reports what no rule matches as blocked by the default rule', () => {
    const blocks = inbound([rule(100, 'allow', { cidrBlock: '10.0.0.0/17' }), DEFAULT_IN]);
    expect(blocks).toEqual([
      { egress: false, ports: { from: 4000, to: 4000 }, cidrs: ['10.0.128.0/17'], ruleNumber: undefined },
    ]);
    expect(inbound([])).toHaveLength(1);
  });

  it('skips rules for other ports and other protocols', () => {
    const entries = [
      rule(50, 'deny', { portRange: { from: 22, to: 22 } }),
      rule(60, 'deny', { protocol: '17' }),
      rule(100, 'allow'),
    ];
    expect(inbound(entries)).toEqual([]);
  });

  it('checks the whole ephemeral range outbound, splitting where rules start and end', () => {
    const entries = [
      rule(100, 'allow', { egress: true, portRange: { from: 32768, to: 65535 } }),
      rule(32767, 'deny', { egress: true, protocol: '-1' }),
    ];
    const blocks = evaluateNacl(entries, { egress: true, ports: EPHEMERAL_PORTS, sources: ['10.0.0.0/16'] });
    expect(blocks).toEqual([
      { egress: true, ports: { from: 1024, to: 32767 }, cidrs: ['10.0.0.0/16'], ruleNumber: undefined },
    ]);
  });

  it('merges neighbouring segments blocked by the same rule', () => {
    const entries = [
      rule(90, 'deny', { egress: true, portRange: { from: 1024, to: 65535 } }),
      rule(100, 'allow', { egress: true, portRange: { from: 2000, to: 3000 } }),
    ];
    const blocks = evaluateNacl(entries, { egress: true, ports: EPHEMERAL_PORTS, sources: ['10.0.0.0/16'] });
    expect(blocks).toEqual([
      { egress: true, ports: EPHEMERAL_PORTS, cidrs: ['10.0.0.0/16'], ruleNumber: 90 },
    ]);
  });

  it('evaluates IPv6 sources against IPv6 entries', () => {
    const entries = [rule(100, 'allow'), rule(101, 'allow', { cidrBlock: undefined, ipv6CidrBlock: '::/0' })];
    expect(inbound(entries, ['2600:1f18::/56'])).toEqual([]);
    expect(inbound([rule(100, 'allow')], ['2600:1f18::/56'])).toEqual([
      { egress: false, ports: { from: 4000, to: 4000 }, cidrs: ['2600:1f18::/56'], ruleNumber: undefined },
    ]);
  });
});

describe('freeRuleNumber', () => {
  it('picks the highest free number below a blocking rule', () => {
    expect(freeRuleNumber([rule(100, 'deny'), rule(99, 'allow')], false, 100)).toBe(98);
    expect(freeRuleNumber([rule(1, 'deny')], false, 1)).toBeUndefined();
  });

  it('picks the next multiple of ten after the highest rule when only the default blocks', () => {
    expect(freeRuleNumber([rule(100, 'allow'), rule(105, 'allow'), DEFAULT_IN], false, undefined)).toBe(110);
    expect(freeRuleNumber([rule(100, 'allow', { egress: true })], false, undefined)).toBe(10);
  });
});

describe('aws.network-acl', () => {
  it('passes for allow-all NACLs', async () => {
    const outcome = await runCheck(awsNetworkAcl, await contextFor(healthyWorld()));
    expect(outcome).toMatchObject({ status: 'pass', evidence: { networkAclIds: [ACL_ID] } });
  });

  it('fails on an inbound deny with a create-network-acl-entry numbered before it', async () => {
    const world = healthyWorld();
    const acl = world.networkAcls[0];
    acl?.entries.push(rule(50, 'deny', { portRange: { from: 4000, to: 4000 } }));
    const outcome = await runCheck(awsNetworkAcl, await contextFor(world));
    expect(outcome.status).toBe('fail');
    expect(outcome.summary).toBe('acl-0abc denies inbound TCP 4000 from 10.0.0.0/16 (rule 50).');
    expect(outcome.remediation).toBe(
      'aws ec2 create-network-acl-entry --network-acl-id acl-0abc --ingress --rule-number 49 --protocol tcp --port-range From=4000,To=4000 --cidr-block 10.0.0.0/16 --rule-action allow',
    );
  });

  it('fails when outbound ephemeral ports are missing', async () => {
    const world = healthyWorld();
    for (const acl of world.networkAcls)
      acl.entries = acl.entries.filter((entry) => !entry.egress || entry.ruleNumber === 32767);
    const outcome = await runCheck(awsNetworkAcl, await contextFor(world));
    expect(outcome.summary).toBe(
      'acl-0abc denies outbound TCP 1024-65535 to 10.0.0.0/16 (the default rule).',
    );
    expect(outcome.remediation).toContain(
      '--egress --rule-number 10 --protocol tcp --port-range From=1024,To=65535',
    );
  });

  it('says to delete the rule when no number below it is free', async () => {
    const world = healthyWorld();
    for (const acl of world.networkAcls) acl.entries.push(rule(1, 'deny'));
    const outcome = await runCheck(awsNetworkAcl, await contextFor(world));
    expect(outcome.remediation).toContain(
      'aws ec2 delete-network-acl-entry --network-acl-id acl-0abc --ingress --rule-number 1',
    );
  });
});
