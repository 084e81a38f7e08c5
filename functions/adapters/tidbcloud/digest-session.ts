/**
 * The digest state of one API key: the server's current challenge and its nonce count. It lives as long as
 * the client (one per cold start), so a warm Lambda answers with the nonce it already has instead of paying
 * an unauthenticated request (a 401 that the quota counts) on every invocation; an expired nonce is answered
 * `stale=true` and replaced in one round trip.
 */
import { buildAuthorization, type DigestChallenge, newCnonce } from './digest.ts';

export interface DigestCredentials {
  publicKey: string;
  privateKey: string;
}

/** Waits for `promise`, or rejects with the signal's reason when it aborts first. */
function untilSettledOrAborted(promise: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    void promise.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

export class DigestSession {
  private challenge: DigestChallenge | undefined;
  private nonceCount = 0;
  /** Set while the first request without a nonce is out: the others wait for the challenge it brings. */
  private firstRequest: { done: Promise<void>; release: () => void } | undefined;

  constructor(private readonly credentials: DigestCredentials) {}

  /** The nonce our next answer uses, if we have one. */
  get nonce(): string | undefined {
    return this.challenge?.nonce;
  }

  /**
   * Call before sending. Without a nonce, one request goes out unauthenticated to fetch the challenge and
   * requests made meanwhile wait for it (or for its failure), so parallel first calls cost one 401, not one
   * each. Returns a release to call when the request is done.
   */
  async turn(signal?: AbortSignal): Promise<() => void> {
    if (this.challenge) return () => {};
    if (this.firstRequest) {
      await untilSettledOrAborted(this.firstRequest.done, signal);
      // If it brought no challenge (it failed), go on unauthenticated, as before: no second queue.
      return () => {};
    }
    let resolveDone = () => {};
    const done = new Promise<void>((resolve) => {
      resolveDone = resolve;
    });
    const release = () => {
      if (this.firstRequest?.done === done) this.firstRequest = undefined;
      resolveDone();
    };
    this.firstRequest = { done, release };
    return release;
  }

  /** A fresh (or `stale=true`) challenge from the server: answer it from now on. */
  learn(challenge: DigestChallenge): void {
    this.challenge = challenge;
    this.nonceCount = 0;
    this.firstRequest?.release();
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
