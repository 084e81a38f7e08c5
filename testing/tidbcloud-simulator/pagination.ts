/**
 * v1beta1 list semantics: `pageSize` (default 10, above 100 means 100), `pageToken` (opaque; the other
 * parameters must match the request that produced it), `skip`, `totalSize`, and an empty `nextPageToken`
 * on the last page.
 */

import type { ListingOrder } from '../listing-order.ts';

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

/** Where a token resumes: the offset, and the listing whose order the pages share (when shuffled). */
interface Resume {
  offset: number;
  listing?: number;
}

function decodeToken(token: string, expected: string): Resume {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof decoded === 'object' && decoded !== null && 'o' in decoded && 'f' in decoded) {
      if (decoded.f !== expected) throw new PageError('pageToken does not match the other parameters');
      const listing = 'k' in decoded && typeof decoded.k === 'number' ? decoded.k : undefined;
      if (typeof decoded.o === 'number') return { offset: decoded.o, listing };
    }
  } catch (error) {
    if (error instanceof PageError) throw error;
  }
  throw new PageError(`invalid pageToken "${token}"`);
}

/** A listing the API keeps in no documented order: shuffled per listing, the same across its pages. */
export interface Shuffle<T> {
  order: ListingOrder;
  idOf: (item: T) => string;
}

/** Throws PageError (→ 400) for malformed paging parameters. */
export function paginate<T>(all: T[], query: URLSearchParams, shuffle?: Shuffle<T>): Page<T> {
  const requested = nonNegativeInt(query, 'pageSize') ?? 0;
  const size = requested === 0 ? DEFAULT_PAGE_SIZE : Math.min(requested, MAX_PAGE_SIZE);
  const bound = fingerprint(query);
  const token = query.get('pageToken');
  const resume = token ? decodeToken(token, bound) : { offset: nonNegativeInt(query, 'skip') ?? 0 };
  const listing = shuffle ? (resume.listing ?? shuffle.order.nextListing()) : undefined;
  const ordered = shuffle ? shuffle.order.arrange(all, shuffle.idOf, listing) : all;
  const start = resume.offset;
  const end = start + size;
  const nextPageToken =
    end < all.length
      ? Buffer.from(JSON.stringify({ o: end, f: bound, ...(listing ? { k: listing } : {}) })).toString(
          'base64url',
        )
      : '';
  return { items: ordered.slice(start, end), totalSize: all.length, nextPageToken };
}
