/**
 * In-process timing of small pure steps with process.hrtime.bigint(): a warm-up, then `batches` batches of
 * `iterations` calls; the median batch gives the time per call (robust to a GC pause or a scheduler hiccup
 * in one batch), the spread between the fastest and slowest batch says how noisy it was.
 */
import { median } from './latency.js';

export interface Timing {
  /** Microseconds per call, median batch. */
  micros: number;
  minMicros: number;
  maxMicros: number;
  iterations: number;
  batches: number;
}

function summarize(perCall: number[], iterations: number): Timing {
  return {
    micros: Number(median(perCall).toFixed(3)),
    minMicros: Number(Math.min(...perCall).toFixed(3)),
    maxMicros: Number(Math.max(...perCall).toFixed(3)),
    iterations,
    batches: perCall.length,
  };
}

/** A sink the optimizer cannot see through, so timed calls are not dropped as dead code. */
export interface Sink {
  keep(value: unknown): void;
  readonly count: number;
}

export function createSink(): Sink {
  let count = 0;
  return {
    keep(value) {
      if (value !== undefined && value !== null) count += 1;
    },
    get count() {
      return count;
    },
  };
}

export function timeSync(fn: (i: number) => unknown, opts: { iterations: number; batches: number; sink: Sink }): Timing {
  for (let i = 0; i < Math.min(opts.iterations, 2000); i++) opts.sink.keep(fn(i));
  const perCall: number[] = [];
  for (let b = 0; b < opts.batches; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < opts.iterations; i++) opts.sink.keep(fn(i));
    perCall.push(Number(process.hrtime.bigint() - t0) / 1000 / opts.iterations);
  }
  return summarize(perCall, opts.iterations);
}

export async function timeAsync(fn: (i: number) => Promise<unknown>, opts: { iterations: number; batches: number; sink: Sink }): Promise<Timing> {
  for (let i = 0; i < Math.min(opts.iterations, 2000); i++) opts.sink.keep(await fn(i));
  const perCall: number[] = [];
  for (let b = 0; b < opts.batches; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < opts.iterations; i++) opts.sink.keep(await fn(i));
    perCall.push(Number(process.hrtime.bigint() - t0) / 1000 / opts.iterations);
  }
  return summarize(perCall, opts.iterations);
}
