/** Thrown by `crashAfter`: the process "died" right after a side effect, before it could record it. */
export class SimulatedCrash extends Error {
  constructor(method: string) {
    super(`simulated crash after ${method}`);
    this.name = 'SimulatedCrash';
  }
}

/**
 * Wraps a port so that the first call of `method` does its work and then throws, as if the process died
 * between the side effect and whatever came next. With `dies`, every later call throws too (a dead process
 * does nothing more: the run ends without the step's sequel and the next run must resume it); without, later
 * calls pass through (the next invocation is a new process that reuses the wrapper).
 */
export function crashAfter<T extends object>(
  target: T,
  method: keyof T & string,
  { dies = false }: { dies?: boolean } = {},
): T {
  let crashed = false;
  return new Proxy(target, {
    get(object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver);
      if (typeof value !== 'function') return value;
      if (crashed && dies) {
        return async () => {
          throw new SimulatedCrash(method);
        };
      }
      if (property !== method || crashed) return value.bind(object);
      return async (...args: unknown[]) => {
        await value.apply(object, args);
        crashed = true;
        throw new SimulatedCrash(method);
      };
    },
  });
}
