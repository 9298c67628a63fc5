/**
 * The contract between `bench/run.ts` and a benchmark module. A module `bench/<name>.ts` exports
 * `benchmark: Benchmark`; the runner imports every such module, runs the selected ones one after the
 * other in one process (the servers they measure are child processes they start and stop themselves),
 * and writes each report to `<resultsDir>/<name>.json`.
 *
 * A report carries figures measured in this run and ratios against a baseline from the same run; goals
 * are reported (met or missed) but never fail the run. What does fail it is breakage, not speed: an
 * exception, or `failures` (a target answered errors, so its numbers measure the errors, not the target).
 */
import { loadavg } from 'node:os';

export interface BenchContext {
  /** CI-sized run (seconds) instead of the full size the docs quote. */
  readonly quick: boolean;
  /** Where JSON results (and the quick run's pictures) go; created by the runner. */
  readonly resultsDir: string;
  /** Where the full run's pictures go (docs/), undefined when pictures should stay in resultsDir. */
  readonly docsDir: string | undefined;
  /** Reports of the benchmarks that already ran in this invocation, by name. */
  readonly earlier: ReadonlyMap<string, BenchReport>;
  /** A progress line on stderr (the figures themselves go to stdout through `summary`). */
  log(line: string): void;
}

export interface Goal {
  /** e.g. "peak in-flight ≤ budget". */
  name: string;
  /** The target as written in the issue, e.g. "≤ 1.3×". */
  target: string;
  /** The measured value, in the unit of the target. */
  value: number | string;
  met: boolean;
}

export interface BenchReport {
  /** Every measured number, nested as the benchmark likes (absolute values with their units in the key). */
  figures: Record<string, unknown>;
  /** Dimensionless ratios against this run's baseline, e.g. `throughputVsDirect: 0.93`. */
  ratios: Record<string, number>;
  goals: Goal[];
  /** Human lines printed under the benchmark's name. */
  summary: string[];
  /** Files the benchmark wrote besides its JSON (charts). */
  artifacts?: string[];
  /**
   * What makes this run's numbers unusable, one line each (e.g. a target whose requests failed, with the
   * statuses and error codes): the runner writes the JSON all the same, prints the lines, keeps the
   * report out of the docs and exits 1.
   */
  failures?: string[];
}

export interface Benchmark {
  /** kebab-case; also the JSON file name. */
  name: string;
  /** One line for `--list`. */
  description: string;
  run(ctx: BenchContext): Promise<BenchReport>;
}

/** What the runner writes to `<name>.json`. */
export interface BenchResultFile extends BenchReport {
  name: string;
  mode: 'quick' | 'full';
  startedAt: string;
  durationMs: number;
  machine: MachineInfo;
  /** The commit measured; `dirty` when src/ or bench/ had uncommitted changes. Null outside git. */
  revision: { commit: string; dirty: boolean } | null;
}

export interface MachineInfo {
  cpus: number;
  totalMemoryBytes: number;
  node: string;
  /** 1-minute load average before and after the benchmark: a loaded machine makes absolute times noisy. */
  loadBefore: number;
  loadAfter: number;
}

export function currentLoad(): number {
  return Math.round(loadavg()[0]! * 100) / 100;
}

export function isBenchmark(value: unknown): value is Benchmark {
  if (typeof value !== 'object' || value === null) return false;
  const b = value as Partial<Benchmark>;
  return typeof b.name === 'string' && typeof b.run === 'function';
}

/** A goal from a comparison, rounding the shown value. */
export function goal(name: string, target: string, value: number, met: boolean, digits = 2): Goal {
  return { name, target, value: Number.isFinite(value) ? Number(value.toFixed(digits)) : String(value), met };
}
