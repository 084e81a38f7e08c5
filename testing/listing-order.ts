/**
 * The order in which the fakes list things AWS and TiDB Cloud list in no documented order (subnets,
 * endpoints, route tables, zones, TiDB connections): seeded random, so no code under test can depend on an
 * order the real APIs never promised. One listing keeps one order across all its pages; the next listing,
 * or another seed, shuffles anew. Reproducible: the same seed gives the same sequence of orders.
 */
import { createHash } from 'node:crypto';

/** The seed the fakes use unless told otherwise. */
export const DEFAULT_LISTING_SEED = 0x5eed;

export class ListingOrder {
  #listings = 0;

  constructor(private readonly seed: number = DEFAULT_LISTING_SEED) {}

  /** A key for a new listing; pass it back (e.g. in a page token) to continue the same order. */
  nextListing(): number {
    this.#listings += 1;
    return this.#listings;
  }

  /** The items in listing `key`'s order: fixed by seed, key and each item's id, whatever the input order. */
  arrange<T>(items: readonly T[], idOf: (item: T) => string, key: number = this.nextListing()): T[] {
    const rank = (item: T) =>
      createHash('sha1')
        .update(`${this.seed}/${key}/${idOf(item)}`)
        .digest('hex');
    return items
      .map((item) => ({ item, rank: rank(item) }))
      .sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0))
      .map(({ item }) => item);
  }
}
