/**
 * The digest state of one API key: the server's current challenge and its nonce count. It lives as long as
 * the client (one per cold start), so a warm Lambda answers with the nonce it already has; an expired nonce
 * is answered `stale=true` and replaced in one round trip.
 */
import { buildAuthorization, type DigestChallenge, newCnonce } from './digest.ts';

export interface DigestCredentials {
  publicKey: string;
  privateKey: string;
}

export class DigestSession {
  private challenge: DigestChallenge | undefined;
  private nonceCount = 0;

  constructor(private readonly credentials: DigestCredentials) {}

  /** The nonce our next answer uses, if we have one. */
  get nonce(): string | undefined {
    return this.challenge?.nonce;
  }

  /** A fresh (or `stale=true`) challenge from the server: answer it from now on. */
  learn(challenge: DigestChallenge): void {
    this.challenge = challenge;
    this.nonceCount = 0;
  }

  /** The `Authorization` value for this request, or none before the first challenge. Never log it. */
  authorization(method: string, uri: string): string | undefined {
    if (!this.challenge) return undefined;
    this.nonceCount += 1;
    return buildAuthorization({
      challenge: this.challenge,
      username: this.credentials.publicKey,
      password: this.credentials.privateKey,
      method,
      uri,
      nc: this.nonceCount,
      cnonce: newCnonce(),
    });
  }
}
