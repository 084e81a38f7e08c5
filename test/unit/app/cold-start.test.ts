import { describe, expect, it } from 'vitest';
import { keptWhileWarm } from '../../../functions/app/cold-start.ts';

describe('keptWhileWarm: dependencies built once per execution environment', () => {
  it('builds at the first call and serves the same value to every later one, also to calls in flight', async () => {
    let builds = 0;
    const deps = keptWhileWarm(async () => ({ build: ++builds }));
    const [first, second] = await Promise.all([deps(), deps()]);
    expect(await deps()).toBe(first);
    expect(second).toBe(first);
    expect(builds).toBe(1);
  });

  it('forgets a failed build, so the next invocation tries again instead of failing for the life of the environment', async () => {
    let builds = 0;
    const deps = keptWhileWarm(async () => {
      builds += 1;
      if (builds === 1) throw new Error('ThrottlingException: Rate exceeded');
      return { build: builds };
    });
    await expect(deps()).rejects.toThrow('Rate exceeded');
    expect(await deps()).toEqual({ build: 2 });
    expect(await deps()).toEqual({ build: 2 });
    expect(builds).toBe(2);
  });
});
