import { keptWhileWarm } from './cold-start.ts';

/** A port whose every method returns a promise, so a call can wait for the implementation to load. */
type AsyncPort<T> = { [K in keyof T]: (...args: never[]) => Promise<unknown> };

/**
 * A stand-in for a port whose implementation is loaded (a dynamic `import()`) on its first call, then
 * serves every call. `methods` names each method of the port: the compiler checks the list is complete, since
 * an interface leaves nothing to enumerate at run time. A failed load is tried again on the next call.
 */
export function lazyPort<T extends AsyncPort<T>>(load: () => Promise<T>, methods: Record<keyof T, true>): T {
  const loaded = keptWhileWarm(load);
  const entries = Object.keys(methods).map((name) => {
    const method = async (...args: unknown[]) => {
      const port = await loaded();
      return Reflect.apply(port[name as keyof T], port, args);
    };
    return [name, method];
  });
  return Object.fromEntries(entries) as T;
}
