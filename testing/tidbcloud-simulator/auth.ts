/**
 * Server side of HTTP Digest (RFC 7616) for the simulator. Deliberately written apart from the client's
 * `digest.ts`: if both sides shared one hash routine, a bug in it would pass every integration test.
 */
import { createHash, randomBytes } from 'node:crypto';

export type SimDigestAlgorithm = 'MD5' | 'SHA-256';

export interface DigestAuthorityOptions {
  realm: string;
  algorithm: SimDigestAlgorithm;
  /** Sent in every challenge and required back unchanged when set. */
  opaque?: string;
  /** A nonce older than this is refused with `stale=true`. */
  nonceTtlMs: number;
  now: () => number;
  /** public key → private key */
  keys: Map<string, string>;
}

export type Verdict =
  | { ok: true; publicKey: string }
  | { ok: false; stale: boolean; reason: string; publicKey?: string };

interface NonceRecord {
  issuedAt: number;
  expired: boolean;
  seen: Set<string>;
}

function parseAuthorization(header: string): Record<string, string> | undefined {
  const match = /^\s*Digest\s+(.*)$/is.exec(header);
  if (!match?.[1]) return undefined;
  const params: Record<string, string> = {};
  const pattern = /([a-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/gi;
  for (const part of match[1].matchAll(pattern)) {
    const key = part[1]?.toLowerCase();
    if (key) params[key] = part[2] !== undefined ? part[2].replace(/\\(.)/g, '$1') : (part[3] ?? '');
  }
  return params;
}

export class DigestAuthority {
  private readonly nonces = new Map<string, NonceRecord>();

  constructor(private readonly options: DigestAuthorityOptions) {}

  /** The `WWW-Authenticate` value, with a fresh nonce (the shape seen from the real API, plus opaque). */
  challenge(stale: boolean): string {
    const nonce = randomBytes(24).toString('base64');
    this.nonces.set(nonce, { issuedAt: this.options.now(), expired: false, seen: new Set() });
    const opaque = this.options.opaque === undefined ? '' : `, opaque="${this.options.opaque}"`;
    return (
      `Digest realm="${this.options.realm}", domain="", nonce="${nonce}", ` +
      `algorithm=${this.options.algorithm}, qop="auth"${opaque}, stale=${stale}`
    );
  }

  /** Every nonce issued so far is refused as stale from now on. */
  expireAll(): void {
    for (const record of this.nonces.values()) record.expired = true;
  }

  verify(header: string | undefined, method: string, uri: string): Verdict {
    if (!header) return { ok: false, stale: false, reason: 'no Authorization header' };
    const params = parseAuthorization(header);
    if (!params) return { ok: false, stale: false, reason: 'not a Digest Authorization header' };
    const username = params.username ?? '';
    const password = this.options.keys.get(username);
    if (password === undefined) return { ok: false, stale: false, reason: 'unknown public key' };
    const problem = this.checkParams(params, uri);
    if (problem) return { ok: false, stale: false, reason: problem, publicKey: username };
    if (params.response !== this.expected(params, password, method)) {
      return { ok: false, stale: false, reason: 'wrong digest response', publicKey: username };
    }
    return this.checkNonce(params, username);
  }

  private checkParams(params: Record<string, string>, uri: string): string | undefined {
    if (params.realm !== this.options.realm) return 'wrong realm';
    if (params.uri !== uri) return `uri "${params.uri}" is not the request-target "${uri}"`;
    if ((params.algorithm ?? 'MD5').toUpperCase() !== this.options.algorithm) return 'wrong algorithm';
    if (params.qop !== 'auth' || !params.nc || !params.cnonce) return 'qop=auth with nc and cnonce required';
    if (this.options.opaque !== undefined && params.opaque !== this.options.opaque) return 'wrong opaque';
    if (!params.nonce || !this.nonces.has(params.nonce)) return 'unknown nonce';
    return undefined;
  }

  private checkNonce(params: Record<string, string>, username: string): Verdict {
    const nonce = params.nonce ?? '';
    const record = this.nonces.get(nonce);
    if (!record) return { ok: false, stale: false, reason: 'unknown nonce', publicKey: username };
    if (record.expired || this.options.now() - record.issuedAt > this.options.nonceTtlMs) {
      // The answer was right, only the nonce is old: RFC 7616 §3.3 says stale=true.
      return { ok: false, stale: true, reason: 'nonce expired', publicKey: username };
    }
    const use = `${params.nc}/${params.cnonce}`;
    if (record.seen.has(use)) return { ok: false, stale: false, reason: 'replayed nc', publicKey: username };
    record.seen.add(use);
    return { ok: true, publicKey: username };
  }

  private expected(params: Record<string, string>, password: string, method: string): string {
    const algorithm = this.options.algorithm === 'SHA-256' ? 'sha256' : 'md5';
    const h = (data: string): string => createHash(algorithm).update(data).digest('hex');
    const ha1 = h(`${params.username}:${this.options.realm}:${password}`);
    const ha2 = h(`${method}:${params.uri}`);
    return h(`${ha1}:${params.nonce}:${params.nc}:${params.cnonce}:${params.qop}:${ha2}`);
  }
}
