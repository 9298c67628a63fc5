/**
 * When a watch with allowWatchBookmarks gets a BOOKMARK (k8s.io/apiserver/pkg/storage/cacher:
 * cache_watcher.go nextBookmarkTime, cacher.go dispatchEvents, cacheWatcher.process): a watcher is due
 * every bookmark interval (a minute upstream) and once 2 s before its deadline, and none after that; when
 * due it gets a bookmark at the revision its resource's cache last saw, but only if that is newer than the
 * revision the watcher started at (its resourceVersion, or the newest event of its initial replay).
 */

export interface BookmarkSchedule {
  /** Every event of the watched resource (whether or not it matched the watcher's selectors). */
  observe(rv: number): void;
  stop(): void;
}

export interface BookmarkScheduleOptions {
  /** The revision the watcher starts at: bookmarks must be newer. */
  startRv: number;
  intervalMs: number;
  /** When the watch ends (ms on the `now` clock). */
  deadline: number;
  now: () => number;
  send: (rv: number) => void;
  /** Timers on the `now` clock (default: setTimeout, unref'd). */
  timers?: { set(fn: () => void, ms: number): unknown; clear(handle: unknown): void };
}

const REAL_TIMERS = {
  set: (fn: () => void, ms: number): unknown => setTimeout(fn, ms).unref(),
  clear: (handle: unknown): void => clearTimeout(handle as NodeJS.Timeout),
};

const PRE_TIMEOUT_MS = 2_000;

export function scheduleBookmarks(opts: BookmarkScheduleOptions): BookmarkSchedule {
  const timers = opts.timers ?? REAL_TIMERS;
  let seen = opts.startRv;
  let timer: unknown;
  let stopped = false;

  const arm = (): void => {
    const now = opts.now();
    const at = Math.min(now + opts.intervalMs, opts.deadline - PRE_TIMEOUT_MS);
    if (stopped || at <= now) return;
    timer = timers.set(() => {
      timer = undefined;
      if (stopped) return;
      if (seen > opts.startRv) opts.send(seen);
      arm();
    }, at - now);
  };
  arm();

  return {
    observe(rv) {
      if (rv > seen) seen = rv;
    },
    stop() {
      stopped = true;
      if (timer !== undefined) timers.clear(timer);
    },
  };
}
