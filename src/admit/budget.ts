/**
 * The byte budget: leases on the apiserver's memory, split into priority levels, with a fair queue per
 * level (fair-queue.ts), staggered return times for the rejected (retry-calendar.ts) and the drain rate
 * that prices waiting (drain-model.ts). `admit` resolves once: a lease (at once, after waiting, or
 * exempt), a rejection with its reason and Retry-After, or `aborted` when the caller's signal fires while
 * it waits. A lease is released exactly once (`release()` is idempotent); releasing wakes the queues.
 *
 * Why not bottleneck: it has weighted concurrency and priorities, but no limit on how long a job may
 * wait in its queue (its `expiration` bounds running time), no fair queuing across keys (a
 * Bottleneck.Group is one independent limiter per key, not fair shares of one budget), no capacity
 * that changes under load (the adaptive budget), and no way to hold capacity back for a client returning
 * at its Retry-After time. bottleneck rate-limits admission's upstream probes instead (create-admission.ts).
 */
import { createBudgetLevels, type LevelState } from './budget-levels.js';
import { createDrainModel } from './drain-model.js';
import { type QueueEntry } from './fair-queue.js';
import { createHoldOver } from './hold-over.js';
import { freeBytes } from './level-capacity.js';
import { createRetryCalendar } from './retry-calendar.js';
import type { Budget, BudgetEvents, BudgetOutcome, BudgetPreview, BudgetRequest, BudgetSettings, Lease, LevelView, RejectReason, Timers } from './budget-types.js';
import { realTimers } from '../timers.js';

export type * from './budget-types.js';

interface Waiter {
  readonly req: BudgetRequest;
  readonly enqueuedAt: number;
  readonly settle: (outcome: BudgetOutcome) => void;
  entry?: QueueEntry<Waiter>;
  timer?: unknown;
  onAbort?: () => void;
}


export function createBudget(initial: BudgetSettings, deps: { now: () => number; timers?: Timers; events?: BudgetEvents }): Budget {
  const { now } = deps;
  const timers = deps.timers ?? realTimers;
  const events = deps.events ?? {};
  let settings = initial;
  let effective = initial.budgetBytes;
  let closed = false;
  const drain = createDrainModel({ initialHoldMs: initial.initialHoldTimeMs });
  const calendar = createRetryCalendar({ maxSeconds: initial.maxRetryAfterSeconds });
  const levels = createBudgetLevels<Waiter>(initial.levels);
  const holdOver = createHoldOver({ holdMs: initial.holdOverMs ?? 0 });
  let wakeTimer: unknown;

  const usage = () => levels.all().map((l) => ({ ...l.usage(), held: calendar.heldBytes(l.name, now()) + holdOver.bytes(l.name, now()) }));
  const free = (level: LevelState<Waiter>) => {
    const all = usage();
    return freeBytes(all.find((u) => u.name === level.name)!, all, effective);
  };
  const view = (level: LevelState<Waiter>): LevelView => ({
    name: level.name,
    exempt: level.settings.exempt,
    guaranteedBytes: level.retired || level.settings.exempt ? 0 : level.settings.share * effective,
    ceilingBytes: level.ceilingFraction * effective,
    maxCeilingBytes: level.ceilingFraction * settings.budgetBytes,
    inUseBytes: level.inUse,
    heldBytes: calendar.heldBytes(level.name, now()),
    heldOverBytes: holdOver.bytes(level.name, now()),
    freeBytes: Math.max(0, free(level)),
    queuedBytes: level.queue.bytes,
    queuedRequests: level.queue.length,
    leases: level.leases.size,
  });

  /** When each lease in flight was granted: their mean age slows the drain estimate while they last. */
  const grantedAt = new WeakMap<Lease, number>();
  const drainRate = (level: LevelState<Waiter>): number => {
    const t = now();
    let age = 0;
    for (const l of level.leases) age += t - (grantedAt.get(l) ?? t);
    const inFlightAgeMs = level.leases.size > 0 ? age / level.leases.size : 0;
    return drain.rate(level.ceilingFraction * effective, { inFlightAgeMs, holdOverMs: settings.holdOverMs ?? 0 });
  };

  const grant = (level: LevelState<Waiter>, bytes: number): Lease => {
    const acquiredAt = now();
    // `released` a plain property, not a getter: a getter in a literal made per lease gets a hidden class
    // of its own, which keeps the request's objects alive across young-generation collections.
    const lease: { -readonly [K in keyof Lease]: Lease[K] } = {
      bytes,
      level: level.name,
      released: false,
      release() {
        if (lease.released) return false;
        lease.released = true;
        level.inUse -= bytes;
        level.released += bytes;
        level.queue.advance(level.released);
        level.leases.delete(lease);
        if (!closed) holdOver.add(level.name, bytes, now());
        const heldMs = now() - acquiredAt;
        drain.observeHold(heldMs);
        events.released?.({ level: level.name, bytes, heldMs });
        levels.forgetIfDrained(level);
        pump();
        scheduleWake();
        return true;
      },
    };
    level.inUse += bytes;
    level.leases.add(lease);
    grantedAt.set(lease, acquiredAt);
    return lease;
  };

  /** Seconds until the level can plausibly take `bytes` with `ahead` bytes before it. */
  const projectedWaitMs = (level: LevelState<Waiter>, bytes: number, ahead: number): number => {
    const deficit = ahead + bytes - free(level);
    return deficit <= 0 ? 0 : (deficit / drainRate(level)) * 1000;
  };

  const reject = (level: LevelState<Waiter>, req: BudgetRequest, reason: RejectReason, waitedMs: number, waitMs: number): BudgetOutcome => {
    let retryAfterSeconds: number | undefined;
    if (reason === 'shutting_down') retryAfterSeconds = 1;
    else if (reason !== 'too_large') {
      const rate = drainRate(level);
      retryAfterSeconds = calendar.schedule({ key: req.key, level: level.name, bytes: req.bytes, earliestSeconds: waitMs / 1000, bytesPerSecond: rate, now: now() });
      scheduleWake();
    }
    events.rejected?.({ level: level.name, reason, waitedMs });
    return { decision: 'rejected', reason, retryAfterSeconds, waitedMs, view: view(level) };
  };

  const settleWaiter = (level: LevelState<Waiter>, w: Waiter, outcome: BudgetOutcome) => {
    if (w.timer !== undefined) timers.clear(w.timer);
    if (w.onAbort) w.req.signal?.removeEventListener('abort', w.onAbort);
    levels.forgetIfDrained(level);
    w.settle(outcome);
  };

  function pump(): void {
    for (const level of levels.all()) {
      for (let head = level.queue.peek(); head !== undefined; head = level.queue.peek()) {
        if (head.bytes > free(level)) break;
        level.queue.shift();
        const w = head.item;
        const waitedMs = now() - w.enqueuedAt;
        events.granted?.({ level: level.name, decision: 'queued', bytes: w.req.bytes, waitedMs });
        settleWaiter(level, w, { decision: 'queued', lease: grant(level, w.req.bytes), waitedMs, returning: head.returning });
      }
    }
  }

  /**
   * Held-back capacity returns when a ticket's window closes unclaimed, held-over bytes as they decay:
   * wake the queues then.
   */
  function scheduleWake(): void {
    if (wakeTimer !== undefined) timers.clear(wakeTimer);
    const t = now();
    const times = [calendar.nextChangeAt(t), levels.all().some((l) => l.queue.length > 0) ? holdOver.nextChangeAt(t) : undefined].filter((x): x is number => x !== undefined);
    const at = times.length > 0 ? Math.min(...times) : undefined;
    wakeTimer = at === undefined ? undefined : timers.set(() => {
      wakeTimer = undefined;
      pump();
      scheduleWake();
    }, Math.max(1, at - now()));
  }

  const enqueue = (level: LevelState<Waiter>, req: BudgetRequest, returning: boolean): Promise<BudgetOutcome> =>
    new Promise((resolve) => {
      const w: Waiter = { req, enqueuedAt: now(), settle: resolve };
      w.entry = level.queue.push(req.flow, req.bytes, w, { returning });
      scheduleWake();
      w.timer = timers.set(() => {
        if (w.entry && level.queue.remove(w.entry)) settleWaiter(level, w, reject(level, req, 'timeout', now() - w.enqueuedAt, projectedWaitMs(level, req.bytes, level.queue.bytes)));
      }, level.settings.queue.maxWaitMs);
      if (req.signal) {
        w.onAbort = () => {
          if (w.entry && level.queue.remove(w.entry)) settleWaiter(level, w, { decision: 'aborted', waitedMs: now() - w.enqueuedAt });
        };
        req.signal.addEventListener('abort', w.onAbort, { once: true });
      }
    });

  /** The decision without side effects; `returning` when the request holds a ticket. */
  const decide = (level: LevelState<Waiter>, req: Omit<BudgetRequest, 'signal'>, returning: boolean): BudgetPreview => {
    const v = view(level);
    if (level.settings.exempt) return { decision: 'exempt', view: v };
    if (closed) return { decision: 'rejected', reason: 'shutting_down', view: v };
    if (req.bytes > v.maxCeilingBytes) return { decision: 'rejected', reason: 'too_large', view: v };
    const ahead = returning ? level.queue.returningBytes : level.queue.bytes;
    const nobodyAhead = returning ? level.queue.returningBytes === 0 : level.queue.length === 0;
    if (nobodyAhead && req.bytes <= free(level)) return { decision: 'admitted', view: v };
    const waitMs = projectedWaitMs(level, req.bytes, ahead);
    const q = level.settings.queue;
    if (level.queue.length >= q.length || level.queue.flowLength(req.flow) >= q.lengthPerFlow) {
      return { decision: 'rejected', reason: 'queue_full', projectedWaitMs: waitMs, view: v };
    }
    if (waitMs > q.maxWaitMs) return { decision: 'rejected', reason: 'wait_exceeded', projectedWaitMs: waitMs, view: v };
    return { decision: 'queued', projectedWaitMs: waitMs, view: v };
  };

  return {
    async admit(req) {
      const level = levels.get(req.level);
      const ticket = calendar.claim(req.key, now());
      const returning = ticket !== undefined;
      const d = decide(level, req, returning);
      switch (d.decision) {
        case 'exempt':
        case 'admitted': {
          level.queue.charge(req.flow, req.bytes);
          events.granted?.({ level: level.name, decision: d.decision, bytes: req.bytes, waitedMs: 0 });
          return { decision: d.decision, lease: grant(level, req.bytes), waitedMs: 0, returning };
        }
        case 'rejected':
          return reject(level, req, d.reason!, 0, d.projectedWaitMs ?? 0);
        case 'queued':
          if (req.signal?.aborted) return { decision: 'aborted', waitedMs: 0 };
          return enqueue(level, req, returning);
      }
    },
    preview: (req) => decide(levels.get(req.level), req, false),
    reconfigure(next) {
      settings = next;
      holdOver.setHoldMs(next.holdOverMs ?? 0);
      effective = Math.min(effective, next.budgetBytes);
      calendar.setMaxSeconds(next.maxRetryAfterSeconds);
      levels.reconfigure(next.levels);
      pump();
    },
    setEffectiveBudget(bytes) {
      effective = Math.max(0, Math.min(settings.budgetBytes, bytes));
      pump();
    },
    effectiveBudget: () => effective,
    configuredBudget: () => settings.budgetBytes,
    inUseBytes: () => levels.all().reduce((sum, l) => sum + l.inUse, 0),
    levels: () => levels.all().map(view),
    level(name) {
      const level = levels.find(name);
      return level ? view(level) : undefined;
    },
    meanHoldMs: () => drain.meanHoldMs(),
    releaseAll() {
      closed = true;
      let released = 0;
      for (const level of levels.all()) {
        for (const w of level.queue.clear()) settleWaiter(level, w, reject(level, w.req, 'shutting_down', now() - w.enqueuedAt, 0));
        for (const lease of [...level.leases]) if (lease.release()) released += 1;
      }
      holdOver.clear();
      if (wakeTimer !== undefined) timers.clear(wakeTimer);
      return released;
    },
  };
}
