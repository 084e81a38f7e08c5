import { describe, expect, it } from 'vitest';
import { TidbCloudClient } from '../../../../functions/adapters/tidbcloud/client.ts';
import { TidbCloudError, TidbCloudForbiddenError } from '../../../../functions/core/errors.ts';

const SECRET = 'private-key-0123456789';

/** A fetch that answers every request with one canned response and records what was asked. */
function cannedFetch(status: number, body: string, headers: Record<string, string> = {}) {
  const calls: Array<{ url: string; init: RequestInit | undefined }> = [];
  const fetchFn = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    calls.push({ url: String(input), init });
    return new Response(body, { status, headers });
  };
  return { calls, fetchFn: fetchFn as typeof fetch };
}

function client(fetchFn: typeof fetch): TidbCloudClient {
  return new TidbCloudClient({
    baseUrl: 'https://dedicated.tidbapi.com/v1beta1/',
    publicKey: 'PUB',
    privateKey: SECRET,
    fetch: fetchFn,
    sleep: async () => {},
  });
}

describe('TidbCloudClient (fake fetch)', () => {
  it('maps 403 to TidbCloudForbiddenError with TiDB’s message and the trace id', async () => {
    const { fetchFn } = cannedFetch(403, '{"code":7,"message":"permission denied","details":[]}', {
      'x-debug-trace-id': 'trace-1',
    });
    const error = await client(fetchFn)
      .getCluster('1')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TidbCloudForbiddenError);
    expect((error as TidbCloudForbiddenError).message).toContain('permission denied');
    expect((error as TidbCloudForbiddenError).traceId).toBe('trace-1');
  });

  it('redacts the private key if a server ever echoes it', async () => {
    const { fetchFn } = cannedFetch(
      400,
      JSON.stringify({ code: 3, message: `bad key ${SECRET}`, details: [] }),
    );
    const error = await client(fetchFn)
      .getCluster('1')
      .catch((caught: unknown) => caught);
    expect((error as Error).message).toContain('[redacted]');
    expect((error as Error).message).not.toContain(SECRET);
  });

  it('reports a non-JSON 200 as a bad response instead of crashing in mapping', async () => {
    const { fetchFn } = cannedFetch(200, '<html>proxy</html>');
    const error = await client(fetchFn)
      .getCluster('1')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TidbCloudError);
    expect((error as TidbCloudError).code).toBe('TIDB_BAD_RESPONSE');
  });

  it('encodes path segments, sends pageSize=100 and a user agent, and trims the base URL', async () => {
    const { fetchFn, calls } = cannedFetch(200, '{"privateEndpointConnections":[],"nextPageToken":""}');
    await client(fetchFn).listConnections({ projectId: '42' });
    expect(calls[0]?.url).toBe(
      'https://dedicated.tidbapi.com/v1beta1/clusters/-/tidbNodeGroups/-/privateEndpointConnections?projectId=42&pageSize=100',
    );
    expect(new Headers(calls[0]?.init?.headers).get('user-agent')).toBe('tidb-privatelink');
  });

  it('stops a pagination loop when a server repeats its token', async () => {
    const { fetchFn, calls } = cannedFetch(200, '{"clusters":[],"nextPageToken":"same"}');
    const error = await client(fetchFn)
      .listClusters({})
      .catch((caught: unknown) => caught);
    expect((error as TidbCloudError).code).toBe('TIDB_BAD_RESPONSE');
    expect(calls.length).toBe(2);
  });
});
