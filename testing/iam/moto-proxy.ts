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
 *
 * Several accounts (issue 17's spokes): a spoke taught with `proxy.spoke(grants)` has its role's AssumeRole
 * decided here, as IAM decides a cross-account one (the caller's identity policies must allow it and the
 * role's trust policy must admit the caller under that session name and external id); a refused one is
 * answered AccessDenied and moto never sees it. The keys moto issues for an allowed one act in the spoke's
 * account, and every request signed with them is decided under the spoke role's policies as that session
 * (`aws:userid` = `<role id>:<session name>`), with the spoke account's state. A hub principal's invocation of
 * the spoke's data plane needs the data plane's resource policy too.
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
import type { AwsRequest } from '../iam-engine.ts';
import type { Ec2State, PortCall } from './ec2-requests.ts';
import { Authorizer } from './enforce.ts';
import {
  endpointIdsOf,
  formOf,
  type HttpRequest,
  type IamCall,
  iamCallOf,
  type Lookups,
  type Signer,
  signerOf,
  type Wire,
} from './http-requests.ts';
import { assumeRoleDecision, inSession, invokeDecision, type SpokeGrants, sessionRole } from './spoke.ts';

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
   * Teaches the proxy a deployed spoke (testing/iam/spoke-sandbox.ts `deployedSpokeGrants`): from now on a
   * principal's AssumeRole of its role is decided against both sides, and the keys moto issues for it act as
   * that session of the spoke role (see the module comment).
   */
  spoke(grants: SpokeGrants): void;
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

type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

/**
 * Reads, straight from moto, the state that request contexts are built from: with the sandbox's own keys
 * (the hub's account), or a spoke session's (its account, whose ARNs the EC2 requests then name).
 */
function motoLookups(
  target: MotoTarget,
  credentials: Credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' },
  account?: string,
): Lookups & { destroy(): void } {
  const common = { region: target.region, endpoint: target.endpointUrl, credentials, maxAttempts: 1 };
  const ec2 = new EC2Client(common);
  const dynamodb = new DynamoDBClient(common);
  const secrets = new SecretsManagerClient(common);
  return {
    ec2State: async (call) => ({
      ...(await ec2StateFor(ec2, target.region, call)),
      ...(account ? { account } : {}),
    }),
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

/** The request as it came, addressed to moto (moto verifies no signature, so the changed Host is harmless). */
const upstreamOptions = (target: URL, incoming: IncomingMessage) => ({
  hostname: target.hostname,
  port: target.port,
  method: incoming.method,
  path: incoming.url,
  headers: { ...incoming.headers, host: target.host },
});

function sendOn(target: URL, incoming: IncomingMessage, body: Buffer, response: ServerResponse): void {
  const upstream = httpRequest(upstreamOptions(target, incoming), (answer) => {
    response.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(response);
  });
  upstream.on('error', (error) => {
    if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' });
    response.end(`moto proxy: moto did not answer: ${error.message}`);
  });
  upstream.end(body);
}

/** Who signs with a key the proxy handed out or learned: a principal, or a session of a spoke's role. */
interface Holder {
  authorizer: Authorizer;
  lookups: Lookups;
  /** A spoke session's requests are made in its account with its `aws:userid`; a principal's as decoded. */
  asMade(requests: AwsRequest[]): AwsRequest[];
}

/** The refusal of a call as AWS words it, recorded as refused. */
function refused(holder: Holder, call: IamCall, error: AwsError, log: string[]): WireAnswer {
  log.push(`${holder.authorizer.principal} ${call.service}:${call.operation}`);
  return refusalOnWire(call.wire, error.awsCode, error.message, call.service);
}

/** A cross-account refusal (the resource's policy or a trust policy said no), as `denial` words it for the caller. */
function crossAccountDenial(holder: Holder, request: AwsRequest): AwsError {
  const user = holder.authorizer.role.principal.replace(/:iam::(\d+):role\//, ':sts::$1:assumed-role/');
  const wording = request.action === 'sts:AssumeRole' ? 'AccessDenied' : 'AccessDeniedException';
  return new AwsError(
    wording,
    `User: ${user}/session is not authorized to perform: ${request.action} on resource: ${request.resource}`,
    { fault: 'client' },
  );
}

/** A caller as the spoke decisions take it: the holder's role, as its `aws:PrincipalArn`. */
const callerOf = (holder: Holder) => ({
  role: holder.authorizer.role,
  roleArn: holder.authorizer.role.principal,
  sessionName: 'proxy',
});

/**
 * The cross-account part of a call, when it names a spoke the proxy knows: AssumeRole of its role (identity
 * and trust, evaluated together) or an invocation of its data plane (identity and the Lambda permissions).
 */
async function crossAccountDecision(
  holder: Holder,
  call: IamCall,
  request: HttpRequest,
  spokes: Map<string, SpokeGrants>,
): Promise<AwsError | 'Allowed' | undefined> {
  const [first] = call.requests;
  const decision = await (async () => {
    if (first?.action === 'sts:AssumeRole') {
      const spoke = spokes.get(first.resource);
      const form = formOf(request);
      const asked = {
        sessionName: form.get('RoleSessionName') ?? '',
        externalId: form.get('ExternalId') ?? undefined,
      };
      return spoke && assumeRoleDecision(spoke, callerOf(holder), asked);
    }
    if (first?.action === 'lambda:InvokeFunction') {
      const spoke = [...spokes.values()].find((known) => known.dataPlaneFunctionArn === first.resource);
      return spoke && invokeDecision(spoke, callerOf(holder));
    }
    return undefined;
  })();
  if (decision === undefined || !first) return undefined;
  return decision === 'Allowed' ? decision : crossAccountDenial(holder, first);
}

/** Decides a holder's request; undefined when it may go on to moto, else the refusal to send back. */
async function refusalFor(
  holder: Holder,
  signer: Signer,
  request: HttpRequest,
  spokes: Map<string, SpokeGrants>,
  log: string[],
): Promise<WireAnswer | undefined> {
  const call = await iamCallOf(request, signer, holder.lookups);
  // A call naming a known spoke is decided against both sides; the rest against the holder's policies.
  const crossAccount = await crossAccountDecision(holder, call, request, spokes);
  if (crossAccount === 'Allowed') return undefined;
  if (crossAccount) return refused(holder, call, crossAccount, log);
  try {
    await holder.authorizer.authorize(PROTOCOL_OF[call.wire], holder.asMade(call.requests));
    return undefined;
  } catch (error) {
    if (!(error instanceof AwsError)) throw error;
    return refused(holder, call, error, log);
  }
}

/** The keys in an STS AssumeRole answer (XML), when it has them. */
function issuedKeys(body: string): Credentials | undefined {
  const field = (name: string) => new RegExp(`<${name}>([^<]+)</${name}>`).exec(body)?.[1];
  const [accessKeyId, secretAccessKey, sessionToken] = ['AccessKeyId', 'SecretAccessKey', 'SessionToken'].map(
    field,
  );
  if (!accessKeyId || !secretAccessKey) return undefined;
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

/**
 * Starts a proxy in front of moto on 127.0.0.1 and a free port. It does not keep the process alive: a test
 * worker that forgets to close it still exits.
 */
export async function startMotoProxy(target: MotoTarget): Promise<MotoProxy> {
  const moto = new URL(target.endpointUrl);
  const lookups = motoLookups(target);
  const holders = new Map<string, Holder>();
  const spokes = new Map<string, SpokeGrants>();
  const sessionLookups: Array<{ destroy(): void }> = [];
  const refused: string[] = [];
  const undecodable: string[] = [];
  let writes: Promise<void> = Promise.resolve();

  /** The keys moto issued for an allowed AssumeRole of a spoke: they now act as that session of its role. */
  const learnSession = (spoke: SpokeGrants, request: HttpRequest, answer: WireAnswer) => {
    const keys = issuedKeys(answer.body);
    if (answer.status !== 200 || !keys) return;
    const sessionName = formOf(request).get('RoleSessionName') ?? '';
    const role = sessionRole(spoke, sessionName);
    const spokeLookups = motoLookups(target, keys, spoke.account);
    sessionLookups.push(spokeLookups);
    holders.set(keys.accessKeyId, {
      authorizer: new Authorizer(role.principal, role, { recorded: false }),
      lookups: spokeLookups,
      asMade: (requests) => requests.map((made) => inSession(spoke, sessionName, made)),
    });
  };

  const server = createServer((incoming, response) => {
    void (async () => {
      const body = await readBody(incoming);
      const signer = signerOf(incoming.headers);
      const holder = signer && holders.get(signer.accessKeyId);
      const request = {
        method: incoming.method ?? 'GET',
        url: incoming.url ?? '/',
        headers: incoming.headers,
        body: body.toString('utf8'),
      };
      const refusal = signer && holder && (await refusalFor(holder, signer, request, spokes, refused));
      const assumed = holder && signer?.service === 'sts' ? spokeAssumed(request, spokes) : undefined;
      if (refusal) send(response, refusal);
      else if (assumed) {
        const answer = await exchange(moto, incoming, body);
        learnSession(assumed, request, answer);
        send(response, answer);
      } else if (isDynamoDbWrite(incoming)) {
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
      const accessKeyId = `AKIAPROXY${String(holders.size + 1).padStart(8, '0')}`;
      holders.set(accessKeyId, { authorizer, lookups, asMade: (requests) => requests });
      return { accessKeyId, secretAccessKey: 'moto-proxy' };
    },
    spoke: (grants) => {
      spokes.set(grants.roleArn, grants);
    },
    close: () =>
      new Promise<void>((resolve) => {
        lookups.destroy();
        for (const spokeLookups of sessionLookups) spokeLookups.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The known spoke an STS AssumeRole request names, if any. */
function spokeAssumed(request: HttpRequest, spokes: Map<string, SpokeGrants>): SpokeGrants | undefined {
  const form = formOf(request);
  return form.get('Action') === 'AssumeRole' ? spokes.get(form.get('RoleArn') ?? '') : undefined;
}

/** Sends the request on to moto and returns its whole answer (to read the keys of an AssumeRole). */
function exchange(target: URL, incoming: IncomingMessage, body: Buffer): Promise<WireAnswer> {
  return new Promise((resolve, reject) => {
    const upstream = httpRequest(upstreamOptions(target, incoming), (answer) => {
      readBody(answer).then((text) => {
        const headers = Object.fromEntries(
          Object.entries(answer.headers)
            .filter(([name]) => !['content-length', 'transfer-encoding', 'connection'].includes(name))
            .map(([name, value]) => [name, String(value)]),
        );
        resolve({ status: answer.statusCode ?? 502, headers, body: text.toString('utf8') });
      }, reject);
    });
    upstream.on('error', reject);
    upstream.end(body);
  });
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
