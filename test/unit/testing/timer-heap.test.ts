/**
 * The discrete clock's sleepers (testing/timer-heap.ts) come out as a stable sort by wake-up time would give
 * them, the cancelled ones left out.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../testing/tidbcloud-simulator/faults.ts';
import { type Timer, TimerHeap } from '../../../testing/timer-heap.ts';

const timer = (at: number, seq: number): Timer => ({ at, seq, wake: () => undefined });
const earliest = (timers: Timer[]) =>
  timers.filter((t) => !t.cancelled).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];

describe('TimerHeap', () => {
  it('pops what a stable sort of the live sleepers puts first, pushes, pops and cancels interleaved', () => {
    const random = seededRandom(3);
    const heap = new TimerHeap();
    let asleep: Timer[] = [];
    const pop = () => {
      const expected = earliest(asleep);
      expect(heap.pop()).toBe(expected);
      asleep = asleep.filter((t) => t !== expected);
      return expected;
    };
    for (let seq = 0; seq < 500; seq++) {
      const t = timer(Math.floor(random() * 50), seq);
      heap.push(t);
      asleep.push(t);
      if (random() < 0.2) (asleep[Math.floor(random() * asleep.length)] as Timer).cancelled = true;
      if (random() < 0.4) pop();
    }
    while (pop());
    expect(asleep.every((t) => t.cancelled)).toBe(true);
  });

  it('empties to undefined, a cancelled sleeper never coming out', () => {
    const heap = new TimerHeap();
    const timers = [timer(5, 0), timer(1, 1), timer(5, 2), timer(1, 3)];
    for (const t of timers) heap.push(t);
    (timers[1] as Timer).cancelled = true;
    const out: number[] = [];
    for (let next = heap.pop(); next; next = heap.pop()) out.push(next.seq);
    expect(out).toEqual([3, 0, 2]);
    expect(heap.pop()).toBeUndefined();
  });
});
