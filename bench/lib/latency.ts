/**
 * Latency samples and their percentiles. Every sample is kept (a run records at most a few hundred
 * thousand), so percentiles are exact rather than bucketed; the nearest-rank definition, as HDR
 * histograms report them.
 */

export interface LatencySummary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface LatencyRecorder {
  record(ms: number): void;
  readonly count: number;
  summary(): LatencySummary;
}

/** Nearest-rank percentile of ascending `sorted` (p in 0..100). */
export function percentileOf(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function createLatencyRecorder(initialCapacity = 1 << 16): LatencyRecorder {
  let values = new Float64Array(initialCapacity);
  let n = 0;
  return {
    record(ms) {
      if (n === values.length) {
        const grown = new Float64Array(values.length * 2);
        grown.set(values);
        values = grown;
      }
      values[n++] = ms;
    },
    get count() {
      return n;
    },
    summary() {
      const sorted = values.slice(0, n).sort();
      let sum = 0;
      for (const v of sorted) sum += v;
      return {
        count: n,
        meanMs: n > 0 ? sum / n : Number.NaN,
        p50Ms: percentileOf(sorted, 50),
        p90Ms: percentileOf(sorted, 90),
        p99Ms: percentileOf(sorted, 99),
        maxMs: n > 0 ? sorted[n - 1]! : Number.NaN,
      };
    },
  };
}

/** The median of a few numbers (rounds of the same measurement). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function round(value: number, digits = 3): number {
  return Number.isFinite(value) ? Number(value.toFixed(digits)) : value;
}
