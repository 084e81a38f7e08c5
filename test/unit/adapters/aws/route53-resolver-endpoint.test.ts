/**
 * Which host the Route 53 Resolver client talks to, in every partition and with the FIPS and dual-stack
 * settings. The expected hosts are AWS's published endpoints, written out here, not computed.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  Route53ResolverAdapter,
  resolverEndpoint,
} from '../../../../functions/adapters/aws/route53-resolver.ts';
import { dnsPathDeps } from '../../../../functions/app/dns-path-deps.ts';
import { ConfigError } from '../../../../functions/core/errors.ts';

const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' };

/** A fetch that answers every call with an empty page and remembers where it was sent and how it was signed. */
function recordingFetch() {
  const sent: Array<{ url: string; authorization: string }> = [];
  const fetchFn: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    sent.push({ url: String(input), authorization: headers.get('authorization') ?? '' });
    return new Response('{}', { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' } });
  };
  return { sent, fetchFn };
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
});

describe('resolverEndpoint', () => {
  it.each([
    ['us-east-1', false, false, 'route53resolver.us-east-1.amazonaws.com'],
    ['cn-north-1', false, false, 'route53resolver.cn-north-1.amazonaws.com.cn'],
    ['cn-northwest-1', false, false, 'route53resolver.cn-northwest-1.amazonaws.com.cn'],
    ['us-gov-west-1', false, false, 'route53resolver.us-gov-west-1.amazonaws.com'],
    ['us-gov-west-1', true, false, 'route53resolver-fips.us-gov-west-1.amazonaws.com'],
    ['us-east-1', true, false, 'route53resolver-fips.us-east-1.amazonaws.com'],
    ['us-east-1', false, true, 'route53resolver.us-east-1.api.aws'],
    ['us-east-1', true, true, 'route53resolver-fips.us-east-1.api.aws'],
    ['cn-north-1', false, true, 'route53resolver.cn-north-1.api.amazonwebservices.com.cn'],
    ['us-iso-east-1', false, false, 'route53resolver.us-iso-east-1.c2s.ic.gov'],
    ['us-isob-east-1', false, false, 'route53resolver.us-isob-east-1.sc2s.sgov.gov'],
  ])('%s (FIPS %s, dual-stack %s) → %s', (region, useFips, useDualStack, host) => {
    const url = resolverEndpoint({ region, useFips, useDualStack });
    expect(url.href).toBe(`https://${host}/`);
  });

  it('takes an explicit endpoint (a sandbox) as it is', () => {
    const url = resolverEndpoint({
      region: 'cn-north-1',
      useFips: false,
      useDualStack: false,
      endpointUrl: 'http://127.0.0.1:5000',
    });
    expect(url.href).toBe('http://127.0.0.1:5000/');
  });

  it('refuses FIPS or dual-stack together with an explicit endpoint, in one sentence, as the SDK does', () => {
    const choice = { region: 'us-east-1', endpointUrl: 'http://127.0.0.1:5000' };
    expect(() => resolverEndpoint({ ...choice, useFips: true, useDualStack: false })).toThrow(ConfigError);
    expect(() => resolverEndpoint({ ...choice, useFips: true, useDualStack: true })).toThrow(
      /a FIPS and dual-stack endpoint cannot be combined with AWS_ENDPOINT_URL/,
    );
  });
});

describe('Route53ResolverAdapter endpoint', () => {
  it('sends to the partition endpoint and signs for its region (cn-north-1)', async () => {
    const { sent, fetchFn } = recordingFetch();
    const adapter = new Route53ResolverAdapter({ region: 'cn-north-1', credentials, fetch: fetchFn });
    await adapter.listResolverEndpoints('vpc-1');
    expect(sent.map((request) => request.url)).toEqual([
      'https://route53resolver.cn-north-1.amazonaws.com.cn/',
    ]);
    expect(sent[0]?.authorization).toContain('/cn-north-1/route53resolver/aws4_request');
  });

  it('reads FIPS and dual-stack from providers (an SDK client hands over its own), once', async () => {
    const { sent, fetchFn } = recordingFetch();
    const useFipsEndpoint = vi.fn(async () => true);
    const adapter = new Route53ResolverAdapter({
      region: 'us-gov-west-1',
      credentials,
      useFipsEndpoint,
      useDualstackEndpoint: async () => false,
      fetch: fetchFn,
    });
    await adapter.listResolverEndpoints('vpc-1');
    await adapter.listResolverRules();
    expect(sent.map((request) => request.url)).toEqual([
      'https://route53resolver-fips.us-gov-west-1.amazonaws.com/',
      'https://route53resolver-fips.us-gov-west-1.amazonaws.com/',
    ]);
    expect(useFipsEndpoint).toHaveBeenCalledTimes(1);
  });
});

describe('dnsPathDeps', () => {
  async function hostFor(region: string, env: Record<string, string>): Promise<string> {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDTEST');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    const { sent, fetchFn } = recordingFetch();
    vi.stubGlobal('fetch', fetchFn);
    await dnsPathDeps({ region }).resolver.listResolverEndpoints('vpc-1');
    return new URL(sent[0]?.url ?? 'http://none').host;
  }

  it('honours AWS_USE_FIPS_ENDPOINT as the SDK clients do', async () => {
    expect(await hostFor('us-gov-west-1', { AWS_USE_FIPS_ENDPOINT: 'true' })).toBe(
      'route53resolver-fips.us-gov-west-1.amazonaws.com',
    );
  });

  it('honours AWS_USE_DUALSTACK_ENDPOINT as the SDK clients do', async () => {
    expect(await hostFor('cn-north-1', { AWS_USE_DUALSTACK_ENDPOINT: 'true' })).toBe(
      'route53resolver.cn-north-1.api.amazonwebservices.com.cn',
    );
  });

  it('uses the plain regional endpoint when neither is set', async () => {
    expect(
      await hostFor('us-east-1', { AWS_USE_FIPS_ENDPOINT: 'false', AWS_USE_DUALSTACK_ENDPOINT: 'false' }),
    ).toBe('route53resolver.us-east-1.amazonaws.com');
  });
});
