import { describe, expect, it } from 'vitest';
import { lazyPort } from '../../../functions/app/lazy-port.ts';

interface Greeter {
  greet(name: string): Promise<string>;
  count(): Promise<number>;
}

/** A class with private state, so a call that lost its `this` would fail. */
class RealGreeter implements Greeter {
  #greeted = 0;
  async greet(name: string): Promise<string> {
    this.#greeted += 1;
    return `hello ${name}`;
  }
  async count(): Promise<number> {
    return this.#greeted;
  }
}

const METHODS = { greet: true, count: true } as const;

describe('lazyPort', () => {
  it('loads nothing until the first call, then loads once and calls the real methods on the real object', async () => {
    let loads = 0;
    const port = lazyPort<Greeter>(async () => {
      loads += 1;
      return new RealGreeter();
    }, METHODS);
    expect(loads).toBe(0);
    expect(await Promise.all([port.greet('a'), port.greet('b')])).toEqual(['hello a', 'hello b']);
    expect(await port.count()).toBe(2);
    expect(loads).toBe(1);
  });

  it('a failed load fails the call and is tried again on the next one', async () => {
    let loads = 0;
    const port = lazyPort<Greeter>(async () => {
      loads += 1;
      if (loads === 1) throw new Error('chunk not readable');
      return new RealGreeter();
    }, METHODS);
    await expect(port.greet('a')).rejects.toThrow('chunk not readable');
    expect(await port.greet('a')).toBe('hello a');
    expect(loads).toBe(2);
  });
});
