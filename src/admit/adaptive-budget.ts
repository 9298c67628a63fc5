/**
 * The adaptive budget: a closed loop on the upstream's real memory, like a real-memory circuit breaker.
 * Every interval the upstream's /metrics is read (the configured metric, e.g. process_resident_memory_bytes,
 * summed over its samples). Above the ceiling, the effective budget drops by the excess (and keeps
 * dropping while the excess lasts, down to the minimum); below it, the budget recovers by a fraction of
 * the configured budget per interval, never by more than the headroom and never above the configured
 * budget. Either way the leases may hold no more than the ceiling leaves once the memory they do not
 * explain is counted: what the server holds beyond this budget's leases and hold-over (its resting heap,
 * caches, garbage of responses already ended) is there whatever is admitted next, so the effective budget
 * stays at or below ceiling − (observed − slack − leased). `slack` is heap a Go server has freed and keeps
 * (go_memstats_heap_idle_bytes − go_memstats_heap_released_bytes, when its /metrics has them): counted in
 * its resident memory, but the next allocations reuse it before the server grows, so it is not memory
 * the next LIST has to fit beside. A failed read changes nothing (the last setting holds). The scrape goes through the same
 * bottleneck limiter as admission's other upstream probes, so it never piles up.
 */
import type Bottleneck from 'bottleneck';
import type { Logger } from 'pino';
import { parseMetricsText } from '../estimate/prometheus-text.js';
import { realTimers, type Timers } from '../timers.js';
import type { AdaptiveSettings } from './admission-settings.js';

export interface BudgetLoopInput {
  readonly configured: number;
  readonly current: number;
  readonly observed: number;
  /** Of `observed`, freed heap the server keeps for its next allocations (0 when unknown). */
  readonly slack: number;
  /** Bytes the budget counts now: its leases and their hold-over. */
  readonly leased: number;
  readonly ceiling: number;
  readonly minimum: number;
  readonly recoveryFraction: number;
}

/** One step of the loop. Pure. */
export function nextEffectiveBudget(s: BudgetLoopInput): number {
  const floor = Math.min(s.minimum, s.configured);
  const fits = s.ceiling - Math.max(0, s.observed - s.slack - s.leased);
  if (s.observed > s.ceiling) return Math.max(floor, Math.min(Math.min(s.current, s.configured) - (s.observed - s.ceiling), fits));
  const headroom = s.ceiling - s.observed;
  const step = Math.min(headroom, s.recoveryFraction * s.configured);
  return Math.max(floor, Math.min(s.configured, s.current + step, fits));
}

/** Each named metric's value in a /metrics text (the sum of its samples; absent when it has none), in one parse. */
export function readMetrics(text: string, names: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const sample of parseMetricsText(text, (n) => names.includes(n)).samples) {
    if (Number.isFinite(sample.value)) out.set(sample.name, (out.get(sample.name) ?? 0) + sample.value);
  }
  return out;
}

/** The metric's value in a /metrics text: the sum of its samples, or undefined when absent. */
export function readMetric(text: string, name: string): number | undefined {
  return readMetrics(text, [name]).get(name);
}

const HEAP_IDLE = 'go_memstats_heap_idle_bytes';
const HEAP_RELEASED = 'go_memstats_heap_released_bytes';

/** Freed heap a Go process keeps (idle − released), or 0 when the text does not say. */
export function heapSlack(values: ReadonlyMap<string, number>): number {
  const idle = values.get(HEAP_IDLE);
  const released = values.get(HEAP_RELEASED);
  return idle === undefined || released === undefined ? 0 : Math.max(0, idle - released);
}

export interface AdaptiveBudget {
  /** One read and adjustment (the timer calls it; tests call it directly). */
  tick(): Promise<void>;
  start(): void;
  stop(): void;
  /** The last value read, or undefined. */
  observed(): number | undefined;
}

export interface AdaptiveBudgetDeps {
  settings: () => AdaptiveSettings;
  configuredBudget: () => number;
  effectiveBudget: () => number;
  setEffectiveBudget: (bytes: number) => void;
  /** Bytes the budget counts now (leases and hold-over). */
  leasedBytes: () => number;
  fetchText: (path: string) => Promise<string>;
  limiter: Bottleneck;
  /** Default: Node's (unref'd). */
  timers?: Timers;
  logger?: Logger;
  onObserved?: (bytes: number) => void;
}

export function createAdaptiveBudget(deps: AdaptiveBudgetDeps): AdaptiveBudget {
  const timers = deps.timers ?? realTimers;
  let timer: unknown;
  let last: number | undefined;
  let running = false;

  const tick = async (): Promise<void> => {
    const s = deps.settings();
    if (!s.enabled) {
      if (deps.effectiveBudget() !== deps.configuredBudget()) deps.setEffectiveBudget(deps.configuredBudget());
      return;
    }
    let text: string;
    try {
      text = await deps.limiter.schedule(() => deps.fetchText('/metrics'));
    } catch (err) {
      deps.logger?.warn({ err }, 'adaptive budget: reading the upstream /metrics failed; the effective budget stays');
      return;
    }
    const values = readMetrics(text, [s.metric, HEAP_IDLE, HEAP_RELEASED]);
    const observed = values.get(s.metric);
    if (observed === undefined) {
      deps.logger?.warn({ metric: s.metric }, 'adaptive budget: the upstream /metrics has no such metric; the effective budget stays');
      return;
    }
    last = observed;
    deps.onObserved?.(observed);
    const current = deps.effectiveBudget();
    const leased = deps.leasedBytes();
    // Go's kept heap is part of the resident memory only: another metric (the heap in use) has none of it.
    const slack = s.metric === 'process_resident_memory_bytes' ? Math.min(heapSlack(values), observed) : 0;
    const next = nextEffectiveBudget({ configured: deps.configuredBudget(), current, observed, slack, leased, ceiling: s.ceilingBytes, minimum: s.minimumBytes, recoveryFraction: s.recoveryFraction });
    if (next !== current) {
      deps.logger?.info({ observed, slack, leased, ceiling: s.ceilingBytes, from: current, to: next }, 'adaptive budget: effective budget changed');
      deps.setEffectiveBudget(next);
    }
  };

  const schedule = () => {
    timer = timers.set(() => {
      void tick().finally(() => {
        if (running) schedule();
      });
    }, deps.settings().intervalMs);
  };

  return {
    tick,
    start() {
      if (running) return;
      running = true;
      schedule();
    },
    stop() {
      running = false;
      if (timer !== undefined) timers.clear(timer);
      timer = undefined;
    },
    observed: () => last,
  };
}
