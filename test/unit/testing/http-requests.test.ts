import { describe, expect, it } from 'vitest';
import {
  ec2InputOf,
  type HttpRequest,
  iamCallOf,
  type Lookups,
  signerOf,
  UndecodableRequest,
} from '../../../testing/iam/http-requests.ts';
import { refusalOnWire } from '../../../testing/iam/moto-proxy.ts';

const ARN = 'arn:aws:ec2:us-east-1:123456789012';

function signed(service: string, request: Partial<HttpRequest> = {}): HttpRequest {
  return {
    method: 'POST',
    url: '/',
    body: '',
    ...request,
    headers: {
      authorization: `AWS4-HMAC-SHA256 Credential=AKIAPROXY00000001/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`,
      ...request.headers,
    },
  };
}

/** moto's state as the proxy would read it: one endpoint with tags, one subnet, one table, one secret. */
const lookups: Lookups = {
  ec2State: async () => ({
    region: 'us-east-1',
    peekEndpoints: () => [
      {
        vpcEndpointId: 'vpce-1',
        vpcId: 'vpc-1',
        serviceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-1',
        privateDnsEnabled: false,
        tags: { 'tidb-privatelink:managed-by': 'tidb-privatelink' },
      } as never,
    ],
    peekSubnets: (ids) =>
      ids.filter((id) => id === 'subnet-1').map((subnetId) => ({ subnetId, vpcId: 'vpc-1' }) as never),
    peekSecurityGroups: (ids) =>
      ids.filter((id) => id === 'sg-1').map((groupId) => ({ groupId, vpcId: 'vpc-1' })),
  }),
  partitionKeyOf: async (table) => (table === 'state' ? 'pk' : undefined),
  secretArnOf: async (id) =>
    id === 'api-key' ? 'arn:aws:secretsmanager:us-east-1:123456789012:secret:api-key-Ab12Cd' : undefined,
};

/** Decodes a signed request (the tests' requests are always signed). */
function decode(request: HttpRequest) {
  const signer = signerOf(request.headers);
  if (!signer) throw new Error('unsigned');
  return iamCallOf(request, signer, lookups);
}

const ec2 = (params: Record<string, string>) =>
  decode(signed('ec2', { body: new URLSearchParams(params).toString() }));

const json = (service: string, target: string, input: object) => {
  const request = signed(service, { headers: { 'x-amz-target': target }, body: JSON.stringify(input) });
  return decode(request);
};

describe('signerOf', () => {
  it('reads the access key, region and service from the SigV4 credential scope', () => {
    expect(signerOf(signed('dynamodb').headers)).toEqual({
      accessKeyId: 'AKIAPROXY00000001',
      region: 'us-east-1',
      service: 'dynamodb',
    });
  });

  it('is undefined for an unsigned request', () => {
    expect(signerOf({})).toBeUndefined();
  });
});

describe('ec2InputOf', () => {
  it('gathers flattened lists back into arrays, in index order (10 after 2)', () => {
    const params = new URLSearchParams({ 'SubnetId.2': 'b', 'SubnetId.10': 'c', 'SubnetId.1': 'a' });
    expect(ec2InputOf(params).SubnetIds).toEqual(['a', 'b', 'c']);
  });

  it('reads tag specifications and tags as the SDK input has them', () => {
    const params = new URLSearchParams({
      'TagSpecification.1.ResourceType': 'vpc-endpoint',
      'TagSpecification.1.Tag.1.Key': 'k',
      'TagSpecification.1.Tag.1.Value': 'v',
      'Tag.1.Key': 'x',
      'Tag.1.Value': 'y',
    });
    const input = ec2InputOf(params);
    expect(input.TagSpecifications).toEqual([
      { ResourceType: 'vpc-endpoint', Tags: [{ Key: 'k', Value: 'v' }] },
    ]);
    expect(input.Tags).toEqual([{ Key: 'x', Value: 'y' }]);
  });
});

describe('iamCallOf: EC2', () => {
  it('CreateVpcEndpoint: the endpoint with the service name and request tags, the VPC, subnets and groups with their ec2:Vpc, and CreateTags on create', async () => {
    const call = await ec2({
      Action: 'CreateVpcEndpoint',
      VpcId: 'vpc-1',
      ServiceName: 'svc',
      'SubnetId.1': 'subnet-1',
      'SecurityGroupId.1': 'sg-1',
      'TagSpecification.1.Tag.1.Key': 'k',
      'TagSpecification.1.Tag.1.Value': 'v',
    });
    expect(call).toMatchObject({ service: 'ec2', operation: 'CreateVpcEndpoint', wire: 'ec2' });
    expect(call.requests).toEqual([
      {
        action: 'ec2:CreateVpcEndpoint',
        resource: `${ARN}:vpc-endpoint/vpce-0new0000000000000`,
        context: { 'ec2:VpceServiceName': 'svc', 'aws:TagKeys': ['k'], 'aws:RequestTag/k': 'v' },
      },
      { action: 'ec2:CreateVpcEndpoint', resource: `${ARN}:vpc/vpc-1` },
      {
        action: 'ec2:CreateVpcEndpoint',
        resource: `${ARN}:subnet/subnet-1`,
        context: { 'ec2:Vpc': `${ARN}:vpc/vpc-1` },
      },
      {
        action: 'ec2:CreateVpcEndpoint',
        resource: `${ARN}:security-group/sg-1`,
        context: { 'ec2:Vpc': `${ARN}:vpc/vpc-1` },
      },
      {
        action: 'ec2:CreateTags',
        resource: `${ARN}:vpc-endpoint/vpce-0new0000000000000`,
        context: { 'ec2:CreateAction': 'CreateVpcEndpoint', 'aws:TagKeys': ['k'], 'aws:RequestTag/k': 'v' },
      },
    ]);
  });

  it('ModifyVpcEndpoint turning private DNS on: the endpoint with its tags, and the zone association with route53:VPCs', async () => {
    const call = await ec2({
      Action: 'ModifyVpcEndpoint',
      VpcEndpointId: 'vpce-1',
      PrivateDnsEnabled: 'true',
    });
    expect(call.requests[0]).toEqual({
      action: 'ec2:ModifyVpcEndpoint',
      resource: `${ARN}:vpc-endpoint/vpce-1`,
      context: { 'aws:ResourceTag/tidb-privatelink:managed-by': 'tidb-privatelink' },
    });
    expect(call.requests[1]).toMatchObject({
      action: 'route53:AssociateVPCWithHostedZone',
      context: { 'route53:VPCs': 'VPCId=vpc-1,VPCRegion=us-east-1' },
    });
  });

  it('ModifyVpcEndpoint adding a subnet: the subnet with its ec2:Vpc', async () => {
    const call = await ec2({
      Action: 'ModifyVpcEndpoint',
      VpcEndpointId: 'vpce-1',
      'AddSubnetId.1': 'subnet-1',
    });
    expect(call.requests[1]).toEqual({
      action: 'ec2:ModifyVpcEndpoint',
      resource: `${ARN}:subnet/subnet-1`,
      context: { 'ec2:Vpc': `${ARN}:vpc/vpc-1` },
    });
  });

  it('an endpoint that does not exist is left to EC2 to answer, not refused for want of tags', async () => {
    const call = await ec2({
      Action: 'DeleteVpcEndpoints',
      'VpcEndpointId.1': 'vpce-1',
      'VpcEndpointId.2': 'vpce-gone',
    });
    expect(call.requests.map((request) => request.resource)).toEqual([`${ARN}:vpc-endpoint/vpce-1`]);
  });

  it('a Describe* has no resource-level permission: `*`', async () => {
    expect((await ec2({ Action: 'DescribeVpcs', 'VpcId.1': 'vpc-1' })).requests).toEqual([
      { action: 'ec2:DescribeVpcs', resource: '*' },
    ]);
  });
});

describe('iamCallOf: JSON services', () => {
  it('DynamoDB: the table ARN, with the partition key value as dynamodb:LeadingKeys', async () => {
    const call = await json('dynamodb', 'DynamoDB_20120810.UpdateItem', {
      TableName: 'state',
      Key: { pk: { S: 'lease#reconcile' } },
    });
    expect(call.requests).toEqual([
      {
        action: 'dynamodb:UpdateItem',
        resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/state',
        context: { 'dynamodb:LeadingKeys': ['lease#reconcile'] },
      },
    ]);
  });

  it('DynamoDB: no LeadingKeys for a request without a key (Scan) or a table moto does not have', async () => {
    expect(
      (await json('dynamodb', 'DynamoDB_20120810.Scan', { TableName: 'state' })).requests[0]?.context,
    ).toEqual({});
    const unknown = await json('dynamodb', 'DynamoDB_20120810.GetItem', {
      TableName: 'other',
      Key: { pk: { S: 'x' } },
    });
    expect(unknown.requests[0]?.context).toEqual({});
  });

  it('Secrets Manager: a name is authorised on the secret’s full ARN; an unknown name on the ARN it would have', async () => {
    const known = await json('secretsmanager', 'secretsmanager.GetSecretValue', { SecretId: 'api-key' });
    expect(known.requests[0]?.resource).toBe(
      'arn:aws:secretsmanager:us-east-1:123456789012:secret:api-key-Ab12Cd',
    );
    const unknown = await json('secretsmanager', 'secretsmanager.GetSecretValue', { SecretId: 'nope' });
    expect(unknown.requests[0]?.resource).toBe('arn:aws:secretsmanager:us-east-1:123456789012:secret:nope');
  });

  it('EventBridge: PutEvents once per bus its entries name (default when none)', async () => {
    const call = await json('events', 'AWSEvents.PutEvents', {
      Entries: [{ EventBusName: 'bus' }, {}, { EventBusName: 'bus' }],
    });
    expect(call.requests.map((request) => request.resource)).toEqual([
      'arn:aws:events:us-east-1:123456789012:event-bus/bus',
      'arn:aws:events:us-east-1:123456789012:event-bus/default',
    ]);
  });

  it('Service Quotas: GetServiceQuota on the quota ARN', async () => {
    const call = await json('servicequotas', 'ServiceQuotasV20190624.GetServiceQuota', {
      ServiceCode: 'vpc',
      QuotaCode: 'L-29B6F2EB',
    });
    expect(call.requests[0]?.resource).toBe('arn:aws:servicequotas:us-east-1:123456789012:vpc/L-29B6F2EB');
  });

  it('Route 53 Resolver: the List* reads on `*`; an operation not modelled is refused to decode', async () => {
    const call = await json('route53resolver', 'Route53Resolver.ListResolverRules', {});
    expect(call.requests).toEqual([{ action: 'route53resolver:ListResolverRules', resource: '*' }]);
    await expect(json('route53resolver', 'Route53Resolver.CreateResolverRule', {})).rejects.toThrow(
      UndecodableRequest,
    );
  });
});

describe('iamCallOf: REST and query services', () => {
  const rest = (service: string, method: string, url: string, body = '') => {
    const request = signed(service, { method, url, body });
    return decode(request);
  };

  it('Lambda: Invoke by name (or URL-encoded ARN) is lambda:InvokeFunction on the function ARN', async () => {
    const fn = 'arn:aws:lambda:us-east-1:123456789012:function:f';
    expect((await rest('lambda', 'POST', '/2015-03-31/functions/f/invocations')).requests).toEqual([
      { action: 'lambda:InvokeFunction', resource: fn },
    ]);
    const byArn = await rest('lambda', 'POST', `/2015-03-31/functions/${encodeURIComponent(fn)}/invocations`);
    expect(byArn.requests[0]?.resource).toBe(fn);
    expect((await rest('lambda', 'GET', '/2016-08-19/account-settings')).requests).toEqual([
      { action: 'lambda:GetAccountSettings', resource: '*' },
    ]);
  });

  it('Route 53: zones by VPC on `*`; a zone’s association with route53:VPCs from the body', async () => {
    const byVpc = await rest(
      'route53',
      'GET',
      '/2013-04-01/hostedzonesbyvpc?vpcid=vpc-1&vpcregion=us-east-1',
    );
    expect(byVpc).toMatchObject({ operation: 'ListHostedZonesByVPC', wire: 'restXml' });
    const body =
      '<AssociateVPCWithHostedZoneRequest><VPC><VPCRegion>us-east-1</VPCRegion><VPCId>vpc-1</VPCId></VPC></AssociateVPCWithHostedZoneRequest>';
    const associate = await rest('route53', 'POST', '/2013-04-01/hostedzone/Z1/associatevpc', body);
    expect(associate.requests).toEqual([
      {
        action: 'route53:AssociateVPCWithHostedZone',
        resource: 'arn:aws:route53:::hostedzone/Z1',
        context: { 'route53:VPCs': 'VPCId=vpc-1,VPCRegion=us-east-1' },
      },
    ]);
  });

  it('STS: GetCallerIdentity asks IAM nothing; AssumeRole is on the role', async () => {
    expect((await rest('sts', 'POST', '/', 'Action=GetCallerIdentity&Version=2011-06-15')).requests).toEqual(
      [],
    );
    const assume = await rest(
      'sts',
      'POST',
      '/',
      'Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr',
    );
    expect(assume.requests).toEqual([{ action: 'sts:AssumeRole', resource: 'arn:aws:iam::1:role/r' }]);
  });

  it('a service the decoder does not know is refused to decode, never passed', async () => {
    await expect(rest('s3', 'GET', '/bucket')).rejects.toThrow(/service s3 is not modelled/);
  });
});

describe('refusalOnWire', () => {
  it('EC2: 403 with the Response/Errors XML', () => {
    const answer = refusalOnWire('ec2', 'UnauthorizedOperation', 'You are not authorized <x>', 'ec2');
    expect(answer.status).toBe(403);
    expect(answer.body).toMatch(
      /<Response><Errors><Error><Code>UnauthorizedOperation<\/Code><Message>You are not authorized &lt;x&gt;<\/Message>/,
    );
  });

  it('JSON 1.x: 400 with the error type in the header and the body', () => {
    const answer = refusalOnWire('awsJson', 'AccessDeniedException', 'no', 'dynamodb');
    expect(answer.status).toBe(400);
    expect(answer.headers['x-amzn-errortype']).toBe('AccessDeniedException');
    expect(JSON.parse(answer.body)).toEqual({ __type: 'AccessDeniedException', message: 'no' });
  });

  it('Lambda: 403 with the error type header', () => {
    const answer = refusalOnWire('restJson', 'AccessDeniedException', 'no', 'lambda');
    expect(answer).toMatchObject({ status: 403, headers: { 'x-amzn-errortype': 'AccessDeniedException' } });
  });

  it('STS and Route 53: 403 ErrorResponse, Sender, in the service’s namespace', () => {
    const sts = refusalOnWire('awsQuery', 'AccessDenied', 'no', 'sts');
    expect(sts.status).toBe(403);
    expect(sts.body).toContain(
      '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code>',
    );
    expect(refusalOnWire('restXml', 'AccessDenied', 'no', 'route53').body).toContain(
      'route53.amazonaws.com/doc/2013-04-01/',
    );
  });
});
