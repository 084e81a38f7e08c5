/**
 * The Route 53 Resolver JSON client over real HTTP against a local server playing the service: what it signs
 * and sends, how it reads pages and errors, and its retries. (Behaviour against moto: test/sandbox/dns-path.)
 */
import { getEventListeners } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Route53ResolverAdapter } from '../../../functions/adapters/aws/route53-resolver.ts';
import { AwsError } from '../../../functions/core/errors.ts';

interface Seen {
  target: string;
  authorization: string;
  contentType: string;
  body: Record<string, unknown>;
}

type Reply = { status: number; body: unknown; errorType?: string };

let server: Server;
let url: string;
let seen: Seen[];
let replies: ((request: Seen) => Reply)[];

async function read(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

beforeEach(async () => {
  seen = [];
  replies = [];
  server = createServer((request, response) => {
    void read(request).then((text) => {
      const entry: Seen = {
        target: String(request.headers['x-amz-target']),
        authorization: String(request.headers.authorization),
        contentType: String(request.headers['content-type']),
        body: JSON.parse(text) as Record<string, unknown>,
      };
      seen.push(entry);
      const reply: Reply = (replies.shift() ?? (() => ({ status: 200, body: {} })))(entry);
      response.writeHead(reply.status, {
        'content-type': 'application/x-amz-json-1.1',
        ...(reply.errorType ? { 'x-amzn-errortype': reply.errorType } : {}),
      });
      response.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const adapter = (maxAttempts = 3) =>
  new Route53ResolverAdapter({
    region: 'eu-west-1',
    endpointUrl: url,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts,
    retryBaseMs: 1,
  });

describe('Route53ResolverAdapter', () => {
  it('signs for route53resolver in the region, names the operation, and follows NextToken', async () => {
    replies.push(
      () => ({
        status: 200,
        body: {
          ResolverRules: [
            {
              Id: 'rslvr-rr-1',
              DomainName: 'a.',
              RuleType: 'FORWARD',
              TargetIps: [{ Ip: '10.0.0.2', Port: 53 }],
            },
          ],
          NextToken: 't2',
        },
      }),
      () => ({
        status: 200,
        body: { ResolverRules: [{ Id: 'rslvr-rr-2', DomainName: 'b.', RuleType: 'SYSTEM' }] },
      }),
    );
    const rules = await adapter().listResolverRules();
    expect(rules.map((rule) => rule.resolverRuleId)).toEqual(['rslvr-rr-1', 'rslvr-rr-2']);
    expect(rules[0]?.targetIps).toEqual(['10.0.0.2:53']);
    expect(seen.map((s) => s.body)).toEqual([{}, { NextToken: 't2' }]);
    expect(seen[0]).toMatchObject({
      target: 'Route53Resolver.ListResolverRules',
      contentType: 'application/x-amz-json-1.1',
      authorization: expect.stringMatching(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/route53resolver\/aws4_request, SignedHeaders=[^,]*x-amz-target[^,]*, Signature=[0-9a-f]{64}$/,
      ),
    });
  });

  it('filters associations and endpoints by VPC, and DNS Firewall associations by VpcId', async () => {
    const resolver = adapter();
    await resolver.listResolverRuleAssociations('vpc-1');
    await resolver.listResolverEndpoints('vpc-1');
    await resolver.listFirewallRuleGroupAssociations('vpc-1');
    expect(seen.map((s) => [s.target, s.body])).toEqual([
      ['Route53Resolver.ListResolverRuleAssociations', { Filters: [{ Name: 'VPCId', Values: ['vpc-1'] }] }],
      ['Route53Resolver.ListResolverEndpoints', { Filters: [{ Name: 'HostVPCId', Values: ['vpc-1'] }] }],
      ['Route53Resolver.ListFirewallRuleGroupAssociations', { VpcId: 'vpc-1' }],
    ]);
  });

  it('reads firewall rules and domains', async () => {
    replies.push(
      () => ({
        status: 200,
        body: {
          FirewallRules: [
            {
              FirewallRuleGroupId: 'rslvr-frg-1',
              FirewallDomainListId: 'rslvr-fdl-1',
              Name: 'deny',
              Priority: 100,
              Action: 'BLOCK',
              BlockResponse: 'NXDOMAIN',
            },
          ],
        },
      }),
      () => ({ status: 200, body: { Domains: ['*.example.com.'], NextToken: 'n' } }),
      () => ({ status: 200, body: { Domains: ['example.com.'] } }),
    );
    const resolver = adapter();
    expect(await resolver.listFirewallRules('rslvr-frg-1')).toEqual([
      {
        firewallRuleGroupId: 'rslvr-frg-1',
        firewallDomainListId: 'rslvr-fdl-1',
        name: 'deny',
        priority: 100,
        action: 'BLOCK',
        blockResponse: 'NXDOMAIN',
      },
    ]);
    expect(await resolver.listFirewallDomains('rslvr-fdl-1')).toEqual(['*.example.com.', 'example.com.']);
  });

  it("maps AWS's error type and message to an AwsError, without retrying a denial", async () => {
    replies.push(() => ({
      status: 400,
      errorType: 'AccessDeniedException:http://internal.amazon.com/coral/com.amazonaws.route53resolver/',
      body: {
        __type: 'AccessDeniedException',
        Message: 'User is not authorized to perform: route53resolver:ListResolverRules',
      },
    }));
    const error = await adapter()
      .listResolverRules()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsError);
    expect(error).toMatchObject({
      awsCode: 'AccessDeniedException',
      message: expect.stringContaining('not authorized'),
    });
    expect(seen).toHaveLength(1);
  });

  it('retries throttling and 5xx, then gives up after maxAttempts', async () => {
    replies.push(
      () => ({ status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } }),
      () => ({ status: 503, body: {} }),
      () => ({ status: 200, body: { ResolverEndpoints: [] } }),
    );
    expect(await adapter().listResolverEndpoints('vpc-1')).toEqual([]);
    expect(seen).toHaveLength(3);

    seen = [];
    for (let i = 0; i < 3; i += 1)
      replies.push(() => ({ status: 400, body: { __type: 'ThrottlingException' } }));
    await expect(adapter(2).listResolverEndpoints('vpc-1')).rejects.toMatchObject({
      awsCode: 'ThrottlingException',
    });
    expect(seen).toHaveLength(2);
  });

  it("leaves no listener on the caller's signal: its calls and retry waits take theirs off when they end", async () => {
    const signal = new AbortController().signal;
    for (let i = 0; i < 20; i += 1) {
      replies.push(() => ({ status: 400, body: { __type: 'ThrottlingException' } }));
      expect(await adapter().listResolverEndpoints('vpc-1', { signal })).toEqual([]);
    }
    expect(seen).toHaveLength(40);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });

  it("answers with the last error, at once, when a retry's backoff would end past the caller's deadline", async () => {
    for (let i = 0; i < 5; i += 1) replies.push(() => ({ status: 500, body: {} }));
    const slow = new Route53ResolverAdapter({
      region: 'eu-west-1',
      endpointUrl: url,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      maxAttempts: 5,
      // Backoffs of up to 20 s each: waiting them out would take far longer than the caller has.
      retryBaseMs: 10_000,
    });
    const begin = performance.now();
    await expect(
      slow.listFirewallRuleGroupAssociations('vpc-1', { deadline: Date.now() + 300 }),
    ).rejects.toMatchObject({ awsCode: 'HTTP 500' });
    expect(performance.now() - begin).toBeLessThan(300);
    // A backoff short enough may still be waited for; one that would end past the deadline is not begun.
    expect(seen.length).toBeLessThan(5);
  });

  it('stops when the signal fires', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(adapter().listResolverRules({ signal: controller.signal })).rejects.toThrow();
    expect(seen).toHaveLength(0);
  });
});
