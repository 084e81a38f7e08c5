import { describe, expect, it } from 'vitest';
import {
  buildAuthorization,
  computeResponse,
  type DigestChallenge,
  formatNc,
  parseChallenge,
  parseChallenges,
} from '../../../../functions/adapters/tidbcloud/digest.ts';

// RFC 7616 §3.9.1: the worked example for MD5 and SHA-256.
const RFC = {
  username: 'Mufasa',
  password: 'Circle of Life',
  method: 'GET',
  uri: '/dir/index.html',
  nc: 1,
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
};

function rfcChallenge(algorithm: DigestChallenge['algorithm']): DigestChallenge {
  return {
    realm: 'http-auth@example.org',
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
    qop: ['auth', 'auth-int'],
    algorithm,
    stale: false,
  };
}

describe('computeResponse (RFC 7616 §3.9.1 vectors)', () => {
  it('matches the MD5 response of the RFC', () => {
    expect(computeResponse({ ...RFC, challenge: rfcChallenge('MD5') })).toBe(
      '8ca523f5e9506fed4657c9700eebdbec',
    );
  });

  it('matches the SHA-256 response of the RFC', () => {
    expect(computeResponse({ ...RFC, challenge: rfcChallenge('SHA-256') })).toBe(
      '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    );
  });

  it('hashes the session key for -sess algorithms, so the response differs from plain MD5', () => {
    const sess = computeResponse({ ...RFC, challenge: rfcChallenge('MD5-sess') });
    expect(sess).toMatch(/^[0-9a-f]{32}$/);
    expect(sess).not.toBe('8ca523f5e9506fed4657c9700eebdbec');
  });
});

describe('buildAuthorization', () => {
  it('carries every field the server needs, with qop=auth and the opaque echoed', () => {
    const header = buildAuthorization({ ...RFC, challenge: rfcChallenge('SHA-256') });
    expect(header).toMatch(/^Digest /);
    expect(header).toContain('username="Mufasa"');
    expect(header).toContain('realm="http-auth@example.org"');
    expect(header).toContain('uri="/dir/index.html"');
    expect(header).toContain('algorithm=SHA-256');
    expect(header).toContain('nc=00000001');
    expect(header).toContain(`cnonce="${RFC.cnonce}"`);
    expect(header).toContain('qop=auth,');
    expect(header).toContain('response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"');
    expect(header).toContain('opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"');
    expect(header).not.toContain('Circle of Life');
  });

  it('escapes quotes in quoted values', () => {
    const header = buildAuthorization({ ...RFC, username: 'a"b', challenge: rfcChallenge('MD5') });
    expect(header).toContain('username="a\\"b"');
  });

  it('formats nc as 8 hex digits', () => {
    expect(formatNc(1)).toBe('00000001');
    expect(formatNc(255)).toBe('000000ff');
  });
});

describe('parseChallenge', () => {
  it('reads the challenge TiDB Cloud sends (unquoted algorithm, empty domain, stale=false)', () => {
    const challenge = parseChallenge(
      'Digest realm="tidb.cloud", domain="", nonce="abc/def==", algorithm=MD5, qop="auth", stale=false',
    );
    expect(challenge).toEqual({
      realm: 'tidb.cloud',
      nonce: 'abc/def==',
      qop: ['auth'],
      algorithm: 'MD5',
      stale: false,
    });
  });

  it('keeps commas and escaped quotes inside quoted values', () => {
    const challenge = parseChallenge(
      'Digest realm="a, \\"b\\", c", nonce="n,1", qop="auth,auth-int", opaque="o"',
    );
    expect(challenge?.realm).toBe('a, "b", c');
    expect(challenge?.nonce).toBe('n,1');
    expect(challenge?.qop).toEqual(['auth', 'auth-int']);
    expect(challenge?.opaque).toBe('o');
  });

  it('defaults the algorithm to MD5 and reads stale=TRUE case-insensitively', () => {
    const challenge = parseChallenge('Digest realm="r", nonce="n", qop="auth", stale=TRUE');
    expect(challenge?.algorithm).toBe('MD5');
    expect(challenge?.stale).toBe(true);
  });

  it('prefers SHA-256 when several challenges arrive joined in one header', () => {
    const header =
      'Basic realm="x", Digest realm="r", nonce="n1", algorithm=MD5, qop="auth", Digest realm="r", nonce="n2", algorithm=SHA-256, qop="auth"';
    expect(parseChallenges(header).map((item) => item.scheme)).toEqual(['Basic', 'Digest', 'Digest']);
    expect(parseChallenge(header)).toMatchObject({ nonce: 'n2', algorithm: 'SHA-256' });
  });

  it('ignores non-digest and unsupported challenges', () => {
    expect(parseChallenge('Basic realm="x"')).toBeUndefined();
    expect(parseChallenge('Digest realm="r", nonce="n", algorithm=SHA-512-256')).toBeUndefined();
    expect(parseChallenge(null)).toBeUndefined();
    expect(parseChallenge('Digest realm="r"')).toBeUndefined();
  });
});
