/**
 * v1beta1 list semantics: `pageSize` (default 10, above 100 means 100), `pageToken` (opaque; the other
 * parameters must match the request that produced it), `skip`, `totalSize`, and an empty `nextPageToken`
 * on the last page.
 */

export interface Page<T> {
  items: T[];
  totalSize: number;
  nextPageToken: string;
}

export class PageError extends Error {}

const DEFAULT_PAGE_SIZE = 10;
const MAX_PAGE_SIZE = 100;

function nonNegativeInt(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw new PageError(`invalid ${name} "${raw}": must be a non-negative integer`);
  return Number(raw);
}

/** The parameters a token is bound to: everything but the paging ones. */
function fingerprint(query: URLSearchParams): string {
  return [...query.entries()]
    .filter(([name]) => name !== 'pageToken' && name !== 'pageSize')
    .map(([name, value]) => `${name}=${value}`)
    .sort()
    .join('&');
}

function decodeToken(token: string, expected: string): number {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof decoded === 'object' && decoded !== null && 'o' in decoded && 'f' in decoded) {
      if (decoded.f !== expected) throw new PageError('pageToken does not match the other parameters');
      if (typeof decoded.o === 'number') return decoded.o;
    }
  } catch (error) {
    if (error instanceof PageError) throw error;
  }
  throw new PageError(`invalid pageToken "${token}"`);
}

/** Throws PageError (→ 400) for malformed paging parameters. */
export function paginate<T>(all: T[], query: URLSearchParams): Page<T> {
  const requested = nonNegativeInt(query, 'pageSize') ?? 0;
  const size = requested === 0 ? DEFAULT_PAGE_SIZE : Math.min(requested, MAX_PAGE_SIZE);
  const bound = fingerprint(query);
  const token = query.get('pageToken');
  const start = token ? decodeToken(token, bound) : (nonNegativeInt(query, 'skip') ?? 0);
  const end = start + size;
  const nextPageToken =
    end < all.length ? Buffer.from(JSON.stringify({ o: end, f: bound })).toString('base64url') : '';
  return { items: all.slice(start, end), totalSize: all.length, nextPageToken };
}
