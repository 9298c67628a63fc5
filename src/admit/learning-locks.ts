/**
 * One LIST at a time of a resource nothing is known about. A LIST estimated with `low` confidence (no
 * sample of its resource could be read, no response of it seen: its sizes are the default) goes through
 * admission only while no other low-confidence LIST of the same resource holds its lock; the others wait,
 * at most their level's queue wait, and are answered 429 after it. When the holder's response has ended,
 * its sizes are learned: the next LISTs of the resource are priced by them and need no lock. Time is
 * injected; a waiter whose client leaves gives up its place.
 */
import type { Timers } from './budget-types.js';

export interface LearningLock {
  /** Idempotent. */
  release(): void;
}

export type LockRefusal = 'timeout' | 'aborted' | 'closed';

export interface LearningLocks {
  /**
   * The lock for `key`, once free; `timeout` after `waitMs`; `aborted` when the signal fires first;
   * `closed` once `close` has been called (shutdown).
   */
  acquire(key: string, opts: { waitMs: number; signal?: AbortSignal }): Promise<LearningLock | LockRefusal>;
  /** Shutdown: every waiter is answered `closed`, and so is every later caller. */
  close(): void;
  /** Keys locked now. */
  held(): number;
  /** Waiting callers, over all keys. */
  waiting(): number;
}

export function createLearningLocks(deps: { timers: Timers }): LearningLocks {
  const locked = new Set<string>();
  const queues = new Map<string, Array<() => void>>();
  const closers = new Set<() => void>();
  let waiting = 0;
  let closed = false;

  const lock = (key: string): LearningLock => {
    locked.add(key);
    let released = false;
    return {
      release() {
        if (released) return;
        released = true;
        locked.delete(key);
        const next = queues.get(key)?.shift();
        if (queues.get(key)?.length === 0) queues.delete(key);
        next?.();
      },
    };
  };

  return {
    acquire(key, opts) {
      if (closed) return Promise.resolve('closed' as const);
      if (!locked.has(key)) return Promise.resolve(lock(key));
      if (opts.signal?.aborted) return Promise.resolve('aborted' as const);
      return new Promise((resolve) => {
        waiting += 1;
        const queue = queues.get(key) ?? [];
        queues.set(key, queue);
        const done = (outcome: LearningLock | LockRefusal) => {
          waiting -= 1;
          deps.timers.clear(timer);
          opts.signal?.removeEventListener('abort', onAbort);
          closers.delete(onClose);
          resolve(outcome);
        };
        const leave = (outcome: LockRefusal) => {
          const at = queue.indexOf(wake);
          if (at >= 0) queue.splice(at, 1);
          if (queue.length === 0 && queues.get(key) === queue) queues.delete(key);
          done(outcome);
        };
        const wake = () => done(lock(key));
        const onAbort = () => leave('aborted');
        const onClose = () => leave('closed');
        const timer = deps.timers.set(() => leave('timeout'), opts.waitMs);
        opts.signal?.addEventListener('abort', onAbort, { once: true });
        closers.add(onClose);
        queue.push(wake);
      });
    },
    close() {
      closed = true;
      for (const close of [...closers]) close();
    },
    held: () => locked.size,
    waiting: () => waiting,
  };
}
