import { describe, expect, it } from 'vitest';
import * as fix from '../../../../functions/core/remediation.ts';

describe('remediation catalog', () => {
  it('blames the permission, not the network, when EC2 refuses a create for IAM', () => {
    const denied = fix.endpointCreateFailed('You are not authorized.', '1', '2', 'UnauthorizedOperation');
    expect(denied).toContain('Grant the permission');
    expect(denied).not.toContain('subnets, security groups');
    for (const code of ['InvalidSubnetID.NotFound', undefined]) {
      const other = fix.endpointCreateFailed('No such subnet.', '1', '2', code);
      expect(other).toContain('subnets, security groups');
      expect(other).not.toContain('Grant the permission');
    }
  });

  it('authorizes security-group ingress for IPv4, IPv6 and a source group', () => {
    expect(fix.authorizeIngressFromCidr('sg-0abc', 4000, '10.0.0.0/16')).toBe(
      'aws ec2 authorize-security-group-ingress --group-id sg-0abc --protocol tcp --port 4000 --cidr 10.0.0.0/16',
    );
    expect(fix.authorizeIngressFromCidr('sg-0abc', 4000, '2600:1f18::/56')).toBe(
      "aws ec2 authorize-security-group-ingress --group-id sg-0abc --ip-permissions 'IpProtocol=tcp,FromPort=4000,ToPort=4000,Ipv6Ranges=[{CidrIpv6=2600:1f18::/56}]'",
    );
    expect(fix.authorizeIngressFromGroup('sg-0abc', 4000, 'sg-0app')).toBe(
      'aws ec2 authorize-security-group-ingress --group-id sg-0abc --protocol tcp --port 4000 --source-group sg-0app',
    );
  });

  it('enables VPC DNS attributes one call each, and private DNS on the endpoint', () => {
    expect(fix.enableVpcDns('vpc-1', { support: true, hostnames: true })).toBe(
      `aws ec2 modify-vpc-attribute --vpc-id vpc-1 --enable-dns-support '{"Value":true}' && aws ec2 modify-vpc-attribute --vpc-id vpc-1 --enable-dns-hostnames '{"Value":true}'`,
    );
    expect(fix.enablePrivateDns('vpce-1', undefined)).toBe(
      'aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-1 --private-dns-enabled',
    );
  });

  it('writes NACL entries for either direction and family', () => {
    expect(
      fix.allowNaclEntry({
        networkAclId: 'acl-1',
        egress: true,
        ruleNumber: 90,
        ports: { from: 1024, to: 65535 },
        cidr: 'fd00::/8',
      }),
    ).toBe(
      'aws ec2 create-network-acl-entry --network-acl-id acl-1 --egress --rule-number 90 --protocol tcp --port-range From=1024,To=65535 --ipv6-cidr-block fd00::/8 --rule-action allow',
    );
  });

  it('registers an endpoint with the real API path and body', () => {
    expect(fix.registerEndpoint('1379661944646413143', '1934178998036000000', 'vpce-1')).toContain(
      `-X POST https://dedicated.tidbapi.com/v1beta1/clusters/1379661944646413143/tidbNodeGroups/1934178998036000000/privateEndpointConnections -H 'Content-Type: application/json' -d '{"endpointId":"vpce-1"}'`,
    );
  });

  it('points cross-region users at VPC peering', () => {
    expect(fix.crossRegion('aws-us-west-2', 'us-east-1')).toMatch(
      /^PrivateLink is same-region only: run this app in us-west-2 .*VPC peering/,
    );
  });

  it('creates endpoints with private DNS off (AWS would fail it before acceptance)', () => {
    const text = fix.createEndpoint({
      clusterId: '1',
      nodeGroupId: '2',
      vpcId: 'vpc-1',
      serviceName: 'com.amazonaws.vpce.x',
    });
    expect(text).toContain(
      'aws ec2 create-vpc-endpoint --vpc-endpoint-type Interface --vpc-id vpc-1 --service-name com.amazonaws.vpce.x',
    );
    expect(text).toContain('--no-private-dns-enabled');
  });
});
