/**
 * The fakes' listing order (testing/listing-order.ts): seeded, the same for every page of one listing, new
 * for the next, whatever order the items come in, and the same whether a listing's ranks are remembered or
 * computed again after it was forgotten.
 */
import { describe, expect, it } from 'vitest';
import { ListingOrder } from '../../../testing/listing-order.ts';

const ids = Array.from({ length: 50 }, (_, i) => `item-${i}`);
const same = (id: string) => id;

describe('ListingOrder', () => {
  it('keeps one order across the pages of a listing, whatever the input order', () => {
    const order = new ListingOrder(7);
    const key = order.nextListing();
    const first = order.arrange(ids, same, key);
    expect(order.arrange([...ids].reverse(), same, key)).toEqual(first);
    expect([...first].sort()).toEqual([...ids].sort());
  });

  it('shuffles each new listing anew', () => {
    const order = new ListingOrder(7);
    expect(order.arrange(ids, same)).not.toEqual(order.arrange(ids, same));
  });

  it('gives a listing the same order after its remembered ranks were dropped', () => {
    const order = new ListingOrder(7);
    const key = order.nextListing();
    const before = order.arrange(ids, same, key);
    // Many later listings push the first one's ranks out of the memory.
    for (let i = 0; i < 20; i++) order.arrange(ids.slice(0, 3), same);
    expect(order.arrange(ids, same, key)).toEqual(before);
    expect(new ListingOrder(7).arrange(ids, same, key)).toEqual(before);
  });

  it('orders by seed: another seed, another order', () => {
    expect(new ListingOrder(1).arrange(ids, same, 1)).not.toEqual(new ListingOrder(2).arrange(ids, same, 1));
  });
});
