/**
 * The discrete clock's sleepers (testing/stack-sim.ts), earliest first: a binary heap on (wake-up time,
 * sequence), so a week with a thousand clusters asleep pops the next one in log time rather than sorting
 * them all at every step. Ties wake in the order they went to sleep, as a stable sort would. A sleeper
 * cancelled by its abort signal stays in the heap, flagged, and is skipped when it comes out.
 */
export interface Timer {
  at: number;
  seq: number;
  wake: () => void;
  cancelled?: boolean;
}

const before = (a: Timer, b: Timer) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

export class TimerHeap {
  readonly #items: Timer[] = [];

  push(timer: Timer): void {
    const items = this.#items;
    items.push(timer);
    for (let i = items.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!before(items[i] as Timer, items[parent] as Timer)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  /** The earliest sleeper not cancelled, taken out; undefined when none is left. */
  pop(): Timer | undefined {
    for (;;) {
      const top = this.#take();
      if (!top?.cancelled) return top;
    }
  }

  #take(): Timer | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    items[0] = last;
    for (let i = 0; ; ) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < items.length && before(items[left] as Timer, items[least] as Timer)) least = left;
      if (right < items.length && before(items[right] as Timer, items[least] as Timer)) least = right;
      if (least === i) return top;
      this.#swap(i, least);
      i = least;
    }
  }

  #swap(i: number, j: number): void {
    const items = this.#items;
    [items[i], items[j]] = [items[j] as Timer, items[i] as Timer];
  }
}
