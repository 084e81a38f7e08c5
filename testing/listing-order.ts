/**
 * The order in which the fakes list things AWS and TiDB Cloud list in no documented order (subnets,
 * endpoints, route tables, zones, TiDB connections): seeded random, so no code under test can depend on an
 * order the real APIs never promised. One listing keeps one order across all its pages; the next listing,
 * or another seed, shuffles anew. Reproducible: the same seed gives the same sequence of orders.
 */
import { createHash } from 'node:crypto';

/** The seed the fakes use unless told otherwise. */
export const DEFAULT_LISTING_SEED = 0x5eed;

/** Listings whose ranks are kept: a paginated listing asks for its order once per page. */
const REMEMBERED_LISTINGS = 8;

export class ListingOrder {
  #listings = 0;
  /** Each recent listing's ranks by item id, so its later pages hash nothing again. */
  readonly #ranks = new Map<number, Map<string, string>>();

  constructor(private readonly seed: number = DEFAULT_LISTING_SEED) {}

  /** A key for a new listing; pass it back (e.g. in a page token) to continue the same order. */
  nextListing(): number {
    this.#listings += 1;
    return this.#listings;
  }

  /** The items in listing `key`'s order: fixed by seed, key and each item's id, whatever the input order. */
  arrange<T>(items: readonly T[], idOf: (item: T) => string, key: number = this.nextListing()): T[] {
    const ranks = this.#ranksOf(key);
    const rank = (item: T) => {
      const id = idOf(item);
      let ranked = ranks.get(id);
      if (ranked === undefined) {
        ranked = createHash('sha1').update(`${this.seed}/${key}/${id}`).digest('hex');
        ranks.set(id, ranked);
      }
      return ranked;
    };
    return items
      .map((item) => ({ item, rank: rank(item) }))
      .sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0))
      .map(({ item }) => item);
  }

  #ranksOf(key: number): Map<string, string> {
    let ranks = this.#ranks.get(key);
    if (!ranks) {
      ranks = new Map();
      this.#ranks.set(key, ranks);
      // Forget the oldest listing (a Map iterates in insertion order).
      if (this.#ranks.size > REMEMBERED_LISTINGS) this.#ranks.delete(this.#ranks.keys().next().value ?? key);
    }
    return ranks;
  }
}
