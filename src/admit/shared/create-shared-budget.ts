/**
 * The shared budget as admission runs it: the two Redis connections, the store (redis-budget-store.ts)
 * under a name unique to this process, its metrics, and the words `/readyz?verbose` says about it. The
 * budget decides with the store from the start; until the store has joined (or while Redis is away) it
 * admits against this replica's share of the budget.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Timers } from '../budget-types.js';
import { createSharedBudgetConnections } from './redis-connection.js';
import { createRedisBudgetStore, type SharedBudgetState, type SharedBudgetStore } from './redis-budget-store.js';
import { createSharedBudgetMetrics } from './shared-budget-metrics.js';
import type { SharedBudgetFiles, SharedBudgetSettings } from './shared-budget-settings.js';

export interface SharedBudget {
  readonly store: SharedBudgetStore;
  /** One line for `/readyz?verbose` (the replica stays ready whatever it says). */
  describe(): string;
  start(): void;
  close(): Promise<void>;
}

const unrefTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** `<host>-<pid>-<random>`: unique per process, and names the pod in Redis (CLIENT LIST, the replicas set). */
export function replicaName(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export function describeSharedBudget(s: SharedBudgetState, redis: string): string {
  const share = `${Math.round(s.share * 1000) / 10} % of the budget`;
  switch (s.mode) {
    case 'shared':
      return `shared budget on ${redis}: ${s.replicas} replica(s), ${s.leases} lease(s) held here${s.share < 1 ? `, within ${share} until the others have rejoined` : ''}`;
    case 'fallback':
      return `shared budget FALLBACK: Redis ${redis} unreachable or slow (${s.lastError ?? 'no answer'}); admitting against this replica's share, ${share} (last saw ${s.replicas} replica(s))`;
    case 'syncing':
      return `shared budget on ${redis}: rejoining with ${s.leases} lease(s) held here`;
    case 'joining':
      return `shared budget on ${redis}: joining; admitting against ${share} meanwhile`;
  }
}

export function createSharedBudget(deps: {
  settings: SharedBudgetSettings;
  files: SharedBudgetFiles | undefined;
  registry: Registry;
  now: () => number;
  holdOverMs: number;
  logger?: Logger;
  replica?: string;
}): SharedBudget {
  const replica = deps.replica ?? replicaName();
  const { commands, subscriber } = createSharedBudgetConnections(deps.settings, deps.files, replica);
  const metrics = createSharedBudgetMetrics(deps.registry);
  const logger = deps.logger?.child({ sharedBudget: deps.settings.keyPrefix, replica });
  const store = createRedisBudgetStore({
    settings: deps.settings,
    commands,
    subscriber,
    replica,
    now: deps.now,
    timers: unrefTimers,
    holdOverMs: deps.holdOverMs,
    hooks: metrics.hooks,
    ...(logger ? { logger } : {}),
  });
  metrics.readFrom(() => store.state());
  const redis = `${deps.settings.host}:${deps.settings.port}`;
  return {
    store,
    describe: () => describeSharedBudget(store.state(), redis),
    start: () => void store.start(),
    close: () => store.close(),
  };
}
