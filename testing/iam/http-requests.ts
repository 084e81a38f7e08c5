/**
 * What IAM is asked for one AWS HTTP request, read off the wire as AWS reads it: the caller from the SigV4
 * credential scope (access key id, region, service), the operation from the protocol (`X-Amz-Target` for the
 * JSON services, `Action=` for EC2 and STS, method and path for Lambda and Route 53), and the resources and
 * condition keys from the input. EC2 requests are built by ec2-requests.ts from the same port-call shape the
 * EC2 fake is asked with; the state some requests need (an endpoint's tags, a subnet's VPC, a table's
 * partition key, a secret's full ARN) comes from `Lookups`, so this module stays pure.
 */
import type { Tag, TagSpecification } from '@aws-sdk/client-ec2';
import type { Ec2Operation } from '../ec2-fake.ts';
import { ACCOUNT, type AwsRequest } from '../iam-engine.ts';
import { type Ec2State, ec2RequestsOf, type PortCall } from './ec2-requests.ts';

/** How a service speaks on the wire, which decides how a refusal is written back. */
export type Wire = 'ec2' | 'awsJson' | 'awsQuery' | 'restXml' | 'restJson';

export interface HttpRequest {
  method: string;
  /** Path and query string, as the request line has them. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Who signed a request and for what: the SigV4 credential scope. */
export interface Signer {
  accessKeyId: string;
  region: string;
  service: string;
}

/** The state IAM's request context needs that the request itself does not carry. */
export interface Lookups {
  ec2State(call: PortCall): Promise<Ec2State>;
  /** The partition key attribute of a DynamoDB table, when the table exists. */
  partitionKeyOf(tableName: string): Promise<string | undefined>;
  /** A secret's full ARN (name plus AWS's six-character suffix), when the secret exists. */
  secretArnOf(secretId: string): Promise<string | undefined>;
}

export interface IamCall {
  service: string;
  /** The API operation, e.g. `UpdateItem`. */
  operation: string;
  wire: Wire;
  /** Every request IAM evaluates for the call; none for calls AWS never authorises (GetCallerIdentity). */
  requests: AwsRequest[];
}

const WIRE: Record<string, Wire> = {
  ec2: 'ec2',
  dynamodb: 'awsJson',
  secretsmanager: 'awsJson',
  servicequotas: 'awsJson',
  events: 'awsJson',
  route53resolver: 'awsJson',
  sts: 'awsQuery',
  route53: 'restXml',
  lambda: 'restJson',
};

/** The SigV4 scope of `Authorization: AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request`. */
export function signerOf(headers: HttpRequest['headers']): Signer | undefined {
  const authorization = String(headers.authorization ?? '');
  const scope = /Credential=([^/\s,]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(authorization);
  if (!scope) return undefined;
  const [, accessKeyId, region, service] = scope as unknown as [string, string, string, string];
  return { accessKeyId, region, service };
}

/** The service's wire protocol; undefined for a service this decoder does not know. */
export function wireOf(service: string): Wire | undefined {
  return WIRE[service];
}

type Json = Record<string, unknown>;

/** Thrown for a request the decoder cannot turn into IAM requests: never guessed, never passed through. */
export class UndecodableRequest extends Error {
  override name = 'UndecodableRequest';
}

function parseJson(body: string): Json {
  const value: unknown = JSON.parse(body || '{}');
  return typeof value === 'object' && value !== null ? (value as Json) : {};
}

/** The form parameters of a query-protocol request (the body of a POST, else the query string). */
export function formOf(request: HttpRequest): URLSearchParams {
  const query = new URL(request.url, 'http://localhost').searchParams;
  return request.body ? new URLSearchParams(request.body) : query;
}

/**
 * An EC2 query request's parameters in the SDK input shape `portCallOf` reads: flattened lists
 * (`SubnetId.1`, `TagSpecification.1.Tag.1.Key`) gathered back into arrays.
 */
export function ec2InputOf(params: URLSearchParams): Json {
  const indexes = (prefix: string) =>
    [...params.keys()]
      .map((key) => new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.(\\d+)(?:\\.|$)`).exec(key)?.[1])
      .filter((index): index is string => index !== undefined)
      .filter((index, i, all) => all.indexOf(index) === i)
      .sort((a, b) => Number(a) - Number(b));
  const list = (prefix: string) => indexes(prefix).map((n) => params.get(`${prefix}.${n}`) ?? '');
  const tags = (prefix: string): Tag[] =>
    indexes(prefix).map((n) => ({
      Key: params.get(`${prefix}.${n}.Key`) ?? '',
      Value: params.get(`${prefix}.${n}.Value`) ?? '',
    }));
  const specs: TagSpecification[] = indexes('TagSpecification').map((n) => ({
    ResourceType: params.get(`TagSpecification.${n}.ResourceType`) as TagSpecification['ResourceType'],
    Tags: tags(`TagSpecification.${n}.Tag`),
  }));
  return {
    VpcId: params.get('VpcId') ?? undefined,
    ServiceName: params.get('ServiceName') ?? undefined,
    VpcEndpointId: params.get('VpcEndpointId') ?? undefined,
    PrefixListId: params.get('PrefixListId') ?? undefined,
    PrivateDnsEnabled: params.get('PrivateDnsEnabled') === 'true',
    SubnetIds: list('SubnetId'),
    SecurityGroupIds: list('SecurityGroupId'),
    AddSubnetIds: list('AddSubnetId'),
    RemoveSubnetIds: list('RemoveSubnetId'),
    VpcEndpointIds: list('VpcEndpointId'),
    Resources: list('ResourceId'),
    Tags: tags('Tag'),
    TagSpecifications: specs,
  };
}

const tagsOf = (tags: Tag[] | undefined) =>
  Object.fromEntries((tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));

/** The port call an EC2 API call stands for, in the shape ec2-requests.ts reads. */
export function portCallOf(operation: string, input: Json): PortCall {
  const ids = (key: string) => (input[key] as string[] | undefined) ?? [];
  switch (operation) {
    case 'CreateVpcEndpoint': {
      const specs = (input.TagSpecifications as TagSpecification[] | undefined) ?? [];
      const args = {
        vpcId: input.VpcId,
        serviceName: input.ServiceName,
        subnetIds: ids('SubnetIds'),
        securityGroupIds: ids('SecurityGroupIds'),
        tags: tagsOf(specs.flatMap((spec) => spec.Tags ?? [])),
      };
      return { method: 'createInterfaceEndpoint', args: [args] };
    }
    case 'ModifyVpcEndpoint':
      return input.PrivateDnsEnabled
        ? { method: 'enablePrivateDns', args: [input.VpcEndpointId] }
        : {
            method: 'modifyEndpointSubnets',
            args: [
              input.VpcEndpointId,
              { addSubnetIds: ids('AddSubnetIds'), removeSubnetIds: ids('RemoveSubnetIds') },
            ],
          };
    case 'CreateTags':
      return { method: 'tagResource', args: [ids('Resources')[0], tagsOf(input.Tags as Tag[])] };
    case 'DeleteTags':
      return {
        method: 'deleteTags',
        args: [ids('Resources')[0], ((input.Tags as Tag[] | undefined) ?? []).map((tag) => tag.Key)],
      };
    case 'DeleteVpcEndpoints':
      return { method: 'deleteVpcEndpoints', args: [ids('VpcEndpointIds')] };
    case 'DescribeVpcAttribute':
      return { method: 'describeVpcDnsAttributes', args: [input.VpcId] };
    case 'GetManagedPrefixListEntries':
      return { method: 'describePrefixLists', args: [[input.PrefixListId]] };
    default:
      return { method: operation, args: [] };
  }
}

/** The endpoint ids a port call names (its first argument: one id or a list). */
export function endpointIdsOf(call: PortCall): string[] {
  return [call.args[0]].flat().filter((id): id is string => typeof id === 'string' && id.startsWith('vpce-'));
}

async function ec2Call(request: HttpRequest, signer: Signer, lookups: Lookups) {
  const params = formOf(request);
  const operation = params.get('Action') ?? '';
  const call = portCallOf(operation, ec2InputOf(params));
  const state = await lookups.ec2State(call);
  const requests = ec2RequestsOf(operation as Ec2Operation, call, { ...state, region: signer.region });
  // An endpoint that does not exist is EC2's to answer (not found, or already deleted), not IAM's: with no
  // tags to match, every tag-conditioned statement would refuse it, which is not what the caller sees.
  const existing = new Set(state.peekEndpoints().map((endpoint) => endpoint.vpcEndpointId));
  const missing = endpointIdsOf(call).filter((id) => !existing.has(id));
  return {
    operation,
    requests: requests.filter((r) => !missing.some((id) => r.resource.endsWith(`:vpc-endpoint/${id}`))),
  };
}

/** A DynamoDB attribute value as IAM sees it in `dynamodb:LeadingKeys`. */
function scalarOf(value: unknown): string | undefined {
  const typed = value as { S?: string; N?: string; B?: string } | undefined;
  return typed?.S ?? typed?.N ?? typed?.B;
}

async function dynamodbRequests(operation: string, input: Json, signer: Signer, lookups: Lookups) {
  const table = String(input.TableName ?? '');
  if (!table) throw new UndecodableRequest(`dynamodb:${operation} names no TableName`);
  const resource = `arn:aws:dynamodb:${signer.region}:${ACCOUNT}:table/${table}`;
  const item = (input.Key ?? input.Item) as Json | undefined;
  const attribute = item && (await lookups.partitionKeyOf(table));
  const leading = attribute ? scalarOf(item[attribute]) : undefined;
  // AWS puts the partition key's value in `dynamodb:LeadingKeys` for the item operations; the engine leaves
  // it out for the others (Scan, DescribeTable).
  const context = leading === undefined ? {} : { 'dynamodb:LeadingKeys': [leading] };
  return [{ action: `dynamodb:${operation}`, resource, context }];
}

async function secretsRequests(operation: string, input: Json, signer: Signer, lookups: Lookups) {
  const id = String(input.SecretId ?? '');
  if (!id) throw new UndecodableRequest(`secretsmanager:${operation} names no SecretId`);
  // A secret asked for by name is authorised on its full ARN; one that does not exist, on the ARN it would
  // have (AWS answers AccessDenied before ResourceNotFound when the role may not read it).
  const arn = id.startsWith('arn:')
    ? id
    : ((await lookups.secretArnOf(id)) ?? `arn:aws:secretsmanager:${signer.region}:${ACCOUNT}:secret:${id}`);
  return [{ action: `secretsmanager:${operation}`, resource: arn }];
}

function eventsRequests(operation: string, input: Json, signer: Signer): AwsRequest[] {
  const bus = (name: unknown) => {
    const text = String(name ?? 'default') || 'default';
    return text.startsWith('arn:') ? text : `arn:aws:events:${signer.region}:${ACCOUNT}:event-bus/${text}`;
  };
  const action = `events:${operation}`;
  switch (operation) {
    case 'PutEvents': {
      const entries = (input.Entries as Json[] | undefined) ?? [];
      const buses = [...new Set(entries.map((entry) => bus(entry.EventBusName)))];
      return buses.map((resource) => ({ action, resource }));
    }
    case 'DescribeEventBus':
    case 'CreateEventBus':
    case 'DeleteEventBus':
      return [{ action, resource: bus(input.Name) }];
    default:
      throw new UndecodableRequest(`events:${operation} is not modelled by the moto proxy`);
  }
}

function serviceQuotasRequests(operation: string, input: Json, signer: Signer): AwsRequest[] {
  const action = `servicequotas:${operation}`;
  if (operation === 'GetServiceQuota') {
    const resource = `arn:aws:servicequotas:${signer.region}:${ACCOUNT}:${String(input.ServiceCode)}/${String(input.QuotaCode)}`;
    return [{ action, resource }];
  }
  // GetAWSDefaultServiceQuota and the List* reads have no resource-level permissions.
  return [{ action, resource: '*' }];
}

async function jsonCall(request: HttpRequest, signer: Signer, lookups: Lookups) {
  const target = String(request.headers['x-amz-target'] ?? '');
  const operation = target.slice(target.lastIndexOf('.') + 1);
  if (!operation) throw new UndecodableRequest(`${signer.service} request without X-Amz-Target`);
  const input = parseJson(request.body);
  switch (signer.service) {
    case 'dynamodb':
      return { operation, requests: await dynamodbRequests(operation, input, signer, lookups) };
    case 'secretsmanager':
      return { operation, requests: await secretsRequests(operation, input, signer, lookups) };
    case 'events':
      return { operation, requests: eventsRequests(operation, input, signer) };
    case 'servicequotas':
      return { operation, requests: serviceQuotasRequests(operation, input, signer) };
    default:
      // Route 53 Resolver: the doctor's List* reads have no resource-level permissions.
      if (!operation.startsWith('List') && !operation.startsWith('Get'))
        throw new UndecodableRequest(`${signer.service}:${operation} is not modelled by the moto proxy`);
      return { operation, requests: [{ action: `${signer.service}:${operation}`, resource: '*' }] };
  }
}

function stsCall(request: HttpRequest) {
  const params = formOf(request);
  const operation = params.get('Action') ?? '';
  // "No permissions are required to perform this operation" (STS API reference): even a Deny cannot stop it.
  if (operation === 'GetCallerIdentity') return { operation, requests: [] };
  if (operation === 'AssumeRole')
    return { operation, requests: [{ action: 'sts:AssumeRole', resource: params.get('RoleArn') ?? '' }] };
  throw new UndecodableRequest(`sts:${operation} is not modelled by the moto proxy`);
}

function lambdaCall(request: HttpRequest, signer: Signer) {
  const path = decodeURIComponent(new URL(request.url, 'http://localhost').pathname);
  const invoke = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(path);
  if (invoke && request.method === 'POST') {
    const name = invoke[1] as string;
    const resource = name.startsWith('arn:')
      ? name
      : `arn:aws:lambda:${signer.region}:${ACCOUNT}:function:${name}`;
    return { operation: 'Invoke', requests: [{ action: 'lambda:InvokeFunction', resource }] };
  }
  if (/^\/2016-08-19\/account-settings\/?$/.test(path) && request.method === 'GET') {
    const requests = [{ action: 'lambda:GetAccountSettings', resource: '*' }];
    return { operation: 'GetAccountSettings', requests };
  }
  throw new UndecodableRequest(`lambda ${request.method} ${path} is not modelled by the moto proxy`);
}

function route53Call(request: HttpRequest) {
  const url = new URL(request.url, 'http://localhost');
  const path = url.pathname.replace(/^\/2013-04-01/, '');
  const zone = /^\/hostedzone\/([^/]+)(\/[a-z]+)?$/.exec(path);
  const zoneArn = zone ? `arn:aws:route53:::hostedzone/${zone[1]}` : '';
  const on = (operation: string, resource: string, context?: Record<string, string>) => ({
    operation,
    requests: [{ action: `route53:${operation}`, resource, ...(context ? { context } : {}) }],
  });
  const key = `${request.method} ${zone ? `/hostedzone/{id}${zone[2] ?? ''}` : path}`;
  switch (key) {
    case 'GET /hostedzonesbyvpc':
      return on('ListHostedZonesByVPC', '*');
    case 'GET /hostedzone':
      return on('ListHostedZones', '*');
    case 'POST /hostedzone':
      return on('CreateHostedZone', '*');
    case 'GET /hostedzone/{id}':
      return on('GetHostedZone', zoneArn);
    case 'DELETE /hostedzone/{id}':
      return on('DeleteHostedZone', zoneArn);
    case 'GET /hostedzone/{id}/rrset':
      return on('ListResourceRecordSets', zoneArn);
    case 'POST /hostedzone/{id}/rrset':
      return on('ChangeResourceRecordSets', zoneArn);
    case 'POST /hostedzone/{id}/associatevpc': {
      const vpc = /<VPCId>([^<]+)<\/VPCId>/.exec(request.body)?.[1];
      const region = /<VPCRegion>([^<]+)<\/VPCRegion>/.exec(request.body)?.[1];
      return on('AssociateVPCWithHostedZone', zoneArn, {
        'route53:VPCs': `VPCId=${vpc},VPCRegion=${region}`,
      });
    }
    default:
      throw new UndecodableRequest(
        `route53 ${request.method} ${url.pathname} is not modelled by the moto proxy`,
      );
  }
}

/** The IAM requests AWS evaluates for `request`, signed by `signer`. */
export async function iamCallOf(request: HttpRequest, signer: Signer, lookups: Lookups): Promise<IamCall> {
  const wire = wireOf(signer.service);
  if (!wire) throw new UndecodableRequest(`service ${signer.service} is not modelled by the moto proxy`);
  const decoded = await (async () => {
    switch (wire) {
      case 'ec2':
        return ec2Call(request, signer, lookups);
      case 'awsJson':
        return jsonCall(request, signer, lookups);
      case 'awsQuery':
        return stsCall(request);
      case 'restJson':
        return lambdaCall(request, signer);
      case 'restXml':
        return route53Call(request);
    }
  })();
  return { service: signer.service, wire, ...decoded };
}
