/**
 * The numbers the real-apiserver storm benchmark draws from single LISTs (kube-list-rise.ts): how far
 * the gateway's estimate is from the memory the apiserver really took (estimate ÷ measured, and its error
 * |estimate ÷ measured − 1| at p50/p90), the factor per mode (held ÷ response bytes), `listgate
 * calibrate`'s factors beside them, and the best time the budget allows a storm. Pure.
 */
import { median, percentileOf } from './latency.js';

export interface RiseSample {
  mode: string;
  responseBytes: number;
  riseBytes: number;
  heldBytes: number;
  factor: number;
  estimateVsHeld: number | undefined;
  estimateVsRise: number | undefined;
}

export interface ErrorSummary {
  /** Samples with an estimate and a rise, large enough to measure. */
  samples: number;
  /** Samples left out: responses smaller than the minimum (they leave before the server's memory shows them). */
  tooSmall: number;
  /** |estimate ÷ measured − 1|, nearest rank. */
  p50: number;
  p90: number;
  /** estimate ÷ measured itself, nearest rank: below 1 the gateway priced the LIST under what it cost. */
  ratioMin: number;
  ratioP50: number;
  ratioMax: number;
}

/** `ratio` picks estimate ÷ held (the default) or estimate ÷ rise. */
export function summarizeEstimateError(samples: readonly RiseSample[], minResponseBytes: number, ratio: (s: RiseSample) => number | undefined = (s) => s.estimateVsHeld): ErrorSummary {
  const measurable = samples.filter((s) => ratio(s) !== undefined && s.responseBytes >= minResponseBytes);
  const ratios = measurable.map((s) => ratio(s)!).sort((a, b) => a - b);
  const errors = ratios.map((r) => Math.abs(r - 1)).sort((a, b) => a - b);
  return {
    samples: measurable.length,
    tooSmall: samples.filter((s) => s.responseBytes < minResponseBytes).length,
    p50: percentileOf(errors, 50),
    p90: percentileOf(errors, 90),
    ratioMin: ratios[0] ?? Number.NaN,
    ratioP50: percentileOf(ratios, 50),
    ratioMax: ratios[ratios.length - 1] ?? Number.NaN,
  };
}

/** The median factor (held ÷ response bytes) per mode, over samples large enough to measure. */
export function factorsByMode(samples: readonly RiseSample[], minResponseBytes: number): Record<string, { factor: number; samples: number }> {
  const byMode = new Map<string, number[]>();
  for (const s of samples) {
    if (s.responseBytes < minResponseBytes) continue;
    byMode.set(s.mode, [...(byMode.get(s.mode) ?? []), s.factor]);
  }
  return Object.fromEntries([...byMode].map(([mode, fs]) => [mode, { factor: median(fs), samples: fs.length }]));
}

export interface FactorComparison {
  /** calibrate's mode name. */
  calibrateMode: string;
  benchMode: string;
  calibrate: number | undefined;
  bench: number | undefined;
  /** calibrate ÷ bench. */
  ratio: number | undefined;
}

/** calibrate's factor beside the bench's for each pair of modes that measure the same thing. */
export function compareFactors(
  calibrate: Readonly<Partial<Record<string, number>>>,
  bench: Readonly<Record<string, { factor: number }>>,
  pairs: Readonly<Record<string, string>>,
): FactorComparison[] {
  return Object.entries(pairs).map(([calibrateMode, benchMode]) => {
    const c = calibrate[calibrateMode];
    const b = bench[benchMode]?.factor;
    return { calibrateMode, benchMode, calibrate: c, bench: b, ratio: c !== undefined && b !== undefined && b > 0 ? c / b : undefined };
  });
}

/**
 * The best time the budget allows `clients` LISTs that each hold `heldBytes` of the apiserver's memory:
 * k = ⌊`budgetBytes` ÷ held⌋ of them (at least 1) at a time, each wave taking `tkSeconds` (k started
 * together), so ⌈clients ÷ k⌉ waves.
 */
export function bestTime(o: { clients: number; budgetBytes: number; heldBytes: number }): { k: number; waves: number } {
  const k = Math.max(1, Math.min(o.clients, Math.floor(o.budgetBytes / o.heldBytes)));
  return { k, waves: Math.ceil(o.clients / k) };
}
