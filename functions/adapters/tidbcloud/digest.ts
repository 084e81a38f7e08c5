/**
 * HTTP Digest access authentication (RFC 7616), client side: pure functions, no I/O.
 *
 * Why our own module and not `digest-fetch`: digest-fetch 3.x wraps fetch as a whole (its own retry on
 * 401, no way to share a nonce between concurrent requests or to re-answer a `stale=true` challenge), its
 * challenge parser strips every space and quote from values (it breaks realms with spaces and escaped
 * quotes), and it pulls in md5/js-sha256 where node:crypto already has both. What we need is ~100 lines of
 * pure functions that the client composes with its own retry, limiter and AbortSignal handling.
 */
import { createHash, randomBytes } from 'node:crypto';

export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess';

const ALGORITHMS: readonly DigestAlgorithm[] = ['MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess'];

export interface DigestChallenge {
  realm: string;
  nonce: string;
  /** The qop values the server offers; empty for the legacy RFC 2069 form. */
  qop: string[];
  opaque?: string;
  algorithm: DigestAlgorithm;
  /** True when the server refused a nonce only because it expired: answer again, the key is fine. */
  stale: boolean;
}

export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

function skipSpace(header: string, at: number): number {
  let index = at;
  while (index < header.length && /[\s,]/.test(header.charAt(index))) index += 1;
  return index;
}

function readToken(header: string, at: number): { value: string; end: number } {
  let end = at;
  while (end < header.length && /[^\s,=]/.test(header.charAt(end))) end += 1;
  return { value: header.slice(at, end), end };
}

function readQuoted(header: string, at: number): { value: string; end: number } {
  let value = '';
  let index = at + 1;
  while (index < header.length && header.charAt(index) !== '"') {
    // quoted-pair (RFC 7230 §3.2.6): a backslash escapes the next character, quotes and commas included.
    if (header.charAt(index) === '\\') index += 1;
    value += header.charAt(index);
    index += 1;
  }
  return { value, end: index + 1 };
}

function readValue(header: string, at: number): { value: string; end: number } {
  const start = skipSpaceOnly(header, at);
  return header.charAt(start) === '"' ? readQuoted(header, start) : readToken(header, start);
}

function skipSpaceOnly(header: string, at: number): number {
  let index = at;
  while (index < header.length && /\s/.test(header.charAt(index))) index += 1;
  return index;
}

/**
 * Splits a `WWW-Authenticate` value into challenges. fetch joins repeated headers with ", ", so a token
 * that is not followed by `=` starts a new challenge rather than being a parameter.
 * @example parseChallenges('Digest realm="a, b", nonce="n", algorithm=MD5')
 */
export function parseChallenges(header: string): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  let index = skipSpace(header, 0);
  while (index < header.length) {
    const token = readToken(header, index);
    if (token.value === '') {
      index += 1;
      continue;
    }
    const afterToken = skipSpaceOnly(header, token.end);
    const current = challenges.at(-1);
    if (header.charAt(afterToken) === '=' && current) {
      const value = readValue(header, afterToken + 1);
      current.params[token.value.toLowerCase()] = value.value;
      index = skipSpace(header, value.end);
    } else {
      challenges.push({ scheme: token.value, params: {} });
      index = skipSpace(header, token.end);
    }
  }
  return challenges;
}

function toAlgorithm(value: string | undefined): DigestAlgorithm | undefined {
  if (value === undefined) return 'MD5';
  return ALGORITHMS.find((algorithm) => algorithm.toLowerCase() === value.toLowerCase());
}

function toDigestChallenge(challenge: AuthChallenge): DigestChallenge | undefined {
  const { realm, nonce, qop, opaque, algorithm, stale } = challenge.params;
  const parsedAlgorithm = toAlgorithm(algorithm);
  if (challenge.scheme.toLowerCase() !== 'digest' || realm === undefined || !nonce || !parsedAlgorithm) {
    return undefined;
  }
  return {
    realm,
    nonce,
    qop: (qop ?? '')
      .split(',')
      .map((value) => value.trim().toLowerCase())
      .filter((value) => value.length > 0),
    ...(opaque === undefined ? {} : { opaque }),
    algorithm: parsedAlgorithm,
    stale: stale?.toLowerCase() === 'true',
  };
}

/**
 * The Digest challenge to answer, if any: SHA-256 is preferred when a server offers several (RFC 7616 §3.7).
 * @example parseChallenge('Digest realm="tidb.cloud", nonce="abc", algorithm=MD5, qop="auth"')
 */
export function parseChallenge(header: string | null | undefined): DigestChallenge | undefined {
  if (!header) return undefined;
  const digests = parseChallenges(header)
    .map(toDigestChallenge)
    .filter((challenge): challenge is DigestChallenge => challenge !== undefined);
  return digests.find((challenge) => challenge.algorithm.startsWith('SHA-256')) ?? digests[0];
}

export function hashHex(algorithm: DigestAlgorithm, data: string): string {
  return createHash(algorithm.startsWith('SHA-256') ? 'sha256' : 'md5')
    .update(data, 'utf8')
    .digest('hex');
}

export interface DigestInput {
  challenge: DigestChallenge;
  username: string;
  password: string;
  method: string;
  /** The request-target exactly as sent: path plus query string. */
  uri: string;
  /** The nonce count, 1 for the first request with this nonce. */
  nc: number;
  cnonce: string;
}

export function formatNc(nc: number): string {
  return nc.toString(16).padStart(8, '0');
}

/** The `response` value of RFC 7616 §3.4.1 (qop=auth, or the legacy form when the server offers no qop). */
export function computeResponse(input: DigestInput): string {
  const { challenge, username, password, method, uri, cnonce } = input;
  const hash = (data: string): string => hashHex(challenge.algorithm, data);
  let ha1 = hash(`${username}:${challenge.realm}:${password}`);
  if (challenge.algorithm.endsWith('-sess')) ha1 = hash(`${ha1}:${challenge.nonce}:${cnonce}`);
  const ha2 = hash(`${method.toUpperCase()}:${uri}`);
  if (!challenge.qop.includes('auth')) return hash(`${ha1}:${challenge.nonce}:${ha2}`);
  return hash(`${ha1}:${challenge.nonce}:${formatNc(input.nc)}:${cnonce}:auth:${ha2}`);
}

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (char) => `\\${char}`)}"`;
}

/**
 * The `Authorization` header value answering a challenge. Never log it: it proves knowledge of the key.
 * @example buildAuthorization({ challenge, username: pub, password: priv, method: 'GET', uri: '/v1beta1/clusters', nc: 1, cnonce: newCnonce() })
 */
export function buildAuthorization(input: DigestInput): string {
  const { challenge } = input;
  const parts = [
    `username=${quote(input.username)}`,
    `realm=${quote(challenge.realm)}`,
    `uri=${quote(input.uri)}`,
    `algorithm=${challenge.algorithm}`,
    `nonce=${quote(challenge.nonce)}`,
  ];
  if (challenge.qop.includes('auth')) {
    parts.push(`nc=${formatNc(input.nc)}`, `cnonce=${quote(input.cnonce)}`, 'qop=auth');
  }
  parts.push(`response=${quote(computeResponse(input))}`);
  if (challenge.opaque !== undefined) parts.push(`opaque=${quote(challenge.opaque)}`);
  return `Digest ${parts.join(', ')}`;
}

export function newCnonce(): string {
  return randomBytes(16).toString('hex');
}
