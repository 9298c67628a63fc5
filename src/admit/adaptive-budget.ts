/**
 * The adaptive budget: a closed loop on the upstream's real memory, like a real-memory circuit breaker.
 * Every interval the upstream's /metrics is read (the configured metric, e.g. process_resident_memory_bytes,
 * summed over its samples). Above the ceiling, the effective budget drops by the excess (and keeps
 * dropping while the excess lasts, down to the minimum); below it, the budget recovers by a fraction of
 * the configured budget per interval, never by more than the headroom and never above the configured
 * budget. Either way the leases may hold no more than the ceiling leaves once the memory they do not
 * explain is counted: what the server holds beyond this budget's leases and hold-over (its resting heap,
 * caches, garbage of responses already ended) is there whatever is admitted next, so the effective budget
 * stays at or below ceiling − (observed − leased). A failed read changes nothing (the last setting holds). The scrape goes through the same
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
  /** Bytes the budget counts now: its leases and their hold-over. */
  readonly leased: number;
  readonly ceiling: number;
  readonly minimum: number;
  readonly recoveryFraction: number;
}

/** One step of the loop. Pure. */
export function nextEffectiveBudget(s: BudgetLoopInput): number {
  const floor = Math.min(s.minimum, s.configured);
  const fits = s.ceiling - Math.max(0, s.observed - s.leased);
  if (s.observed > s.ceiling) return Math.max(floor, Math.min(Math.min(s.current, s.configured) - (s.observed - s.ceiling), fits));
  const headroom = s.ceiling - s.observed;
  const step = Math.min(headroom, s.recoveryFraction * s.configured);
  return Math.max(floor, Math.min(s.configured, s.current + step, fits));
}

/** The metric's value in a /metrics text: the sum of its samples, or undefined when absent. */
export function readMetric(text: string, name: string): number | undefined {
  const samples = parseMetricsText(text, (n) => n === name).samples.filter((s) => Number.isFinite(s.value));
  return samples.length === 0 ? undefined : samples.reduce((sum, s) => sum + s.value, 0);
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
    const observed = readMetric(text, s.metric);
    if (observed === undefined) {
      deps.logger?.warn({ metric: s.metric }, 'adaptive budget: the upstream /metrics has no such metric; the effective budget stays');
      return;
    }
    last = observed;
    deps.onObserved?.(observed);
    const current = deps.effectiveBudget();
    const leased = deps.leasedBytes();
    const next = nextEffectiveBudget({ configured: deps.configuredBudget(), current, observed, leased, ceiling: s.ceilingBytes, minimum: s.minimumBytes, recoveryFraction: s.recoveryFraction });
    if (next !== current) {
      deps.logger?.info({ observed, leased, ceiling: s.ceilingBytes, from: current, to: next }, 'adaptive budget: effective budget changed');
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
