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
 * the next LIST has to fit beside. Garbage is the same where the server collects it before it grows past
 * the ceiling: heap allocated since the last collection (go_memstats_heap_alloc_bytes −
 * go_gc_heap_live_bytes) that the leases and their hold-over do not explain is `reclaimable` when Go's
 * current heap goal (go_gc_heap_goal_bytes), with what the process holds outside its heap, fits under the
 * ceiling: the next allocations then trigger a collection before the heap passes the goal. A goal above
 * the ceiling (GOGC lets the heap grow to twice what was live at the last collection, and that was set
 * while several LISTs were live) leaves the garbage counted: only a collection frees it, and Go forces
 * one every two minutes. A soft memory limit on the apiserver (GOMEMLIMIT at or under the ceiling) keeps
 * the goal under it (docs/admission.md). A failed read changes nothing (the last setting holds). The scrape goes through the same
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
  /** Of `observed`, garbage the server will collect before it grows past the ceiling (0 when unknown). */
  readonly reclaimable?: number;
  readonly ceiling: number;
  readonly minimum: number;
  readonly recoveryFraction: number;
}

/** One step of the loop. Pure. */
export function nextEffectiveBudget(s: BudgetLoopInput): number {
  const floor = Math.min(s.minimum, s.configured);
  const reclaimable = s.reclaimable ?? 0;
  const fits = s.ceiling - Math.max(0, s.observed - s.slack - s.leased - reclaimable);
  const pressing = s.observed - reclaimable;
  if (pressing > s.ceiling) return Math.max(floor, Math.min(Math.min(s.current, s.configured) - (pressing - s.ceiling), fits));
  const headroom = s.ceiling - pressing;
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

const HEAP_ALLOC = 'go_memstats_heap_alloc_bytes';
const HEAP_INUSE = 'go_memstats_heap_inuse_bytes';
const HEAP_LIVE = 'go_gc_heap_live_bytes';
const HEAP_GOAL = 'go_gc_heap_goal_bytes';
/** The metrics `heapSlack` reads. */
export const GO_KEPT_HEAP_METRICS = [HEAP_IDLE, HEAP_RELEASED] as const;
const GO_HEAP_METRICS = [...GO_KEPT_HEAP_METRICS, HEAP_ALLOC, HEAP_INUSE, HEAP_LIVE, HEAP_GOAL] as const;

/**
 * Garbage a Go server will collect before its heap grows past the ceiling: heap allocated since the last
 * collection (alloc − live) beyond what the leases explain, counted only when the heap goal plus what the
 * process holds outside its heap (resident − slack − heap in use) fits under the ceiling. 0 when the
 * text does not say.
 */
export function reclaimableGarbage(values: ReadonlyMap<string, number>, s: { observed: number; slack: number; leased: number; ceiling: number }): number {
  const alloc = values.get(HEAP_ALLOC);
  const inuse = values.get(HEAP_INUSE);
  const live = values.get(HEAP_LIVE);
  const goal = values.get(HEAP_GOAL);
  if (alloc === undefined || inuse === undefined || live === undefined || goal === undefined) return 0;
  const outsideHeap = Math.max(0, s.observed - s.slack - inuse);
  if (goal + outsideHeap > s.ceiling) return 0;
  return Math.max(0, alloc - live - s.leased);
}

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
    const values = readMetrics(text, [s.metric, ...GO_HEAP_METRICS]);
    const observed = values.get(s.metric);
    if (observed === undefined) {
      deps.logger?.warn({ metric: s.metric }, 'adaptive budget: the upstream /metrics has no such metric; the effective budget stays');
      return;
    }
    last = observed;
    deps.onObserved?.(observed);
    const current = deps.effectiveBudget();
    const leased = deps.leasedBytes();
    // Go's kept heap and its garbage are parts of the resident memory only: another metric (the heap in
    // use) has none of the one and is not comparable with the heap goal.
    const resident = s.metric === 'process_resident_memory_bytes';
    const slack = resident ? Math.min(heapSlack(values), observed) : 0;
    const reclaimable = resident ? Math.min(reclaimableGarbage(values, { observed, slack, leased, ceiling: s.ceilingBytes }), observed - slack) : 0;
    const next = nextEffectiveBudget({ configured: deps.configuredBudget(), current, observed, slack, leased, reclaimable, ceiling: s.ceilingBytes, minimum: s.minimumBytes, recoveryFraction: s.recoveryFraction });
    if (next !== current) {
      deps.logger?.info({ observed, slack, reclaimable, leased, ceiling: s.ceilingBytes, from: current, to: next }, 'adaptive budget: effective budget changed');
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
