import { describe, expect, it } from 'vitest';
import {
  isRefused,
  isStale,
  TidbErrorMapping,
} from '../../../../functions/adapters/tidbcloud/error-mapping.ts';
import {
  TidbCloudAuthError,
  TidbCloudNotFoundError,
  TidbCloudUnavailableError,
} from '../../../../functions/core/errors.ts';

const KEYS = { publicKey: 'PUBLIC-KEY-1', privateKey: 'PRIVATE-KEY-2' };
const mapping = new TidbErrorMapping({ baseUrl: 'https://api.example/v1beta1', ...KEYS });
const spec = { action: 'get cluster 7', resource: 'cluster 7' };

function answer(status: number, body: string, headers: Record<string, string> = {}) {
  return { status, headers: new Headers(headers), text: body };
}

describe('TidbErrorMapping', () => {
  it('names the missing resource on a 404, with the server’s words and the trace id', () => {
    const error = mapping.httpError(
      spec,
      answer(404, '{"code":5,"message":"cluster not found"}', { 'x-debug-trace-id': 't-1' }),
    );
    expect(error).toBeInstanceOf(TidbCloudNotFoundError);
    expect(error.message).toBe('TiDB Cloud has no cluster 7 (cluster not found).');
    expect(error.traceId).toBe('t-1');
  });

  it('blames the key pair on a 401 without quoting the server', () => {
    const error = mapping.httpError(spec, answer(401, `{"message":"bad ${KEYS.publicKey}"}`));
    expect(error).toBeInstanceOf(TidbCloudAuthError);
    expect(error.message).not.toContain(KEYS.publicKey);
  });

  it('redacts both keys from a server’s message and from a socket’s', () => {
    const failed = mapping.serverFailed(
      spec,
      answer(502, `{"message":"${KEYS.privateKey} ${KEYS.publicKey}"}`),
      5,
    );
    expect(failed).toBeInstanceOf(TidbCloudUnavailableError);
    expect(failed.message).toContain('[redacted] [redacted]');
    const unreachable = mapping.unreachable(new Error(`proxy said ${KEYS.privateKey}`), 3);
    expect(unreachable.message).not.toContain(KEYS.privateKey);
    expect(unreachable.message).toContain('https://api.example/v1beta1 is unreachable');
  });

  it('tells a stale nonce from a refused key', () => {
    const challenge = 'Digest realm="r", nonce="n", algorithm=MD5, qop="auth"';
    expect(isStale(answer(401, '', { 'www-authenticate': `${challenge}, stale=true` }))).toBe(true);
    expect(isStale(answer(401, '', { 'www-authenticate': `${challenge}, stale=false` }))).toBe(false);
    expect(isStale(answer(500, '', { 'www-authenticate': `${challenge}, stale=true` }))).toBe(false);
  });

  it('finds ECONNREFUSED however deep fetch nests it', () => {
    const refused = new TypeError('fetch failed', {
      cause: { errors: [{ code: 'ECONNREFUSED' }, { code: 'ECONNREFUSED' }] },
    });
    expect(isRefused(refused)).toBe(true);
    expect(isRefused(new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } }))).toBe(false);
  });
});
