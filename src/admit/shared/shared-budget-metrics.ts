/**
 * The shared budget's Prometheus metrics, on an injected Registry: this replica's view of the whole
 * budget (every replica's leases, bytes in use and held over per level, as Redis last answered), the
 * replicas it sees and the share of the budget it holds by itself, whether it is falling back, the
 * round-trip time of each Redis operation, failures, refusals and fallbacks. This replica's own leases
 * are admission's metrics (listgate_admission_leases, listgate_admission_in_use_bytes).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { SharedBudgetHooks, SharedBudgetState, SharedMode } from './redis-budget-store.js';

const MODES: readonly SharedMode[] = ['joining', 'shared', 'fallback', 'syncing'];

export interface SharedBudgetMetrics {
  /** Fed by the store. */
  readonly hooks: SharedBudgetHooks;
  /** Where the gauges read the store's state when scraped. */
  readFrom(state: () => SharedBudgetState): void;
}

export function createSharedBudgetMetrics(registry: Registry): SharedBudgetMetrics {
  const registers = [registry];
  let state: () => SharedBudgetState | undefined = () => undefined;
  const levelGauge = (name: string, help: string, read: (l: { inUse: number; leases: number; heldOver: number }) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['level'] as const,
      registers,
      collect() {
        this.reset();
        const s = state();
        if (!s) return;
        for (const [level, l] of s.snapshot.levels) this.set({ level }, read(l.all));
      },
    });
  levelGauge('listgate_shared_budget_leases', 'Leases held by every replica in the priority level, as Redis last answered this replica.', (l) => l.leases);
  levelGauge('listgate_shared_budget_in_use_bytes', 'Bytes leased by every replica in the priority level, as Redis last answered this replica.', (l) => l.inUse);
  levelGauge('listgate_shared_budget_held_over_bytes', 'Held-over bytes of ended leases of every replica in the priority level, as Redis last answered this replica.', (l) => l.heldOver);
  new Gauge({ name: 'listgate_shared_budget_mode', help: 'The shared budget mode of this replica: 1 for the current one (joining, shared, fallback: Redis unreachable or slow, syncing: rejoining).', labelNames: ['mode'] as const, registers, collect() {
    const mode = state()?.mode;
    for (const m of MODES) this.set({ mode: m }, m === mode ? 1 : 0);
  } });
  new Gauge({ name: 'listgate_shared_budget_fallback', help: '1 while this replica admits against its own share of the budget (budget ÷ replicas) because Redis cannot be reached in time.', registers, collect() {
    const mode = state()?.mode;
    this.set(mode === undefined || mode === 'shared' ? 0 : 1);
  } });
  new Gauge({ name: 'listgate_shared_budget_replicas', help: 'Replicas sharing the budget, as last seen in Redis.', registers, collect() {
    this.set(state()?.replicas ?? 0);
  } });
  new Gauge({ name: 'listgate_shared_budget_share_ratio', help: 'The fraction of the effective budget this replica may hold by itself: 1 while sharing, 1/replicas while falling back.', registers, collect() {
    this.set(state()?.share ?? 1);
  } });
  const roundTrip = new Histogram({
    name: 'listgate_shared_budget_redis_round_trip_seconds',
    help: 'Time of a call to Redis by operation (take, release, renew, sync, leave), answered ones only.',
    labelNames: ['operation'] as const,
    buckets: [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers,
  });
  const failures = new Counter({ name: 'listgate_shared_budget_redis_failures_total', help: 'Calls to Redis that failed or timed out, by operation.', labelNames: ['operation'] as const, registers });
  const refused = new Counter({ name: 'listgate_shared_budget_refused_total', help: "Leases this replica's view allowed that Redis refused (other replicas took the room first), by priority level.", labelNames: ['level'] as const, registers });
  const fallbacks = new Counter({ name: 'listgate_shared_budget_fallbacks_total', help: 'Times this replica fell back to its own share of the budget because Redis could not be reached in time.', registers });
  const restored = new Counter({ name: 'listgate_shared_budget_restored_leases_total', help: "This replica's leases put back in Redis after they had expired there (renewals missed).", registers });
  return {
    hooks: {
      roundTrip: (op, seconds) => roundTrip.observe({ operation: op }, seconds),
      failed: (op) => failures.inc({ operation: op }),
      refused: (level) => refused.inc({ level }),
      fellBack: () => fallbacks.inc(),
      restored: (n) => restored.inc(n),
    },
    readFrom(read) {
      state = read;
    },
  };
}
