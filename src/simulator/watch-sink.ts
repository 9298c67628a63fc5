/**
 * How a watch's events reach a client that reads at its own pace, as the watch cache does it
 * (k8s.io/apiserver/pkg/storage/cacher/cache_watcher.go):
 * - initial events (a streaming list, or the ADDED events of a watch from resourceVersion 0) and a replay
 *   are produced only as fast as the socket drains: processInterval blocks on the result channel, so a big
 *   streaming list to a slow reader is slow, never dropped;
 * - live events go into the watcher's input channel (10 events for the simulator's small caches: the
 *   minimum of watch_cache.go suggestedWatchChannelSize). When it is full, the dispatcher waits a bounded
 *   time (the cacher's dispatch budget, at most 100 ms: time_budget.go) and then closes the watcher
 *   ("Forcing watcher close due to unresponsiveness", apiserver_terminated_watchers_total);
 * - bookmarks are best effort: sent only when nothing is waiting.
 * The wait is scheduled on an injected timer, so tests decide when it runs out.
 */
import type { ServerResponse } from 'node:http';

/** Schedules `fn` after `ms`; returns a cancel function. */
export type Schedule = (fn: () => void, ms: number) => () => void;

export const WATCH_INPUT_EVENTS = 10;
export const WATCH_DISPATCH_TIMEOUT_MS = 100;

export const scheduleWithTimers: Schedule = (fn, ms) => {
  const timer = setTimeout(fn, ms);
  return () => clearTimeout(timer);
};

export interface WatchSink {
  /** Writes an initial or replayed event; resolves once the socket can take more (false: the client is gone). */
  writeBlocking(chunk: Buffer): Promise<boolean>;
  /** Ends the initial phase: queued live events go out, in order, from now on. */
  startLive(): void;
  /** A live event: written now if the socket has room and nothing waits, else queued. */
  push(chunk: Buffer): void;
  /** A bookmark: written only when nothing is waiting. */
  offer(chunk: Buffer): void;
}

export interface WatchSinkOptions {
  res: ServerResponse;
  schedule: Schedule;
  /** Called when the input channel stayed full past the dispatch timeout; the sink has destroyed `res`. */
  onUnresponsive(queued: number): void;
  capacity?: number;
  timeoutMs?: number;
}

export function createWatchSink(opts: WatchSinkOptions): WatchSink {
  const { res } = opts;
  const capacity = opts.capacity ?? WATCH_INPUT_EVENTS;
  const queue: Buffer[] = [];
  let live = false;
  let cancelTimer: (() => void) | undefined;
  const gone = (): boolean => res.destroyed || res.writableEnded;

  const stopTimer = (): void => {
    cancelTimer?.();
    cancelTimer = undefined;
  };
  const flush = (): void => {
    if (!live) return;
    while (queue.length > 0 && !gone() && !res.writableNeedDrain) res.write(queue.shift()!);
    if (queue.length <= capacity) stopTimer();
  };
  res.on('drain', flush);
  res.once('close', () => {
    stopTimer();
    queue.length = 0;
  });

  return {
    writeBlocking(chunk) {
      if (gone()) return Promise.resolve(false);
      if (res.write(chunk)) return Promise.resolve(true);
      return new Promise((resolve) => {
        const done = (): void => {
          res.off('drain', done);
          res.off('close', done);
          resolve(!gone());
        };
        res.on('drain', done);
        res.on('close', done);
      });
    },
    startLive() {
      live = true;
      flush();
    },
    push(chunk) {
      if (gone()) return;
      if (live && queue.length === 0 && !res.writableNeedDrain) {
        res.write(chunk);
        return;
      }
      queue.push(chunk);
      if (queue.length > capacity && !cancelTimer) {
        cancelTimer = opts.schedule(() => {
          cancelTimer = undefined;
          if (queue.length <= capacity || gone()) return;
          const queued = queue.length;
          res.destroy();
          opts.onUnresponsive(queued);
        }, opts.timeoutMs ?? WATCH_DISPATCH_TIMEOUT_MS);
      }
    },
    offer(chunk) {
      if (live && queue.length === 0 && !gone() && !res.writableNeedDrain) res.write(chunk);
    },
  };
}
