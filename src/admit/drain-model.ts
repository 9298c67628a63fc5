/**
 * How fast budget frees up: an exponentially weighted mean of how long leases are held (from grant to
 * the end of the response), seeded by configuration until the first lease is released. A level that can
 * hold C bytes turns them over about once per mean hold time, so it drains at C ÷ meanHold bytes per
 * second; Retry-After and the projected wait of a queued request are read from that rate. Two things
 * make the turnover slower than the mean of the holds that ended:
 * - leases still held longer than that mean (the first LISTs of a storm, before any has ended): the mean
 *   age of the leases in flight is a lower bound of how long they are held;
 * - the hold-over (hold-over.ts): an ended lease's bytes come back over that time, half of it on average.
 */

export interface DrainModel {
  observeHold(holdMs: number): void;
  meanHoldMs(): number;
  /**
   * Bytes per second that free up for a level able to hold `capacityBytes` (at least 1 byte/s);
   * `inFlightAgeMs` is the mean age of the leases held now, `holdOverMs` the budget's hold-over.
   */
  rate(capacityBytes: number, opts?: { inFlightAgeMs?: number; holdOverMs?: number }): number;
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
    rate: (capacityBytes, o = {}) => Math.max(1, (capacityBytes * 1000) / (Math.max(mean, o.inFlightAgeMs ?? 0) + (o.holdOverMs ?? 0) / 2)),
  };
}
