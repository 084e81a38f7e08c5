import { describe, expect, it } from 'vitest';
import { SUBNET_CONFIG_TAG, type VpcEndpoint } from '../../../../functions/core/model.ts';
import {
  clientTokenFor,
  retiredGeneration,
  subnetConfigChanged,
  subnetConfigOf,
} from '../../../../functions/core/reconcile/identity.ts';

const request = {
  vpcId: 'vpc-0a1',
  serviceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0abc',
  subnetIds: ['subnet-0a', 'subnet-0c'],
  securityGroupIds: ['sg-01'],
  tags: { 'tidb-privatelink:cluster-id': '1379661944646413143', Name: 'tidb-orders' },
};

describe('clientTokenFor', () => {
  it('is the same for the same request in any order, and at most 64 characters (EC2 limit)', () => {
    const token = clientTokenFor(request, '');
    expect(clientTokenFor({ ...request, subnetIds: ['subnet-0c', 'subnet-0a'] }, '')).toBe(token);
    expect(token.length).toBeLessThanOrEqual(64);
  });

  it('changes with any parameter and with the generation (the id of the deleted endpoint EC2 replayed)', () => {
    const token = clientTokenFor(request, '');
    expect(clientTokenFor({ ...request, subnetIds: ['subnet-0a'] }, '')).not.toBe(token);
    expect(clientTokenFor({ ...request, securityGroupIds: ['sg-02'] }, '')).not.toBe(token);
    expect(clientTokenFor({ ...request, tags: { ...request.tags, Name: 'tidb-renamed' } }, '')).not.toBe(
      token,
    );
    expect(clientTokenFor(request, 'vpce-0dead')).not.toBe(token);
    expect(clientTokenFor(request, 'vpce-0dead')).toBe(clientTokenFor(request, 'vpce-0dead'));
  });
});

describe('retiredGeneration', () => {
  it('derives one fixed successor from a dead token: the same in every run, a new token every hop', () => {
    const dead = clientTokenFor(request, '');
    const next = clientTokenFor(request, retiredGeneration(dead));
    expect(retiredGeneration(dead)).toBe(retiredGeneration(dead));
    expect(next).not.toBe(dead);
    expect(clientTokenFor(request, retiredGeneration(next))).not.toBe(next);
    expect(next.length).toBeLessThanOrEqual(64);
  });
});

describe('subnetConfigChanged', () => {
  const endpoint = (subnetIds: string[], tags: Record<string, string> = {}): VpcEndpoint => ({
    vpcEndpointId: 'vpce-1',
    vpcId: 'vpc-0a1',
    serviceName: 'svc',
    state: 'available',
    subnetIds,
    securityGroupIds: [],
    networkInterfaceIds: [],
    privateDnsEnabled: true,
    tags,
  });

  it('reads the remembered digest when the endpoint has one', () => {
    const tagged = endpoint(['subnet-0a'], {
      [SUBNET_CONFIG_TAG]: subnetConfigOf(['subnet-0c', 'subnet-0a']),
    });
    expect(subnetConfigChanged(tagged, ['subnet-0a', 'subnet-0c'])).toBe(false);
    expect(subnetConfigChanged(tagged, ['subnet-0a', 'subnet-0c', 'subnet-0d'])).toBe(true);
  });

  it('compares the subnets of an endpoint made before the tag existed', () => {
    expect(subnetConfigChanged(endpoint(['subnet-0c', 'subnet-0a']), ['subnet-0a', 'subnet-0c'])).toBe(false);
    expect(subnetConfigChanged(endpoint(['subnet-0a']), ['subnet-0a', 'subnet-0c'])).toBe(true);
  });
});
