/**
 * The budget store of a shared budget (budget-store.ts): every lease is taken and released in Redis by a
 * script (redis-scripts.ts) that checks it against the whole budget — every replica's leases and
 * held-over bytes, the levels' shares and limits — and records it with this replica as its owner and an
 * expiry that the replica renews every `renewInterval` while the lease lasts. A replica that dies stops
 * renewing: the others drop its leases within a lease TTL. Between calls the replica decides from the
 * last snapshot (budget-snapshot.ts) and hears of releases elsewhere on a pub/sub channel, so a queued
 * request is woken as soon as room comes back, not by polling.
 *
 * When Redis cannot be reached or answers slower than `commandTimeout`, the replica falls back at once:
 * it admits against its share of the budget, budget ÷ the replicas it last saw (at least
 * `expectedReplicas`), and never past what the others held when it last saw them (their bytes cannot be
 * known to have gone while Redis is away). Every renewal tick it tries to rejoin; rejoining replaces what
 * Redis holds of it with the leases it holds now (and its recent hold-over), so nothing counts twice.
 * Until as many replicas as before have rejoined (or one lease TTL has passed), a rejoined replica also
 * keeps within its share: the others' leases are not all back in Redis yet (a restarted Redis is empty).
 * Fair queuing stays in each replica (fair-queue.ts): a queue shared through Redis would put a round trip
 * between every release and the next grant and make every wait depend on Redis.
 */
import type { Logger } from 'pino';
import type { Redis } from 'ioredis';
import type { BudgetStore, OthersUsage, StoreClaim, TakeOutcome } from '../budget-store.js';
import type { Timers } from '../budget-types.js';
import { applyRelease, decayed, EMPTY_SNAPSHOT, readSnapshot, type BudgetSnapshot } from './budget-snapshot.js';
import type { SharedBudgetScript } from './redis-scripts.js';
import type { SharedBudgetSettings } from './shared-budget-settings.js';

export type SharedMode = 'joining' | 'shared' | 'fallback' | 'syncing';
export type RedisOperation = 'take' | 'release' | 'renew' | 'sync' | 'leave';

export interface SharedBudgetHooks {
  roundTrip?(op: RedisOperation, seconds: number): void;
  failed?(op: RedisOperation): void;
  refused?(level: string): void;
  fellBack?(): void;
  restored?(leases: number): void;
}

export interface SharedBudgetState {
  readonly mode: SharedMode;
  readonly replica: string;
  /** Replicas seen alive at the last call (0 before the first). */
  readonly replicas: number;
  /** The fraction of the budget this replica holds by itself (1 while sharing). */
  readonly share: number;
  /** Why it fell back, while it does. */
  readonly lastError: string | undefined;
  readonly snapshot: BudgetSnapshot;
  /** Leases this replica holds that the store knows of. */
  readonly leases: number;
}

export interface SharedBudgetStore extends BudgetStore {
  /** Connects, joins (or falls back when Redis cannot be reached) and starts renewing; resolves after the first attempt. */
  start(): Promise<void>;
  state(): SharedBudgetState;
  /** One renewal now (the timer calls it; tests call it directly). */
  tick(): Promise<void>;
  /** Stops renewing, leaves the replica count and closes the connections. */
  close(): Promise<void>;
}

export interface RedisBudgetStoreDeps {
  settings: SharedBudgetSettings;
  commands: Redis;
  subscriber: Redis;
  /** This replica's name in Redis (unique per process). */
  replica: string;
  /** The budget's clock (ms). */
  now: () => number;
  /** Time for the scripts (ms); without it they read the Redis server's clock. */
  redisTime?: () => number;
  timers: Timers;
  holdOverMs: number;
  logger?: Logger;
  hooks?: SharedBudgetHooks;
}

interface Residue {
  readonly level: string;
  readonly bytes: number;
  readonly at: number;
}

export function createRedisBudgetStore(deps: RedisBudgetStoreDeps): SharedBudgetStore {
  const { settings, commands, subscriber, replica, now, timers } = deps;
  const hooks = deps.hooks ?? {};
  const channel = `${settings.keyPrefix}changed`;
  let mode: SharedMode = 'joining';
  let holdMs = deps.holdOverMs;
  let snapshot = EMPTY_SNAPSHOT;
  let lastError: string | undefined;
  /** What the connection last failed with (refused, a wrong password…), for the fallback's reason. */
  let connectionError: string | undefined;
  let lastReplicas = 0;
  /** After a rejoin: the replicas seen before the outage, and until when to wait for them. */
  let settling: { replicas: number; until: number } | undefined;
  let tickTimer: unknown;
  let closed = false;
  let refreshing = false;
  const listeners = new Set<() => void>();
  /** Leases taken and not released (in Redis, or taken here while falling back). */
  const live = new Map<string, { level: string; bytes: number }>();
  /** Takes sent and not answered; those released meanwhile. */
  const pending = new Set<string>();
  const cancelled = new Set<string>();
  let releasedWhileSyncing: string[] = [];
  let residues: Residue[] = [];

  const changed = () => queueMicrotask(() => listeners.forEach((l) => l()));
  const redisNow = () => (deps.redisTime ? String(deps.redisTime()) : '');
  const wire = (bytes: number) => String(Math.ceil(bytes));
  const fallbackShare = (replicas: number) => 1 / Math.max(1, replicas, settings.expectedReplicas);
  const share = () => {
    if (mode !== 'shared') return fallbackShare(lastReplicas);
    if (settling && (snapshot.replicas >= settling.replicas || now() >= settling.until)) settling = undefined;
    return settling ? fallbackShare(settling.replicas) : 1;
  };

  async function run(op: RedisOperation, script: SharedBudgetScript, args: string[]): Promise<unknown> {
    const started = performance.now();
    try {
      const call = (commands as unknown as Record<SharedBudgetScript, (...a: string[]) => Promise<unknown>>)[script];
      const reply = await call.call(commands, settings.keyPrefix, replica, ...args);
      hooks.roundTrip?.(op, (performance.now() - started) / 1000);
      return reply;
    } catch (err) {
      hooks.failed?.(op);
      throw err;
    }
  }

  const apply = (reply: unknown): number => {
    const read = readSnapshot(reply, now(), holdMs);
    snapshot = read.snapshot;
    if (snapshot.replicas > 0) lastReplicas = snapshot.replicas;
    return read.head;
  };

  function fallBack(err: unknown): void {
    // Without a connection ioredis refuses at once (no offline queue): say that rather than its retry limit.
    const message = err instanceof Error ? err.message : String(err);
    lastError = commands.status !== 'ready' && /max retries|connection is closed|writeable/i.test(message) ? `no connection (${commands.status})${connectionError ? `: ${connectionError}` : ''}` : message;
    if (mode === 'fallback' || closed) return;
    const first = mode === 'joining';
    mode = 'fallback';
    hooks.fellBack?.();
    deps.logger?.warn(
      { err: lastError, replicas: lastReplicas, expectedReplicas: settings.expectedReplicas, share: share(), leases: live.size, redis: `${settings.host}:${settings.port}` },
      first
        ? 'shared budget: Redis cannot be reached; admitting against this replica\'s share of the budget (budget ÷ replicas) until it can'
        : 'shared budget: Redis unreachable or too slow; falling back to this replica\'s share of the budget (budget ÷ replicas) until it is back',
    );
    changed();
  }

  const leaseArgs = (entries: Iterable<[string, { level: string; bytes: number }]>): string[] => {
    const list = [...entries];
    return [String(list.length), ...list.flatMap(([id, l]) => [id, l.level, wire(l.bytes)])];
  };

  async function renew(): Promise<void> {
    const restored = apply(await run('renew', 'listgateRenew', [redisNow(), String(settings.leaseTtlMs), String(holdMs), ...leaseArgs(live)]));
    if (restored > 0) {
      hooks.restored?.(restored);
      deps.logger?.warn({ restored }, 'shared budget: leases of this replica had expired in Redis (renewals missed); put back');
    }
  }

  let rejoining: Promise<void> | undefined;
  const rejoin = (): Promise<void> => {
    if (mode === 'shared' || closed) return Promise.resolve();
    return (rejoining ??= sync().finally(() => (rejoining = undefined)));
  };

  /** Replaces what Redis holds of this replica with what it holds, then shares again. */
  async function sync(): Promise<void> {
    const from = mode;
    const before = lastReplicas;
    mode = 'syncing';
    const sent = new Set(live.keys());
    const t = now();
    const recent = residues.filter((r) => t - r.at < holdMs);
    try {
      const residueArgs = [String(recent.length), ...recent.flatMap((r) => [r.level, wire(r.bytes), String(Math.round(t - r.at))])];
      apply(await run('sync', 'listgateSync', [redisNow(), String(settings.leaseTtlMs), String(holdMs), ...leaseArgs(live), ...residueArgs]));
      mode = 'shared';
      settling = from === 'fallback' && snapshot.replicas < before ? { replicas: before, until: now() + settings.leaseTtlMs } : undefined;
      const released = releasedWhileSyncing;
      releasedWhileSyncing = [];
      for (const id of released) void run('release', 'listgateRelease', [redisNow(), String(holdMs), id, '1']).catch(fallBack);
      if ([...live.keys()].some((id) => !sent.has(id))) await renew();
      lastError = undefined;
      deps.logger?.info({ leases: live.size, replicas: lastReplicas, redis: `${settings.host}:${settings.port}` }, from === 'joining' ? 'shared budget: joined' : 'shared budget: Redis is back; rejoined the shared budget with this replica\'s leases');
      changed();
    } catch (err) {
      releasedWhileSyncing = [];
      mode = from;
      fallBack(err);
    }
  }

  /** Reads the shared state again after a change no message described (leases expired, a replica rejoined). */
  function refresh(): void {
    if (refreshing || mode !== 'shared') return;
    refreshing = true;
    renew()
      .then(changed, fallBack)
      .finally(() => (refreshing = false));
  }

  subscriber.on('message', (_channel: string, message: string) => {
    if (mode !== 'shared') return;
    const [owner, level, bytes, heldOver] = message.split('|');
    if (level === undefined || bytes === undefined) return refresh();
    if (owner === replica) return;
    snapshot = applyRelease(snapshot, { level, bytes: Number(bytes), heldOver: heldOver === '1', now: now(), holdMs });
    changed();
  });
  subscriber.on('error', () => undefined);
  commands.on('error', (err: unknown) => {
    connectionError = err instanceof Error ? err.message : String(err);
    if (mode === 'shared') fallBack(err);
  });
  commands.on('close', () => {
    if (mode === 'shared') fallBack(new Error('connection to Redis closed'));
  });
  commands.on('ready', () => {
    connectionError = undefined;
    void rejoin();
  });

  const schedule = () => {
    if (closed) return;
    tickTimer = timers.set(() => void tick().finally(schedule), settings.renewIntervalMs);
  };

  async function tick(): Promise<void> {
    const t = now();
    residues = residues.filter((r) => t - r.at < holdMs);
    if (mode === 'shared') {
      try {
        await renew();
        changed();
      } catch (err) {
        fallBack(err);
      }
    } else if (commands.status === 'ready') {
      await rejoin();
    }
  }

  return {
    others(t) {
      const k = decayed(snapshot, t);
      const out = new Map<string, OthersUsage>();
      for (const [level, l] of snapshot.levels) if (l.others.inUse > 0 || l.others.heldOver > 0) out.set(level, { inUse: l.others.inUse, heldOver: l.others.heldOver * k });
      return out;
    },
    share,
    take(claim: StoreClaim, capacity): true | Promise<TakeOutcome> {
      if (mode !== 'shared') {
        live.set(claim.id, { level: claim.level, bytes: claim.bytes });
        return true;
      }
      const c = capacity();
      holdMs = c.holdOverMs;
      const levels = c.levels.flatMap((l) => [l.name, l.exempt ? '1' : '0', l.retired ? '1' : '0', String(l.share), String(l.ceilingFraction), String(l.heldBack)]);
      const args = [redisNow(), String(settings.leaseTtlMs), String(holdMs), claim.id, claim.level, wire(claim.bytes), claim.force ? '1' : '0', String(c.effectiveBudget), String(c.levels.length), ...levels];
      pending.add(claim.id);
      return run('take', 'listgateTake', args).then(
        (reply) => {
          pending.delete(claim.id);
          const ok = apply(reply) === 1;
          if (cancelled.delete(claim.id)) return ok ? 'taken' : 'refused';
          if (!ok) {
            hooks.refused?.(claim.level);
            return 'refused';
          }
          live.set(claim.id, { level: claim.level, bytes: claim.bytes });
          return 'taken';
        },
        (err: unknown) => {
          pending.delete(claim.id);
          cancelled.delete(claim.id);
          fallBack(err);
          return 'unavailable';
        },
      );
    },
    release(claim, heldOver) {
      const wasPending = pending.has(claim.id);
      if (!live.delete(claim.id) && !wasPending) return;
      if (wasPending) cancelled.add(claim.id);
      if (heldOver && holdMs > 0) residues.push({ level: claim.level, bytes: claim.bytes, at: now() });
      if (mode === 'shared' || wasPending) void run('release', 'listgateRelease', [redisNow(), String(holdMs), claim.id, heldOver ? '1' : '0']).catch(fallBack);
      else if (mode === 'syncing') releasedWhileSyncing.push(claim.id);
    },
    nextChangeAt(t) {
      const held = [...snapshot.levels.values()].some((l) => l.others.heldOver > 0);
      return held && decayed(snapshot, t) > 0 ? t + Math.max(1, Math.min(holdMs, snapshot.othersHeldUntil - t) / 8) : undefined;
    },
    onChange(listener) {
      listeners.add(listener);
    },
    async start() {
      void subscriber.connect().then(() => subscriber.subscribe(channel)).catch(() => undefined);
      schedule();
      try {
        await commands.connect();
      } catch (err) {
        fallBack(err);
        return;
      }
      await rejoin();
    },
    state: () => ({ mode, replica, replicas: lastReplicas, share: share(), lastError: mode === 'shared' ? undefined : lastError, snapshot, leases: live.size }),
    tick,
    async close() {
      closed = true;
      if (tickTimer !== undefined) timers.clear(tickTimer);
      if (mode === 'shared') await run('leave', 'listgateLeave', []).catch(() => undefined);
      await Promise.all([commands.quit().catch(() => commands.disconnect()), subscriber.quit().catch(() => subscriber.disconnect())]);
    },
  };
}
