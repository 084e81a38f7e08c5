/**
 * Property tests of the Digest client (functions/adapters/tidbcloud/digest.ts): any challenge a server can
 * send parses back to what was sent, whatever its realm, nonce and opaque contain (quotes, commas, backslashes,
 * spaces), also next to other challenges in one header; and any answer the client builds is accepted by the
 * simulator's own, separately written verifier (testing/tidbcloud-simulator/auth.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildAuthorization,
  type DigestAlgorithm,
  type DigestChallenge,
  parseChallenge,
} from '../../../../functions/adapters/tidbcloud/digest.ts';
import { DigestAuthority } from '../../../../testing/tidbcloud-simulator/auth.ts';

/** RFC 7230 quoted-string: a backslash escapes `"` and `\`. */
const quoted = (value: string) => `"${value.replace(/[\\"]/g, (char) => `\\${char}`)}"`;

/** A server's rendering of a challenge; parameter order and quoting of tokens vary between servers. */
function render(challenge: DigestChallenge, style: { quoteAlgorithm: boolean; reverse: boolean }): string {
  const params = [
    `realm=${quoted(challenge.realm)}`,
    `nonce=${quoted(challenge.nonce)}`,
    `algorithm=${style.quoteAlgorithm ? quoted(challenge.algorithm) : challenge.algorithm}`,
    ...(challenge.qop.length > 0 ? [`qop=${quoted(challenge.qop.join(','))}`] : []),
    ...(challenge.opaque === undefined ? [] : [`opaque=${quoted(challenge.opaque)}`]),
    `stale=${challenge.stale ? 'true' : 'false'}`,
  ];
  return `Digest ${(style.reverse ? params.reverse() : params).join(', ')}`;
}

const challengeArb: fc.Arbitrary<DigestChallenge> = fc
  .record({
    realm: fc.string({ maxLength: 20 }),
    nonce: fc.string({ minLength: 1, maxLength: 32 }),
    qop: fc.constantFrom<string[]>([], ['auth'], ['auth', 'auth-int']),
    opaque: fc.option(fc.string({ maxLength: 16 }), { nil: undefined }),
    algorithm: fc.constantFrom<DigestAlgorithm>('MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess'),
    stale: fc.boolean(),
  })
  .map(({ opaque, ...challenge }) => (opaque === undefined ? challenge : { ...challenge, opaque }));

describe('parseChallenge(render(challenge))', () => {
  it('gives back the challenge, however the server quotes and orders it', () => {
    fc.assert(
      fc.property(challengeArb, fc.boolean(), fc.boolean(), (challenge, quoteAlgorithm, reverse) => {
        expect(parseChallenge(render(challenge, { quoteAlgorithm, reverse }))).toEqual(challenge);
      }),
      { numRuns: 500 },
    );
  });

  it('finds it next to a Basic challenge in one joined header', () => {
    fc.assert(
      fc.property(challengeArb, fc.string({ maxLength: 12 }), (challenge, basicRealm) => {
        const header = `Basic realm=${quoted(basicRealm)}, ${render(challenge, { quoteAlgorithm: false, reverse: false })}`;
        expect(parseChallenge(header)).toEqual(challenge);
      }),
      { numRuns: 300 },
    );
  });
});

describe('the answer round trip', () => {
  // The simulator writes its realm and opaque into the header unescaped, as the real API's plain values are.
  const plain = fc.stringMatching(/^[A-Za-z0-9 ._@-]{1,16}$/);

  it('every Authorization the client builds is accepted by the simulator’s verifier', () => {
    fc.assert(
      fc.property(
        fc.record({
          realm: plain,
          opaque: fc.option(plain, { nil: undefined }),
          algorithm: fc.constantFrom<'MD5' | 'SHA-256'>('MD5', 'SHA-256'),
          username: fc.string({ minLength: 1, maxLength: 24 }),
          password: fc.string({ maxLength: 40 }),
          method: fc.constantFrom('GET', 'POST', 'DELETE', 'PATCH'),
          uri: fc.webPath().map((path) => `/v1beta1${path}`),
          query: fc.option(fc.webQueryParameters(), { nil: undefined }),
          nc: fc.integer({ min: 1, max: 0xffff }),
          cnonce: fc.stringMatching(/^[0-9a-f]{8,32}$/),
        }),
        (input) => {
          const authority = new DigestAuthority({
            realm: input.realm,
            algorithm: input.algorithm,
            ...(input.opaque === undefined ? {} : { opaque: input.opaque }),
            nonceTtlMs: 60_000,
            now: () => 0,
            keys: new Map([[input.username, input.password]]),
          });
          const challenge = parseChallenge(authority.challenge(false));
          expect(challenge).toBeDefined();
          if (!challenge) return;
          const uri = input.query === undefined ? input.uri : `${input.uri}?${input.query}`;
          const header = buildAuthorization({ ...input, challenge, uri });
          expect(authority.verify(header, input.method, uri)).toEqual({
            ok: true,
            publicKey: input.username,
          });
          // And it proves the key: the same answer with another password is refused.
          const forged = buildAuthorization({ ...input, challenge, uri, password: `${input.password}x` });
          expect(authority.verify(forged, input.method, uri)).toMatchObject({ ok: false });
        },
      ),
      { numRuns: 300 },
    );
  });
});
