/**
 * DNS through node:dns's c-ares Resolver, never `dns.lookup`: only a Resolver honours an injected server
 * (`setServers`), and `lookup` would consult /etc/hosts and the system cache instead of the resolver under test.
 */
import { Resolver } from 'node:dns/promises';
import type { DnsOutcome, DnsStatus } from '../../core/diagnose/ports.ts';
import { UsageError } from '../../core/errors.ts';

export interface ResolveOptions {
  /** `ip`, `ip:port` or `[ipv6]:port`; the system's resolvers when absent. */
  server?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

const STATUS_BY_CODE: Record<string, DnsStatus> = {
  ENOTFOUND: 'nxdomain',
  ENODATA: 'nodata',
  ETIMEOUT: 'timeout',
  ECANCELLED: 'timeout',
  ESERVFAIL: 'servfail',
  EREFUSED: 'refused',
};

function codeOf(reason: unknown): string {
  const code = reason instanceof Error && 'code' in reason ? reason.code : undefined;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

function makeResolver(server: string | undefined, timeoutMs: number): Resolver {
  // One try: the caller's budget is the whole budget, c-ares retries would overrun it.
  const resolver = new Resolver({ timeout: Math.max(1, Math.floor(timeoutMs)), tries: 1 });
  if (server === undefined) return resolver;
  try {
    resolver.setServers([server]);
  } catch {
    // setServers rejects anything that is not an address; the message says what is accepted.
    throw new UsageError(`--dns-server ${server} is not an address (use ip, ip:port or [ipv6]:port).`);
  }
  return resolver;
}

/** A and AAAA for `host`; a failure of either is only reported when neither answered. */
export async function resolveHost(host: string, options: ResolveOptions): Promise<DnsOutcome> {
  const resolver = makeResolver(options.server, options.timeoutMs);
  const cancel = () => resolver.cancel();
  const timer = setTimeout(cancel, options.timeoutMs);
  options.signal?.addEventListener('abort', cancel, { once: true });
  const started = performance.now();
  try {
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
    const durationMs = Math.round(performance.now() - started);
    const server = options.server ?? 'system';
    const addresses = [v4, v6].flatMap((result) => (result.status === 'fulfilled' ? result.value : []));
    if (addresses.length > 0) return { server, status: 'answered', addresses, durationMs };
    // A's failure tells most, unless it only says "no A record": then AAAA's says more.
    const codes = [v4, v6].map((result) =>
      result.status === 'rejected' ? codeOf(result.reason) : 'ENODATA',
    );
    const code = codes[0] === 'ENODATA' ? (codes[1] ?? 'ENODATA') : (codes[0] ?? 'UNKNOWN');
    return { server, status: STATUS_BY_CODE[code] ?? 'error', addresses: [], code, durationMs };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', cancel);
  }
}
