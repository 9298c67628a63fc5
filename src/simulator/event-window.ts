/**
 * The watch cache's window of events for one resource (k8s.io/apiserver/pkg/storage/cacher/watch_cache.go):
 * it starts when the cache does (the apiserver's start) and keeps events while it holds fewer than 100 or
 * the oldest is younger than 75 s (eventFreshDuration: the cache grows instead of dropping fresh events),
 * never more than 102,400 (its upper bound). Dropping an event moves the oldest revision a watch can start
 * from; etcd's compaction does not touch the window. Events are kept in arrival (revision) order.
 */

export const WINDOW_LOWER_CAPACITY = 100;
export const WINDOW_UPPER_CAPACITY = 100 * 1024;
export const EVENT_FRESH_MS = 75_000;

export interface EventWindow<E> {
  push(event: E, rv: number): void;
  /** Events after `rv`, or undefined when `rv` is older than the window. */
  since(rv: number): E[] | undefined;
  /** The oldest revision a watch may start from. */
  floor(): number;
  /** Starts the window over at `rv` (a new watch cache). */
  reset(rv: number): void;
}

export function createEventWindow<E>(opts: { floorRv: number; now: () => number }): EventWindow<E> {
  let entries: { event: E; rv: number; at: number }[] = [];
  let head = 0;
  let floor = opts.floorRv;

  const evict = (): void => {
    const t = opts.now();
    while (entries.length - head > WINDOW_LOWER_CAPACITY) {
      const oldest = entries[head]!;
      if (entries.length - head <= WINDOW_UPPER_CAPACITY && t - oldest.at < EVENT_FRESH_MS) break;
      floor = oldest.rv;
      head += 1;
    }
    if (head > 1024 && head * 2 > entries.length) {
      entries = entries.slice(head);
      head = 0;
    }
  };

  return {
    push(event, rv) {
      entries.push({ event, rv, at: opts.now() });
      evict();
    },
    since(rv) {
      if (rv < floor) return undefined;
      let lo = head;
      let hi = entries.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (entries[mid]!.rv <= rv) lo = mid + 1;
        else hi = mid;
      }
      return entries.slice(lo).map((e) => e.event);
    },
    floor: () => floor,
    reset(rv) {
      entries = [];
      head = 0;
      floor = rv;
    },
  };
}
