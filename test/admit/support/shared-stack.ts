/**
 * Budgets sharing one real Redis in one process, as replicas would: each with its own store and
 * connections, on an injected clock that the scripts read too (so lease expiry and hold-over follow the
 * test's time, not the wall clock). Also reads Redis directly, to count what it holds.
 */
import { Redis } from 'ioredis';
import type { PriorityLevelSettings } from '../../../src/admit/admission-settings.js';
import { createBudget, type Budget, type BudgetSettings } from '../../../src/admit/budget.js';
import { createSharedBudgetConnections } from '../../../src/admit/shared/redis-connection.js';
import { createRedisBudgetStore, type SharedBudgetStore } from '../../../src/admit/shared/redis-budget-store.js';
import { SHARED_BUDGET_DEFAULTS, type SharedBudgetSettings } from '../../../src/admit/shared/shared-budget-settings.js';
import type { RedisServer } from '../../../bench/lib/redis-server.js';
import type { ManualClock } from './manual-clock.js';

export interface Replica {
  readonly name: string;
  readonly budget: Budget;
  readonly store: SharedBudgetStore;
  /** Its connection for the scripts (to wait for its reconnection). */
  readonly commands: Redis;
  close(): Promise<void>;
  /** Cuts its connections without a word, as a killed process would. */
  crash(): void;
}

export const level = (name: string, share: number, over: Partial<PriorityLevelSettings> = {}): PriorityLevelSettings => ({
  name,
  exempt: false,
  share,
  limit: 1,
  queue: { length: 10, lengthPerFlow: 10, maxWaitMs: 60_000 },
  ...over,
});

export function sharedSettings(redis: RedisServer, over: Partial<SharedBudgetSettings> = {}): SharedBudgetSettings {
  return { ...SHARED_BUDGET_DEFAULTS, host: '127.0.0.1', port: redis.port, tls: undefined, username: undefined, passwordFile: undefined, ...over };
}

export async function startReplica(opts: { name: string; redis: RedisServer; clock: ManualClock; budget: BudgetSettings; shared?: Partial<SharedBudgetSettings> }): Promise<Replica> {
  const settings = sharedSettings(opts.redis, opts.shared);
  const { commands, subscriber } = createSharedBudgetConnections(settings, undefined, opts.name);
  const store = createRedisBudgetStore({
    settings,
    commands,
    subscriber,
    replica: opts.name,
    now: opts.clock.now,
    redisTime: opts.clock.now,
    timers: opts.clock.timers,
    holdOverMs: opts.budget.holdOverMs ?? 0,
  });
  const budget = createBudget(opts.budget, { now: opts.clock.now, timers: opts.clock.timers, store });
  await store.start();
  return {
    name: opts.name,
    budget,
    store,
    commands,
    close: () => store.close(),
    crash() {
      commands.disconnect();
      subscriber.disconnect();
    },
  };
}

/** What Redis holds under `prefix`: leases and bytes by replica (all levels), and the replicas registered. */
export async function redisHoldings(redis: RedisServer, prefix: string): Promise<{ leases: number; bytes: number; replicas: string[]; byReplica: Record<string, number> }> {
  const client = new Redis({ host: '127.0.0.1', port: redis.port, lazyConnect: true, maxRetriesPerRequest: 0 });
  await client.connect();
  try {
    const replicas = await client.zrange(`${prefix}replicas`, 0, -1);
    let leases = 0;
    let bytes = 0;
    const byReplica: Record<string, number> = {};
    // Every replica's lease hash, registered or not: an orphan would be a leak too.
    for (const k of await client.keys(`${prefix}o:*:leases`)) {
      const r = k.slice(`${prefix}o:`.length, -':leases'.length);
      const held = await client.hgetall(k);
      const entries = Object.values(held);
      leases += entries.length;
      byReplica[r] = entries.reduce((sum, v) => sum + Number(v.split('|')[1]), 0);
      bytes += byReplica[r];
    }
    return { leases, bytes, replicas, byReplica };
  } finally {
    client.disconnect();
  }
}
