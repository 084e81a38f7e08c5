import { describe, expect, it } from 'vitest';
import {
  abortableSleep,
  backoffDelayMs,
  DEFAULT_BACKOFF,
  rateLimitDelayMs,
} from '../../../../functions/adapters/tidbcloud/retry.ts';

describe('backoffDelayMs (full jitter)', () => {
  it('stays within [0, min(cap, base·2^attempt))', () => {
    const options = { baseMs: 100, capMs: 1_000 };
    expect(backoffDelayMs(0, options, () => 0)).toBe(0);
    expect(backoffDelayMs(0, options, () => 0.999)).toBe(99);
    expect(backoffDelayMs(3, options, () => 0.5)).toBe(400);
    expect(backoffDelayMs(10, options, () => 0.999)).toBe(999);
  });

  it('grows exponentially until the cap, for every random draw', () => {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      for (const draw of [0, 0.25, 0.5, 0.999999]) {
        const delay = backoffDelayMs(attempt, DEFAULT_BACKOFF, () => draw);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(Math.min(DEFAULT_BACKOFF.capMs, DEFAULT_BACKOFF.baseMs * 2 ** attempt));
      }
    }
  });
});

describe('rateLimitDelayMs', () => {
  it('reads X-Ratelimit-Reset as seconds to wait', () => {
    expect(rateLimitDelayMs('23', 0, 1_000)).toBe(23_000);
    expect(rateLimitDelayMs(' 1 ', 0, 1_000)).toBe(1_000);
    expect(rateLimitDelayMs('0', 0, 1_000)).toBe(0);
  });

  it('reads a Unix time as a moment, and caps at a minute', () => {
    expect(rateLimitDelayMs('1767225610', 1_767_225_600_000, 1_000)).toBe(10_000);
    expect(rateLimitDelayMs('3600', 0, 1_000)).toBe(61_000);
  });

  it('falls back when the header is missing or garbage', () => {
    expect(rateLimitDelayMs(null, 0, 1_234)).toBe(1_234);
    expect(rateLimitDelayMs('soon', 0, 1_234)).toBe(1_234);
    expect(rateLimitDelayMs('-5', 0, 1_234)).toBe(1_234);
  });
});

describe('abortableSleep', () => {
  it('rejects with the reason as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const sleeping = abortableSleep(10_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(sleeping).rejects.toThrow('stop');
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
