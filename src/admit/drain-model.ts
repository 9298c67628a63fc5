/**
 * How fast budget frees up: an exponentially weighted mean of how long leases are held (from grant to
 * the end of the response), seeded by configuration until the first lease is released. A level that can
 * hold C bytes turns them over about once per mean hold time, so it drains at C ÷ meanHold bytes per
 * second; Retry-After and the projected wait of a queued request are read from that rate.
 */

export interface DrainModel {
  observeHold(holdMs: number): void;
  meanHoldMs(): number;
  /** Bytes per second that free up for a level able to hold `capacityBytes` (at least 1 byte/s). */
  rate(capacityBytes: number): number;
}

export function createDrainModel(opts: { initialHoldMs: number; alpha?: number; minHoldMs?: number }): DrainModel {
  const alpha = opts.alpha ?? 0.2;
  const minHoldMs = opts.minHoldMs ?? 10;
  let mean = Math.max(minHoldMs, opts.initialHoldMs);
  return {
    observeHold(holdMs) {
      if (!Number.isFinite(holdMs) || holdMs < 0) return;
      mean = Math.max(minHoldMs, mean + alpha * (holdMs - mean));
    },
    meanHoldMs: () => mean,
    rate: (capacityBytes) => Math.max(1, (capacityBytes * 1000) / mean),
  };
}
