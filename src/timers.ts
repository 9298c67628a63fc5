/**
 * Timers as a dependency: production code that waits or repeats schedules through `Timers`, so tests
 * drive it on a manual clock instead of sleeping. `realTimers` are Node's, unref'd (a pending timer
 * never keeps the process alive).
 */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
