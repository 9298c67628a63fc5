/**
 * Injected time for admission tests: `now()` and `timers` as the budget takes them, advanced by hand.
 * Timers due at or before the new time fire in order, each seeing its own due time as `now()`.
 */
import type { Timers } from '../../../src/admit/budget.js';

export interface ManualClock {
  now(): number;
  timers: Timers;
  /** Moves time forward by `ms`, firing timers as it passes them. */
  advance(ms: number): void;
  pending(): number;
}

export function createManualClock(start = 1_000_000): ManualClock {
  let time = start;
  let seq = 0;
  const due = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => time,
    timers: {
      set(fn, ms) {
        const id = seq++;
        due.set(id, { at: time + ms, fn });
        return id;
      },
      clear(handle) {
        due.delete(handle as number);
      },
    },
    advance(ms) {
      const end = time + ms;
      for (;;) {
        let next: [number, { at: number; fn: () => void }] | undefined;
        for (const entry of due) if (entry[1].at <= end && (next === undefined || entry[1].at < next[1].at)) next = entry;
        if (next === undefined) break;
        due.delete(next[0]);
        time = Math.max(time, next[1].at);
        next[1].fn();
      }
      time = end;
    },
    pending: () => due.size,
  };
}

/** Lets promise callbacks run (a settled admit's continuation). */
export const flush = () => new Promise<void>((resolve) => setImmediate(resolve));
