/**
 * Admission's Prometheus metrics, in base units, on an injected Registry. Gauges read the budget when
 * scraped (no bookkeeping of their own); histograms and counters are fed by the budget's events.
 * The `level` label takes the configured priority level names only (bounded by configuration).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Budget, BudgetEvents } from './budget.js';
import type { CollectionOutcome } from './adaptive-budget.js';
import type { StreamingSupport } from './streaming-probe.js';

export interface AdmissionMetrics {
  /** Hooks for the budget. */
  events: BudgetEvents;
  /** The estimate of a request admission weighed, with what it decided. */
  observeRequest(level: string, decision: string, estimatedBytes: number): void;
  observeRetryAfter(level: string, seconds: number): void;
  observeUpstreamMemory(bytes: number): void;
  /** A garbage collection asked of the upstream by the adaptive budget, and how it went. */
  observeCollection(outcome: CollectionOutcome): void;
}

const BYTES_BUCKETS = [2 ** 20, 4 * 2 ** 20, 16 * 2 ** 20, 64 * 2 ** 20, 256 * 2 ** 20, 2 ** 30, 4 * 2 ** 30, 16 * 2 ** 30];

export function createAdmissionMetrics(registry: Registry, deps: { budget: () => Budget; streaming: () => StreamingSupport; learningWaiters?: () => number }): AdmissionMetrics {
  const registers = [registry];
  const levelGauge = (name: string, help: string, read: (v: ReturnType<Budget['levels']>[number]) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['level'] as const,
      registers,
      collect() {
        this.reset();
        for (const view of deps.budget().levels()) this.set({ level: view.name }, read(view));
      },
    });

  new Gauge({ name: 'listgate_admission_budget_bytes', help: 'The configured global budget of apiserver memory, in bytes.', registers, collect() {
    this.set(deps.budget().configuredBudget());
  } });
  new Gauge({ name: 'listgate_admission_effective_budget_bytes', help: 'The budget in effect: the configured one, or lower while the adaptive budget sees the upstream above its ceiling.', registers, collect() {
    this.set(deps.budget().effectiveBudget());
  } });
  levelGauge('listgate_admission_level_guaranteed_bytes', "Bytes of the effective budget guaranteed to the priority level (held back from other levels while unused).", (v) => v.guaranteedBytes);
  levelGauge('listgate_admission_level_limit_bytes', 'The most the priority level may hold now: min(limit, share + pool) of the effective budget.', (v) => v.ceilingBytes);
  levelGauge('listgate_admission_in_use_bytes', 'Bytes leased to requests in flight in the priority level (held until their responses end).', (v) => v.inUseBytes);
  levelGauge('listgate_admission_held_bytes', 'Bytes held back for clients told to return at this time (Retry-After), per priority level.', (v) => v.heldBytes);
  levelGauge('listgate_admission_held_over_bytes', "Bytes of ended leases still counted, decaying, while the apiserver's garbage from their responses waits for its collector.", (v) => v.heldOverBytes);
  levelGauge('listgate_admission_queued_bytes', 'Estimated bytes of the requests waiting in the priority level.', (v) => v.queuedBytes);
  levelGauge('listgate_admission_queued_requests', 'Requests waiting in the priority level.', (v) => v.queuedRequests);
  levelGauge('listgate_admission_leases', 'Leases held in the priority level.', (v) => v.leases);
  new Gauge({ name: 'listgate_admission_streaming_lists', help: 'Whether rejected clients are told to use streaming lists: 1 the upstream serves them, 0 it does not, -1 not known yet.', registers, collect() {
    const s = deps.streaming();
    this.set(s === 'supported' ? 1 : s === 'unsupported' ? 0 : -1);
  } });
  new Gauge({ name: 'listgate_admission_learning_waiting_requests', help: "LISTs of low confidence (nothing known of their resource's sizes) waiting for the one LIST of that resource in flight to end.", registers, collect() {
    this.set(deps.learningWaiters?.() ?? 0);
  } });
  const upstreamMemory = new Gauge({ name: 'listgate_admission_upstream_memory_bytes', help: "The upstream's memory as the adaptive budget last read it from the upstream's /metrics.", registers });

  const wait = new Histogram({
    name: 'listgate_admission_queue_wait_seconds',
    help: 'Time from arrival to admission or rejection, by priority level and result (admitted at once, queued then admitted, rejected).',
    labelNames: ['level', 'result'] as const,
    buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  const hold = new Histogram({
    name: 'listgate_admission_lease_hold_seconds',
    help: 'Time a lease was held: from admission to the end of the response (completed, aborted or failed).',
    labelNames: ['level'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers,
  });
  const rejections = new Counter({
    name: 'listgate_admission_rejections_total',
    help: 'Requests answered 429 by admission, by priority level and reason (too_large, queue_full, wait_exceeded, timeout, shutting_down).',
    labelNames: ['level', 'reason'] as const,
    registers,
  });
  const estimated = new Histogram({
    name: 'listgate_admission_estimated_bytes',
    help: 'Estimated apiserver memory of the requests admission weighed (those above the small-request threshold), by priority level and decision.',
    labelNames: ['level', 'decision'] as const,
    buckets: BYTES_BUCKETS,
    registers,
  });
  const collections = new Counter({
    name: 'listgate_admission_upstream_collections_total',
    help: "Garbage collections the adaptive budget asked of the upstream (GET /debug/pprof/heap?gc=1, twice) while memory the leases do not explain held the budget back, by outcome (collected, forbidden: the gateway may not read the profiling endpoint, failed).",
    labelNames: ['outcome'] as const,
    registers,
  });
  const retryAfter = new Histogram({
    name: 'listgate_admission_retry_after_seconds',
    help: 'Retry-After given to rejected requests (staggered), by priority level.',
    labelNames: ['level'] as const,
    buckets: [1, 2, 4, 8, 16, 32],
    registers,
  });

  return {
    events: {
      granted: (e) => wait.observe({ level: e.level, result: e.decision === 'queued' ? 'queued' : 'admitted' }, e.waitedMs / 1000),
      released: (e) => hold.observe({ level: e.level }, e.heldMs / 1000),
      rejected: (e) => {
        // A later page of an offloaded LIST that must wait is asked again, not answered 429.
        if (e.offloadPage) return;
        rejections.inc({ level: e.level, reason: e.reason });
        wait.observe({ level: e.level, result: 'rejected' }, e.waitedMs / 1000);
      },
    },
    observeRequest: (level, decision, bytes) => estimated.observe({ level, decision }, bytes),
    observeRetryAfter: (level, seconds) => retryAfter.observe({ level }, seconds),
    observeUpstreamMemory: (bytes) => upstreamMemory.set(bytes),
    observeCollection: (outcome) => collections.inc({ outcome }),
  };
}
