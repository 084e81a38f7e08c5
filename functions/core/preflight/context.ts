import type { KeyPair, PreflightPorts, PreflightSettings } from './ports.ts';

/**
 * What the checks share: the ports, the settings, and each remote read made once however many checks need
 * it (the VPC for three checks, the key pair for two).
 */
export class PreflightContext {
  readonly #memo = new Map<string, Promise<unknown>>();

  constructor(
    readonly ports: PreflightPorts,
    readonly settings: PreflightSettings,
    readonly signal: AbortSignal,
    /**
     * For reads a check can do without (Service Quotas: the default quota stands in): it fires a margin before
     * `signal`, so the check still reports, with that part assumed, before the deadline.
     */
    readonly optionalSignal: AbortSignal = signal,
  ) {}

  once<T>(key: string, read: () => Promise<T>): Promise<T> {
    let value = this.#memo.get(key) as Promise<T> | undefined;
    if (!value) {
      value = read();
      this.#memo.set(key, value);
    }
    return value;
  }

  /** The key pair: from the secret when one is configured, else from the environment. */
  keyPair(): Promise<KeyPair | undefined> {
    const { apiKeySecretArn, envKeys } = this.settings;
    if (!apiKeySecretArn) return Promise.resolve(envKeys);
    return this.once('secret', async () =>
      parseKeyPair(await this.ports.secrets.secretString(apiKeySecretArn, { signal: this.signal })),
    );
  }
}

/** `{"publicKey","privateKey"}` with both non-empty strings, else undefined; never echoes the content. */
export function parseKeyPair(text: string): KeyPair | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { publicKey, privateKey } = value as Record<string, unknown>;
  if (typeof publicKey !== 'string' || typeof privateKey !== 'string' || !publicKey || !privateKey) {
    return undefined;
  }
  return { publicKey, privateKey };
}
