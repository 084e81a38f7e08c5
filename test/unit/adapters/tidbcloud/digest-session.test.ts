import { describe, expect, it } from 'vitest';
import { parseChallenge } from '../../../../functions/adapters/tidbcloud/digest.ts';
import { DigestSession } from '../../../../functions/adapters/tidbcloud/digest-session.ts';

const challenge = parseChallenge('Digest realm="tidb.cloud", nonce="n1", algorithm=MD5, qop="auth"');
if (!challenge) throw new Error('the test challenge does not parse');

/** Whether `promise` has settled after the microtasks queued so far have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('DigestSession', () => {
  it('lets one request fetch the first challenge while the others wait for it, then answer it', async () => {
    const session = new DigestSession({ publicKey: 'PUB', privateKey: 'PRIV' });
    const release = await session.turn();
    expect(session.authorization('GET', '/v1beta1/clusters')).toBeUndefined();
    const waiting = session.turn();
    expect(await settled(waiting)).toBe(false);
    session.learn(challenge);
    expect(await settled(waiting)).toBe(true);
    release();
    expect(session.authorization('GET', '/v1beta1/clusters')).toMatch(/nonce="n1", .*nc=00000001/);
    expect(session.authorization('GET', '/v1beta1/clusters')).toMatch(/nc=00000002/);
  });

  it('does not wait once a nonce is known', async () => {
    const session = new DigestSession({ publicKey: 'PUB', privateKey: 'PRIV' });
    session.learn(challenge);
    expect(await settled(session.turn())).toBe(true);
    expect(await settled(session.turn())).toBe(true);
  });

  it('lets the waiting requests go when the first one ends without a challenge (a network error)', async () => {
    const session = new DigestSession({ publicKey: 'PUB', privateKey: 'PRIV' });
    const release = await session.turn();
    const waiting = session.turn();
    release();
    expect(await settled(waiting)).toBe(true);
    // No queue of its own for the next one either: it fetches a challenge again.
    const next = await session.turn();
    expect(await settled(session.turn())).toBe(false);
    next();
  });

  it('stops waiting with the signal’s reason when the caller gives up', async () => {
    const session = new DigestSession({ publicKey: 'PUB', privateKey: 'PRIV' });
    await session.turn();
    const controller = new AbortController();
    const waiting = session.turn(controller.signal);
    controller.abort(new Error('deadline'));
    await expect(waiting).rejects.toThrow('deadline');
  });
});
