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
 * the goal under it (docs/admission.md). Without one, the gateway asks for the collection itself
 * (`collect`): while memory the leases do not explain holds the budget back and is more than the server
 * rests at (what it held after the collections it asked for, followed up by a quarter of a rise), it reads the profiling endpoint's heap profile with
 * `gc=1` twice (Go collects before it writes the profile; buffers parked in a sync.Pool survive one
 * collection), at most once per `collectIntervalMs`. A 401, 403 or 404 (no RBAC for it, `--profiling=false`)
 * stops the asking until the settings change. A failed read changes nothing (the last setting holds).
 * The scrape and the collections go through the same bottleneck limiter as admission's other upstream
 * probes, so they never pile up.
 */
import type Bottleneck from 'bottleneck';
import type { Logger } from 'pino';
import { parseMetricsText } from '../estimate/prometheus-text.js';
import { UpstreamFetchError } from '../estimate/upstream-fetch.js';
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

/** Go's heap profile, written after a collection (`gc=1`): reading it is how a collection is asked for. */
export const COLLECT_PATH = '/debug/pprof/heap?gc=1';
/** Below this (or 5 % of the ceiling) more than the server held after the last collection is not worth one. */
const COLLECT_MIN_BYTES = 64 * 1024 ** 2;

export type CollectionOutcome = 'collected' | 'forbidden' | 'failed';

export interface CollectionInput {
  /** Memory the leases do not explain (observed − slack − leased − reclaimable). */
  readonly held: number;
  /** What the server held after the last collection asked for (undefined before the first). */
  readonly resting: number | undefined;
  /** The next effective budget is below the configured one. */
  readonly heldBack: boolean;
  readonly ceiling: number;
  /** Milliseconds since the last collection was asked for (undefined before the first). */
  readonly sinceLastMs: number | undefined;
  readonly intervalMs: number;
}

/** Whether to ask the upstream for a collection now. Pure. */
export function collectionDue(c: CollectionInput): boolean {
  if (!c.heldBack) return false;
  if (c.sinceLastMs !== undefined && c.sinceLastMs < c.intervalMs) return false;
  return c.resting === undefined || c.held - c.resting > Math.max(COLLECT_MIN_BYTES, 0.05 * c.ceiling);
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
  onCollection?: (outcome: CollectionOutcome) => void;
  /** Milliseconds, monotonic (default performance.now). */
  now?: () => number;
}

export function createAdaptiveBudget(deps: AdaptiveBudgetDeps): AdaptiveBudget {
  const timers = deps.timers ?? realTimers;
  let timer: unknown;
  const now = deps.now ?? (() => performance.now());
  let last: number | undefined;
  let running = false;
  // The collections asked of the upstream: when the last began, what the server held after it, whether one
  // runs, and the settings a refusal (401/403/404) was met under (no more asking until they change).
  let lastCollectionMs: number | undefined;
  let resting: number | undefined;
  let collecting = false;
  let settleNext = false;
  let refusedUnder: AdaptiveSettings | undefined;

  const collect = async (): Promise<void> => {
    collecting = true;
    lastCollectionMs = now();
    try {
      for (let i = 0; i < 2; i++) await deps.limiter.schedule(() => deps.fetchText(COLLECT_PATH));
      settleNext = true;
      deps.onCollection?.('collected');
    } catch (err) {
      const status = err instanceof UpstreamFetchError ? err.status : undefined;
      if (status === 403 || status === 404 || status === 401) {
        refusedUnder = deps.settings();
        deps.onCollection?.('forbidden');
        deps.logger?.warn({ status, path: COLLECT_PATH }, 'adaptive budget: the upstream refused a garbage collection (grant get on the non-resource URL /debug/pprof/heap, or set admission.adaptive.collect: false); not asked again until the settings change');
      } else {
        deps.onCollection?.('failed');
        deps.logger?.warn({ err }, 'adaptive budget: asking the upstream for a garbage collection failed');
      }
    } finally {
      collecting = false;
    }
  };

  const considerCollection = (s: AdaptiveSettings, held: number, heldBack: boolean): void => {
    // What the server holds after a collection rises slowly: a reading taken while responses no lease
    // explains were still being built (clients that bypass the gateway) is not what it rests at.
    if (settleNext) {
      resting = resting === undefined || held <= resting ? held : resting + (held - resting) / 4;
      settleNext = false;
    } else if (resting !== undefined) resting = Math.min(resting, held);
    if (!s.collect || collecting || refusedUnder === s) return;
    const sinceLastMs = lastCollectionMs === undefined ? undefined : now() - lastCollectionMs;
    if (!collectionDue({ held, resting, heldBack, ceiling: s.ceilingBytes, sinceLastMs, intervalMs: s.collectIntervalMs })) return;
    deps.logger?.info({ held, resting, ceiling: s.ceilingBytes }, 'adaptive budget: asking the upstream for a garbage collection (memory the leases do not explain holds the budget back)');
    void collect();
  };

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
    // Only a Go server's resident memory says what a collection would free.
    if (resident) considerCollection(s, Math.max(0, observed - slack - leased - reclaimable), next < deps.configuredBudget());
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
