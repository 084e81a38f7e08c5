/**
 * IAM in front of moto, on the wire: a local HTTP proxy that forwards every request to moto unchanged, except
 * that a request signed with a principal's access key (`proxy.principal(authorizer)`) is first decoded into
 * the IAM requests AWS would evaluate (http-requests.ts) and decided against that principal's role; a denied
 * one is answered as AWS answers it for that protocol, and moto never sees it. Because it sits on the
 * network path, it covers every client alike: SDK clients, the hand-written Route 53 Resolver client, and
 * child processes given the principal's keys and the proxy's URL in their environment.
 *
 * Requests signed with any other key (world building, a test's own looks) pass straight through, as does the
 * proxy's own state lookup (an endpoint's tags, a subnet's VPC, a table's key, a secret's ARN).
 */
import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
  type Tag,
} from '@aws-sdk/client-ec2';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AwsError } from '../../functions/core/errors.ts';
import type { Subnet, VpcEndpoint } from '../../functions/core/model.ts';
import type { Ec2State, PortCall } from './ec2-requests.ts';
import type { Authorizer } from './enforce.ts';
import {
  endpointIdsOf,
  type HttpRequest,
  iamCallOf,
  type Lookups,
  type Signer,
  signerOf,
  type Wire,
} from './http-requests.ts';

/** What a test or a child process signs with to act as one principal through the proxy. */
export interface PrincipalKeys {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface MotoProxy {
  /** `http://127.0.0.1:<port>`: the endpoint a principal's clients use instead of moto's. */
  url: string;
  /** Keys that make the proxy decide every request signed with them against `authorizer`'s role. */
  principal(authorizer: Authorizer): PrincipalKeys;
  /**
   * What it refused so far, by principal and operation (`reconcile ec2:CreateVpcEndpoint`), and what it
   * could not decode: code that tolerates a failed read (the doctor's "unread" parts) hides both otherwise.
   */
  refused: string[];
  undecodable: string[];
  close(): Promise<void>;
}

export interface MotoTarget {
  /** moto's own endpoint. */
  endpointUrl: string;
  region: string;
}

const tagsOf = (tags: Tag[] | undefined) =>
  Object.fromEntries((tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));

/** Reads, straight from moto, the state that request contexts are built from. */
function motoLookups(target: MotoTarget): Lookups & { destroy(): void } {
  const common = {
    region: target.region,
    endpoint: target.endpointUrl,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 1,
  };
  const ec2 = new EC2Client(common);
  const dynamodb = new DynamoDBClient(common);
  const secrets = new SecretsManagerClient(common);
  return {
    ec2State: (call) => ec2StateFor(ec2, target.region, call),
    partitionKeyOf: async (tableName) => {
      const described = await dynamodb
        .send(new DescribeTableCommand({ TableName: tableName }))
        .catch(() => undefined);
      return described?.Table?.KeySchema?.find((key) => key.KeyType === 'HASH')?.AttributeName;
    },
    secretArnOf: async (secretId) =>
      (await secrets.send(new DescribeSecretCommand({ SecretId: secretId })).catch(() => undefined))?.ARN,
    destroy: () => {
      ec2.destroy();
      dynamodb.destroy();
      secrets.destroy();
    },
  };
}

/**
 * The endpoints and subnets an EC2 call names, as moto has them now. An id that does not exist is left out:
 * EC2 itself answers for it (IAM decides first, on a resource without tags).
 */
async function ec2StateFor(ec2: EC2Client, region: string, call: PortCall): Promise<Ec2State> {
  const [first, second] = call.args;
  // Subnets and groups named by a create (its input) or by a subnet change (added and removed).
  const create = first as { subnetIds?: string[]; securityGroupIds?: string[] } | undefined;
  const change = second as { addSubnetIds?: string[]; removeSubnetIds?: string[] } | undefined;
  const [endpoints, subnets, groups] = await Promise.all([
    endpointsIn(ec2, endpointIdsOf(call)),
    subnetsIn(ec2, [
      ...(create?.subnetIds ?? []),
      ...(change?.addSubnetIds ?? []),
      ...(change?.removeSubnetIds ?? []),
    ]),
    groupsIn(ec2, create?.securityGroupIds ?? []),
  ]);
  return {
    region,
    peekEndpoints: () => endpoints,
    peekSubnets: (ids) => subnets.filter((subnet) => ids.includes(subnet.subnetId)),
    peekSecurityGroups: (ids) => groups.filter((group) => ids.includes(group.groupId)),
  };
}

/** One id at a time: moto refuses the whole call for one missing id, and has no vpc-endpoint-id filter. */
async function endpointsIn(ec2: EC2Client, ids: string[]): Promise<VpcEndpoint[]> {
  const described = await Promise.all(
    ids.map((id) =>
      ec2
        .send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [id] }))
        .then((answer) => answer.VpcEndpoints ?? [])
        .catch(() => []),
    ),
  );
  return described.flat().map(
    (endpoint) =>
      ({
        vpcEndpointId: endpoint.VpcEndpointId ?? '',
        vpcId: endpoint.VpcId ?? '',
        serviceName: endpoint.ServiceName ?? '',
        privateDnsEnabled: endpoint.PrivateDnsEnabled ?? false,
        tags: tagsOf(endpoint.Tags),
      }) as VpcEndpoint,
  );
}

/** By filter: an id that does not exist is left out (EC2 answers for it). */
async function subnetsIn(ec2: EC2Client, ids: string[]): Promise<Subnet[]> {
  if (ids.length === 0) return [];
  const filter = { Filters: [{ Name: 'subnet-id', Values: ids }] };
  const { Subnets = [] } = await ec2.send(new DescribeSubnetsCommand(filter));
  return Subnets.map((subnet) => ({ subnetId: subnet.SubnetId ?? '', vpcId: subnet.VpcId ?? '' }) as Subnet);
}

async function groupsIn(ec2: EC2Client, ids: string[]): Promise<Array<{ groupId: string; vpcId: string }>> {
  if (ids.length === 0) return [];
  const filter = { Filters: [{ Name: 'group-id', Values: ids }] };
  const { SecurityGroups = [] } = await ec2.send(new DescribeSecurityGroupsCommand(filter));
  return SecurityGroups.map((group) => ({ groupId: group.GroupId ?? '', vpcId: group.VpcId ?? '' }));
}

/** Which of the Authorizer's wordings a wire protocol uses. */
const PROTOCOL_OF: Record<Wire, 'ec2' | 'json' | 'query'> = {
  ec2: 'ec2',
  awsJson: 'json',
  restJson: 'json',
  awsQuery: 'query',
  restXml: 'query',
};

const xmlEscape = (text: string) =>
  text.replace(/[<>&'"]/g, (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', "'": 'apos', '"': 'quot' }[c]};`);

interface WireAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** AWS's refusal as that protocol puts it on the wire, so the SDK (and the Resolver client) parse its name. */
export function refusalOnWire(wire: Wire, code: string, message: string, service: string): WireAnswer {
  const requestId = randomUUID();
  switch (wire) {
    case 'ec2':
      return {
        status: 403,
        headers: { 'content-type': 'text/xml;charset=UTF-8' },
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
      };
    case 'awsJson':
    case 'restJson':
      return {
        // The JSON 1.x services answer 400 for every client error; Lambda's REST API answers 403.
        status: wire === 'awsJson' ? 400 : 403,
        headers: {
          'content-type': wire === 'awsJson' ? 'application/x-amz-json-1.1' : 'application/json',
          'x-amzn-errortype': code,
          'x-amzn-requestid': requestId,
        },
        body: JSON.stringify({ __type: code, message }),
      };
    case 'awsQuery':
    case 'restXml': {
      const namespace =
        service === 'sts'
          ? 'https://sts.amazonaws.com/doc/2011-06-15/'
          : 'https://route53.amazonaws.com/doc/2013-04-01/';
      return {
        status: 403,
        headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
        body: `<ErrorResponse xmlns="${namespace}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      };
    }
  }
}

function readBody(incoming: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => resolve(Buffer.concat(chunks)));
    incoming.on('error', reject);
  });
}

function send(response: ServerResponse, answer: WireAnswer): void {
  response.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(answer.body) });
  response.end(answer.body);
}

/**
 * DynamoDB's writes, which AWS applies atomically, condition and all. moto serves requests on threads and
 * does not lock an item between a condition's check and the write, so two racing conditional writes can both
 * pass there (the shared budget's ring showed it, rarely); the proxy sends such writes on one at a time.
 */
const DYNAMODB_WRITES =
  /^DynamoDB_20120810\.(UpdateItem|PutItem|DeleteItem|BatchWriteItem|TransactWriteItems)$/;

const isDynamoDbWrite = (incoming: IncomingMessage): boolean =>
  DYNAMODB_WRITES.test(String(incoming.headers['x-amz-target'] ?? ''));

/** Sends the request on to moto as it came (moto verifies no signature, so the changed Host is harmless). */
function forward(
  target: URL,
  incoming: IncomingMessage,
  body: Buffer,
  response: ServerResponse,
): Promise<void> {
  return new Promise((done) => {
    response.on('close', () => done());
    sendOn(target, incoming, body, response);
  });
}

function sendOn(target: URL, incoming: IncomingMessage, body: Buffer, response: ServerResponse): void {
  const upstream = httpRequest(
    {
      hostname: target.hostname,
      port: target.port,
      method: incoming.method,
      path: incoming.url,
      headers: { ...incoming.headers, host: target.host },
    },
    (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    },
  );
  upstream.on('error', (error) => {
    if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' });
    response.end(`moto proxy: moto did not answer: ${error.message}`);
  });
  upstream.end(body);
}

/** Decides a principal's request; undefined when it may go on to moto, else the refusal to send back. */
async function refusalFor(
  authorizer: Authorizer,
  signer: Signer,
  request: HttpRequest,
  lookups: Lookups,
  refused: string[],
): Promise<WireAnswer | undefined> {
  const call = await iamCallOf(request, signer, lookups);
  try {
    await authorizer.authorize(PROTOCOL_OF[call.wire], call.requests);
    return undefined;
  } catch (error) {
    if (!(error instanceof AwsError)) throw error;
    refused.push(`${authorizer.principal} ${call.service}:${call.operation}`);
    return refusalOnWire(call.wire, error.awsCode, error.message, call.service);
  }
}

/**
 * Starts a proxy in front of moto on 127.0.0.1 and a free port. It does not keep the process alive: a test
 * worker that forgets to close it still exits.
 */
export async function startMotoProxy(target: MotoTarget): Promise<MotoProxy> {
  const moto = new URL(target.endpointUrl);
  const lookups = motoLookups(target);
  const principals = new Map<string, Authorizer>();
  const refused: string[] = [];
  const undecodable: string[] = [];
  let writes: Promise<void> = Promise.resolve();
  const server = createServer((incoming, response) => {
    void (async () => {
      const body = await readBody(incoming);
      const signer = signerOf(incoming.headers);
      const authorizer = signer && principals.get(signer.accessKeyId);
      const request = {
        method: incoming.method ?? 'GET',
        url: incoming.url ?? '/',
        headers: incoming.headers,
        body: body.toString('utf8'),
      };
      const refusal =
        signer && authorizer && (await refusalFor(authorizer, signer, request, lookups, refused));
      if (refusal) send(response, refusal);
      else if (isDynamoDbWrite(incoming)) {
        const turn = writes.then(() => forward(moto, incoming, body, response));
        writes = turn.catch(() => undefined);
        await turn;
      } else await forward(moto, incoming, body, response);
    })().catch((error: unknown) => {
      // A request the proxy cannot decide is a gap in the test kit: say so loudly rather than let it through
      // (a 4xx, which no client retries).
      const message = `moto proxy: ${error instanceof Error ? error.message : String(error)}`;
      undecodable.push(message);
      send(response, { status: 400, headers: { 'content-type': 'text/plain' }, body: message });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    refused,
    undecodable,
    principal: (authorizer) => {
      // Not twelve digits: moto reads a twelve-digit access key id as the account to act in.
      const accessKeyId = `AKIAPROXY${String(principals.size + 1).padStart(8, '0')}`;
      principals.set(accessKeyId, authorizer);
      return { accessKeyId, secretAccessKey: 'moto-proxy' };
    },
    close: () =>
      new Promise<void>((resolve) => {
        lookups.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const perModule = new Map<string, Promise<MotoProxy>>();

/**
 * This module instance's proxy in front of the moto at `target`, started on first use: one per test file (vitest
 * loads modules afresh for each file), shared by every principal of that file.
 */
export function motoProxy(target: MotoTarget): Promise<MotoProxy> {
  let proxy = perModule.get(target.endpointUrl);
  if (!proxy) {
    proxy = startMotoProxy(target);
    perModule.set(target.endpointUrl, proxy);
  }
  return proxy;
}
