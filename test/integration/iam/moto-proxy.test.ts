/**
 * The moto proxy's routing, in front of a stand-in upstream that records what reaches it: a principal's
 * allowed call goes through unchanged, a denied one and one the proxy cannot decode never arrive, and a
 * request signed with any other key passes as it came. (Each protocol's refusal against moto itself:
 * test/sandbox/iam-proxy.test.ts.)
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetAccountSettingsCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Authorizer } from '../../../testing/iam/enforce.ts';
import { type MotoProxy, type PrincipalKeys, startMotoProxy } from '../../../testing/iam/moto-proxy.ts';
import type { Role } from '../../../testing/iam-engine.ts';

const REGION = 'us-east-1';
/** May read Lambda's account settings, nothing else. */
const ROLE: Role = {
  principal: 'arn:aws:iam::123456789012:role/tester',
  policies: [
    {
      name: 'settings',
      policy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'lambda:GetAccountSettings', Resource: '*' }],
      },
    },
  ],
  managedPolicyArns: [],
};

let upstream: Server;
let proxy: MotoProxy;
let keys: PrincipalKeys;
/** What reached the upstream: `METHOD path body`. */
let arrived: string[] = [];

beforeAll(async () => {
  upstream = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      arrived.push(`${request.method} ${request.url} ${Buffer.concat(chunks).toString()}`);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const { port } = upstream.address() as AddressInfo;
  proxy = await startMotoProxy({ endpointUrl: `http://127.0.0.1:${port}`, region: REGION });
  keys = proxy.principal(new Authorizer('tester', ROLE));
});

afterAll(async () => {
  await proxy?.close();
  await new Promise((resolve) => upstream?.close(resolve));
});

beforeEach(() => {
  arrived = [];
});

const lambda = (credentials: PrincipalKeys) =>
  new LambdaClient({ region: REGION, endpoint: proxy.url, credentials, maxAttempts: 1 });

describe('the moto proxy', () => {
  it('forwards a call the role allows', async () => {
    await lambda(keys).send(new GetAccountSettingsCommand({}));
    // No body: the line ends after the path.
    expect(arrived).toEqual(['GET /2016-08-19/account-settings ']);
  });

  it('refuses a call the role does not allow, as Lambda does, and the upstream never sees it', async () => {
    const refused = lambda(keys).send(new InvokeCommand({ FunctionName: 'f', Payload: '{}' }));
    await expect(refused).rejects.toMatchObject({
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 403 },
    });
    expect(arrived).toEqual([]);
    expect(proxy.refused).toContain('tester lambda:Invoke');
  });

  it('passes a request signed with a key it does not know, unchanged', async () => {
    await lambda({ accessKeyId: 'testing', secretAccessKey: 'testing' }).send(
      new InvokeCommand({ FunctionName: 'f', Payload: '{"a":1}' }),
    );
    expect(arrived).toEqual(['POST /2015-03-31/functions/f/invocations {"a":1}']);
  });

  it('answers 400 to a principal’s request it cannot decode, lists it, and never forwards it', async () => {
    const response = await fetch(`${proxy.url}/`, {
      method: 'POST',
      headers: {
        authorization: `AWS4-HMAC-SHA256 Credential=${keys.accessKeyId}/20260101/${REGION}/sqs/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: 'Action=ListQueues',
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toBe('moto proxy: service sqs is not modelled by the moto proxy');
    expect(proxy.undecodable).toContain('moto proxy: service sqs is not modelled by the moto proxy');
    expect(arrived).toEqual([]);
  });
});
