/**
 * The byte budget: leases on the apiserver's memory, split into priority levels, with a fair queue per
 * level (fair-queue.ts), staggered return times for the rejected (retry-calendar.ts) and the drain rate
 * that prices waiting (drain-model.ts). `admit` resolves once: a lease (at once, after waiting, or
 * exempt), a rejection with its reason and Retry-After, or `aborted` when the caller's signal fires while
 * it waits. A lease is released exactly once (`release()` is idempotent); releasing wakes the queues.
 *
 * A store (budget-store.ts) adds what other replicas hold to every decision and has the last word on a
 * lease: the local one agrees at once; the shared one asks Redis, and a lease it refuses (another replica
 * took the room first) sends the request back to its decision — most often into the queue, whose head is
 * asked for again when room comes back (one ask at a time per level, the head keeping its place).
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
import { localBudgetStore, type BudgetStore, type CapacityContext, type StoreClaim } from './budget-store.js';
import { addOthers, freeBytes, type LevelUsage } from './level-capacity.js';
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


/** A lease granted in the budget's own accounting, not yet (or no longer) wanted by the store. */
interface Granted {
  readonly lease: Lease;
  readonly claim: StoreClaim;
  /** Undoes the grant without a trace (no event, no hold-over): the store did not take it. */
  withdraw(): void;
}

export function createBudget(initial: BudgetSettings, deps: { now: () => number; timers?: Timers; events?: BudgetEvents; store?: BudgetStore }): Budget {
  const { now } = deps;
  const timers = deps.timers ?? realTimers;
  const events = deps.events ?? {};
  const store = deps.store ?? localBudgetStore;
  let nextId = 0;
  /** Levels whose head waits for the store's answer, and levels the store refused until room comes back. */
  const confirming = new Set<string>();
  const blocked = new Set<string>();
  let settings = initial;
  let effective = initial.budgetBytes;
  let closed = false;
  const drain = createDrainModel({ initialHoldMs: initial.initialHoldTimeMs });
  const calendar = createRetryCalendar({ maxSeconds: initial.maxRetryAfterSeconds });
  const levels = createBudgetLevels<Waiter>(initial.levels);
  const holdOver = createHoldOver({ holdMs: initial.holdOverMs ?? 0 });
  let wakeTimer: unknown;

  const usage = (): LevelUsage[] => levels.all().map((l) => ({ ...l.usage(), held: calendar.heldBytes(l.name, now()) + holdOver.bytes(l.name, now()) }));
  /** Room in the whole budget (with the other replicas' usage), and never more than this replica's share of it. */
  const free = (level: LevelState<Waiter>) => {
    const mine = usage();
    const all = addOthers(mine, store.others(now()));
    const room = freeBytes(all.find((u) => u.name === level.name)!, all, effective);
    const share = store.share();
    return share >= 1 ? room : Math.min(room, freeBytes(mine.find((u) => u.name === level.name)!, mine, effective * share));
  };
  const capacity = (): CapacityContext => ({
    effectiveBudget: effective,
    holdOverMs: settings.holdOverMs ?? 0,
    levels: levels.all().map((l) => ({
      name: l.name,
      exempt: l.settings.exempt,
      retired: l.retired,
      share: l.settings.exempt ? 0 : l.settings.share,
      ceilingFraction: l.settings.exempt ? 0 : l.ceilingFraction,
      heldBack: calendar.heldBytes(l.name, now()),
    })),
  });
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
    return drain.rate(level.ceilingFraction * effective * store.share(), { inFlightAgeMs, holdOverMs: settings.holdOverMs ?? 0 });
  };

  const grant = (level: LevelState<Waiter>, bytes: number, force: boolean): Granted => {
    const acquiredAt = now();
    const claim: StoreClaim = { id: String(nextId++), level: level.name, bytes, force };
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
        store.release(claim, true);
        const heldMs = now() - acquiredAt;
        drain.observeHold(heldMs);
        events.released?.({ level: level.name, bytes, heldMs });
        levels.forgetIfDrained(level);
        wake();
        return true;
      },
    };
    level.inUse += bytes;
    level.leases.add(lease);
    grantedAt.set(lease, acquiredAt);
    const withdraw = () => {
      if (lease.released) return;
      lease.released = true;
      level.inUse -= bytes;
      level.leases.delete(lease);
      levels.forgetIfDrained(level);
    };
    return { lease, claim, withdraw };
  };

  /**
   * A lease of `bytes`, counted here at once so that decisions made meanwhile see it: returned as is
   * when the store agrees at once, else once it has answered (undefined: not taken; a refused level waits
   * for room to come back before its queue asks again).
   */
  const acquire = (level: LevelState<Waiter>, bytes: number, force: boolean): Granted | Promise<Granted | undefined> => {
    const granted = grant(level, bytes, force);
    const taken = store.take(granted.claim, capacity);
    if (taken === true) return granted;
    return taken.then((outcome) => {
      if (outcome === 'taken' && !granted.lease.released) return granted;
      granted.withdraw();
      if (outcome === 'refused') blocked.add(level.name);
      return undefined;
    });
  };
  /** A lease the store took for a request that is gone (timed out, left, shut down) meanwhile. */
  const giveBack = (granted: Granted) => {
    granted.withdraw();
    store.release(granted.claim, false);
  };

  /** Seconds until the level can plausibly take `bytes` with `ahead` bytes before it. */
  const projectedWaitMs = (level: LevelState<Waiter>, bytes: number, ahead: number): number => {
    const deficit = ahead + bytes - free(level);
    return deficit <= 0 ? 0 : (deficit / drainRate(level)) * 1000;
  };

  const reject = (level: LevelState<Waiter>, req: BudgetRequest, reason: RejectReason, waitedMs: number, waitMs: number): BudgetOutcome => {
    let retryAfterSeconds: number | undefined;
    if (reason === 'shutting_down') retryAfterSeconds = 1;
    else if (req.offloadPage === 'next') retryAfterSeconds = reason === 'too_large' ? undefined : Math.max(1, Math.ceil(waitMs / 1000));
    else if (reason !== 'too_large') {
      const rate = drainRate(level);
      retryAfterSeconds = calendar.schedule({ key: req.key, level: level.name, bytes: req.bytes, earliestSeconds: waitMs / 1000, bytesPerSecond: rate, now: now() });
      scheduleWake();
    }
    events.rejected?.({ level: level.name, reason, waitedMs, offloadPage: req.offloadPage === 'next' });
    return { decision: 'rejected', reason, retryAfterSeconds, waitedMs, view: view(level) };
  };

  /** Later pages of offloaded LISTs waiting, per level and per level and flow: not counted against the queue's lengths. */
  const pagesWaiting = new Map<string, number>();
  const pageKeys = (level: LevelState<Waiter>, flow: string) => [level.name, `${level.name}\n${flow}`];
  const countPage = (level: LevelState<Waiter>, req: BudgetRequest, delta: 1 | -1) => {
    if (req.offloadPage !== 'next') return;
    for (const k of pageKeys(level, req.flow)) {
      const n = (pagesWaiting.get(k) ?? 0) + delta;
      if (n === 0) pagesWaiting.delete(k);
      else pagesWaiting.set(k, n);
    }
  };
  const pagesOf = (key: string) => pagesWaiting.get(key) ?? 0;

  const settleWaiter = (level: LevelState<Waiter>, w: Waiter, outcome: BudgetOutcome) => {
    countPage(level, w.req, -1);
    if (w.timer !== undefined) timers.clear(w.timer);
    if (w.onAbort) w.req.signal?.removeEventListener('abort', w.onAbort);
    levels.forgetIfDrained(level);
    w.settle(outcome);
  };

  const serve = (level: LevelState<Waiter>, head: QueueEntry<Waiter>, granted: Granted): void => {
    if (!level.queue.serve(head)) return giveBack(granted);
    const w = head.item;
    const waitedMs = now() - w.enqueuedAt;
    events.granted?.({ level: level.name, decision: 'queued', bytes: w.req.bytes, waitedMs });
    settleWaiter(level, w, { decision: 'queued', lease: granted.lease, waitedMs, returning: head.returning });
  };

  function pump(): void {
    for (const level of levels.all()) {
      if (confirming.has(level.name) || blocked.has(level.name)) continue;
      for (let head = level.queue.peek(); head !== undefined; head = level.queue.peek()) {
        if (head.bytes > free(level)) break;
        const got = acquire(level, head.item.req.bytes, false);
        if (!(got instanceof Promise)) {
          serve(level, head, got);
          continue;
        }
        // The head keeps its place while the store answers; newcomers queue behind it.
        confirming.add(level.name);
        void got.then((granted) => {
          confirming.delete(level.name);
          if (granted) serve(level, head, granted);
          pump();
          scheduleWake();
        });
        break;
      }
    }
  }

  /** Room may have come back (a release here or elsewhere, hold-over decayed, a new budget): ask again. */
  function wake(): void {
    blocked.clear();
    pump();
    scheduleWake();
  }
  store.onChange(wake);

  /**
   * Held-back capacity returns when a ticket's window closes unclaimed, held-over bytes as they decay:
   * wake the queues then.
   */
  function scheduleWake(): void {
    if (wakeTimer !== undefined) timers.clear(wakeTimer);
    const t = now();
    const waiting = levels.all().some((l) => l.queue.length > 0);
    const times = [calendar.nextChangeAt(t), waiting ? holdOver.nextChangeAt(t) : undefined, waiting ? store.nextChangeAt(t) : undefined].filter((x): x is number => x !== undefined);
    const at = times.length > 0 ? Math.min(...times) : undefined;
    wakeTimer = at === undefined ? undefined : timers.set(() => {
      wakeTimer = undefined;
      wake();
    }, Math.max(1, at - now()));
  }

  const enqueue = (level: LevelState<Waiter>, req: BudgetRequest, returning: boolean): Promise<BudgetOutcome> =>
    new Promise((resolve) => {
      const w: Waiter = { req, enqueuedAt: now(), settle: resolve };
      w.entry = level.queue.push(req.flow, req.bytes, w, { returning });
      countPage(level, req, 1);
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
    // Later pages of offloaded LISTs are not counted against the lengths (one at most per LIST in flight).
    const [inLevel, inFlow] = pageKeys(level, req.flow).map(pagesOf) as [number, number];
    const full = level.queue.length - inLevel >= q.length || level.queue.flowLength(req.flow) - inFlow >= q.lengthPerFlow;
    if (full && req.offloadPage !== 'next') return { decision: 'rejected', reason: 'queue_full', projectedWaitMs: waitMs, view: v };
    // A piece of an offloaded LIST waits its turn whatever the projection: its client cannot come back later.
    if (waitMs > q.maxWaitMs && req.offloadPage === undefined) return { decision: 'rejected', reason: 'wait_exceeded', projectedWaitMs: waitMs, view: v };
    return { decision: 'queued', projectedWaitMs: waitMs, view: v };
  };

  const admitted = (level: LevelState<Waiter>, req: BudgetRequest, decision: 'admitted' | 'exempt', lease: Lease, waitedMs: number, returning: boolean): BudgetOutcome => {
    level.queue.charge(req.flow, req.bytes);
    events.granted?.({ level: level.name, decision, bytes: req.bytes, waitedMs });
    return { decision, lease, waitedMs, returning };
  };

  /** Admits at once, or — when the store refuses what this replica's view allowed — decides again (twice at most, then queues). */
  async function admitNow(level: LevelState<Waiter>, req: BudgetRequest, decision: 'admitted' | 'exempt', returning: boolean, attempt: number): Promise<BudgetOutcome> {
    const got = acquire(level, req.bytes, decision === 'exempt');
    if (!(got instanceof Promise)) return admitted(level, req, decision, got.lease, 0, returning);
    const started = now();
    const granted = await got;
    if (granted) return admitted(level, req, decision, granted.lease, now() - started, returning);
    const again = decide(level, req, returning);
    if (again.decision === 'rejected') return reject(level, req, again.reason!, now() - started, again.projectedWaitMs ?? 0);
    if (again.decision !== 'queued' && attempt < 2) return admitNow(level, req, again.decision, returning, attempt + 1);
    if (req.signal?.aborted) return { decision: 'aborted', waitedMs: now() - started };
    return enqueue(level, req, returning);
  }

  return {
    async admit(req) {
      const level = levels.get(req.level);
      const ticket = calendar.claim(req.key, now());
      const returning = ticket !== undefined;
      const d = decide(level, req, returning);
      switch (d.decision) {
        case 'exempt':
        case 'admitted':
          return admitNow(level, req, d.decision, returning, 1);
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
      wake();
    },
    setEffectiveBudget(bytes) {
      effective = Math.max(0, Math.min(settings.budgetBytes, bytes));
      wake();
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
