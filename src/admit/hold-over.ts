/**
 * Memory the apiserver still holds after a response has ended. kube-apiserver is a Go program: what it
 * built for a LIST becomes garbage when the response is written, and stays in its heap until the next
 * garbage collection, which comes when the heap has grown by GOGC (100 %) over what was live after the
 * last one (CALIBRATION.md: "Two LISTs in a row cost more than one LIST's peak when the second starts
 * before the first's garbage is collected"). So a lease does not give all its bytes back when its response
 * ends: they are held over, decaying linearly to nothing over `holdMs`, and the budget counts them until
 * then. Pure: time is passed in.
 */

export interface HoldOver {
  /** A lease of `bytes` in `level` ended at `at`. */
  add(level: string, bytes: number, at: number): void;
  /** Bytes of the level still held over at `now`. */
  bytes(level: string, now: number): number;
  /** When it is next worth looking again (bytes have come back), or undefined when nothing is held over. */
  nextChangeAt(now: number): number | undefined;
  setHoldMs(ms: number): void;
  clear(): void;
}

interface Residue {
  readonly bytes: number;
  readonly at: number;
}

/** Queues are woken this many times over a hold-over while bytes come back. */
const WAKES_PER_HOLD = 8;

export function createHoldOver(opts: { holdMs: number }): HoldOver {
  let holdMs = Math.max(0, opts.holdMs);
  const levels = new Map<string, Residue[]>();

  const live = (level: string, now: number): Residue[] => {
    const list = levels.get(level);
    if (!list) return [];
    let first = 0;
    while (first < list.length && now - list[first]!.at >= holdMs) first++;
    if (first === list.length) {
      levels.delete(level);
      return [];
    }
    if (first > 0) list.splice(0, first);
    return list;
  };

  return {
    add(level, bytes, at) {
      if (holdMs === 0 || !(bytes > 0)) return;
      const list = levels.get(level) ?? [];
      list.push({ bytes, at });
      levels.set(level, list);
    },
    bytes(level, now) {
      let sum = 0;
      for (const r of live(level, now)) sum += r.bytes * Math.max(0, 1 - (now - r.at) / holdMs);
      return sum;
    },
    nextChangeAt(now) {
      for (const level of [...levels.keys()]) if (live(level, now).length > 0) return now + Math.max(1, holdMs / WAKES_PER_HOLD);
      return undefined;
    },
    setHoldMs(ms) {
      holdMs = Math.max(0, ms);
    },
    clear: () => levels.clear(),
  };
}
