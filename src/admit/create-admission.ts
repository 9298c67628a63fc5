/**
 * Admission assembled: flow schemas pick the priority level and flow (match-flow.ts), the budget leases
 * bytes or queues or rejects (budget.ts), an unpaginated LIST that would be rejected is offloaded — served
 * in pieces, each under a lease of its own (offload-admission.ts) —, the 429 is built (rejection.ts), large admitted LISTs get a
 * Warning (list-hints.ts), and two background loops read the upstream through one bottleneck limiter
 * (one read at a time, spaced): the adaptive budget's /metrics scrape and the streaming-list probe.
 * Requests estimated below `smallRequestBytes`, and watches, streaming lists and requests that load
 * nothing, pass at once without a lease. Settings are plain data: a reload calls `reconfigure`, which
 * keeps every lease and queued request. Framework-free: the gateway's admit step drives it.
 */
import Bottleneck from 'bottleneck';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ClientKind } from '../k8s/client-kind.js';
import { formatBytes } from '../k8s/quantity.js';
import type { UpstreamRequester } from '../estimate/upstream-fetch.js';
import { createUpstreamFetch } from '../estimate/upstream-fetch.js';
import { createAdaptiveBudget } from './adaptive-budget.js';
import { createAdmissionMetrics } from './admission-metrics.js';
import type { AdmissionSettings } from './admission-settings.js';
import { createBudget, type Budget, type Lease, type LevelView, type RejectReason } from './budget.js';
import { realTimers, type Timers } from '../timers.js';
import { createLearningLocks, type LearningLock } from './learning-locks.js';
import { fittingLimit, largeListWarning, type PageEstimate } from './list-hints.js';
import { matchFlow, type AdmissionSubject, type AdmissionTarget } from './match-flow.js';
import { attemptOffload, chooseOffload, planPages, type OffloadDeps, type OffloadGrant, type OffloadQuery } from './offload-admission.js';
import { buildRejection, type Rejection } from './rejection.js';
import { createSharedBudget, type SharedBudget } from './shared/create-shared-budget.js';
import type { SharedBudgetFiles } from './shared/shared-budget-settings.js';
import { createStreamingProbe, type StreamingSupport } from './streaming-probe.js';

export interface AdmissionQuery {
  readonly user: AdmissionSubject;
  readonly target: AdmissionTarget;
  readonly method: string;
  readonly url: string;
  /**
   * `marginBytes`: the part of the estimate an uncertainty margin added; `confidence`: how much it rests
   * on (src/estimate/estimate-types.ts).
   */
  readonly estimate: {
    readonly class: string;
    readonly estimatedBytes: number;
    readonly objects: number;
    readonly marginBytes?: number;
    readonly confidence?: 'high' | 'medium' | 'low';
  };
  /** Who sent the request (from its User-Agent): hints are written for it; `other` when unknown. */
  readonly client?: ClientKind;
  /** Prices a first page of `limit` objects of this LIST, for the pagination hint (the estimator's view). */
  readonly pageBytes?: PageEstimate;
  /** Whether and how an unpaginated LIST can be served in pieces instead of rejected (offload-admission.ts). */
  readonly offload?: OffloadQuery;
  /**
   * Aborts the wait when the client goes away. A function, called only for a request that may wait in
   * a queue: most requests are small and never need a signal made.
   */
  readonly signal?: () => AbortSignal;
}

interface Placement {
  readonly level: string;
  readonly flowSchema: string | undefined;
}

export type AdmissionResult =
  | (Placement & { decision: 'admitted' | 'queued' | 'exempt'; lease: Lease | undefined; waitedMs: number; warning: string | undefined })
  | (Placement & { decision: 'offload'; lease: Lease | undefined; offload: OffloadGrant; waitedMs: number })
  | (Placement & { decision: 'rejected'; reason: RejectReason; rejection: Rejection; waitedMs: number })
  | (Placement & { decision: 'aborted'; waitedMs: number });

export interface Admission {
  enabled(): boolean;
  /** Whether a request of this estimate would take a lease, wait or be rejected (admission enabled, not passing at once). */
  weighs(estimate: AdmissionQuery['estimate']): boolean;
  admit(q: AdmissionQuery): Promise<AdmissionResult>;
  /** What admission would decide now, and why, taking nothing (listgate estimate, /debug/estimate). */
  dryRun(q: AdmissionQuery): { decision: string; reasons: string[] };
  reconfigure(settings: AdmissionSettings): void;
  readonly budget: Budget;
  /** The budget shared through Redis, when `sharedBudget` is configured. */
  readonly shared: SharedBudget | undefined;
  /** LISTs of low confidence waiting for their resource's first LIST to end (learning-locks.ts). */
  learningWaiters(): number;
  streaming(): StreamingSupport;
  /** Shutdown: answers what waits and releases every lease. */
  releaseAll(): number;
  start(): void;
  /** Stops the probes, and leaves the shared budget (its releases sent first). */
  stop(): Promise<void>;
}

export interface AdmissionDeps {
  settings: AdmissionSettings;
  registry: Registry;
  /** The gateway's own way to the upstream (never the forwarding pool); without it nothing is probed. */
  upstream?: UpstreamRequester;
  logger?: Logger;
  now?: () => number;
  timers?: Timers;
  /** The password and certificates `settings.sharedBudget` names (read by config/). */
  sharedBudgetFiles?: SharedBudgetFiles;
}

const PASS_CLASSES = new Set(['watch', 'streaming-list', 'none']);


/** A lease that also holds its resource's learning lock, and gives both back at once. */
class LockedLease implements Lease {
  readonly bytes: number;
  readonly level: string;
  constructor(
    private readonly lease: Lease,
    private readonly lock: LearningLock,
  ) {
    this.bytes = lease.bytes;
    this.level = lease.level;
  }
  get released(): boolean {
    return this.lease.released;
  }
  release(): boolean {
    this.lock.release();
    return this.lease.release();
  }
}

/** Waits for `p` but no longer than `ms` (never rejects). */
function atMost(p: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    p.then(
      () => (clearTimeout(timer), resolve()),
      () => (clearTimeout(timer), resolve()),
    );
  });
}

export function createAdmission(deps: AdmissionDeps): Admission {
  let settings = deps.settings;
  const now = deps.now ?? (() => performance.now());
  const timers = deps.timers ?? realTimers;
  const logger = deps.logger?.child({ component: 'admission' });
  // One upstream read at a time, at least a second apart: admission's probes never load the upstream.
  const limiter = new Bottleneck({ maxConcurrent: 1, minTime: 1_000, highWater: 4, strategy: Bottleneck.strategy.OVERFLOW });
  const streaming = createStreamingProbe({ mode: () => settings.streamingLists, intervalMs: () => settings.streamingProbeIntervalMs, ...(deps.upstream ? { upstream: deps.upstream } : {}), limiter, timers, ...(logger ? { logger } : {}) });
  // The gauges read the budget when scraped, after it exists.
  const metrics = createAdmissionMetrics(deps.registry, { budget: () => b, streaming: () => streaming.state(), learningWaiters: () => learning.waiting() });
  const budgetSettings = (s: AdmissionSettings) => ({ budgetBytes: s.budgetBytes, levels: s.levels, maxRetryAfterSeconds: s.maxRetryAfterSeconds, initialHoldTimeMs: s.initialHoldTimeMs, holdOverMs: s.holdOverMs });
  const shared = settings.sharedBudget
    ? createSharedBudget({ settings: settings.sharedBudget, files: deps.sharedBudgetFiles, registry: deps.registry, now, holdOverMs: settings.holdOverMs, ...(logger ? { logger } : {}) })
    : undefined;
  const b = createBudget(budgetSettings(settings), { now, events: metrics.events, timers, ...(shared ? { store: shared.store } : {}) });
  const fetch = deps.upstream ? createUpstreamFetch(deps.upstream, { timeoutMs: 5_000 }) : undefined;
  const adaptive = fetch
    ? createAdaptiveBudget({
        settings: () => settings.adaptive,
        configuredBudget: () => b.configuredBudget(),
        effectiveBudget: () => b.effectiveBudget(),
        setEffectiveBudget: (bytes) => b.setEffectiveBudget(bytes),
        leasedBytes: () => b.levels().reduce((sum, l) => sum + l.inUseBytes + l.heldOverBytes, 0),
        fetchText: (path) => fetch.fetchText(path),
        limiter,
        timers,
        ...(logger ? { logger } : {}),
        onObserved: (bytes) => metrics.observeUpstreamMemory(bytes),
        onCollection: (outcome) => metrics.observeCollection(outcome),
        now,
      })
    : undefined;

  const place = (q: AdmissionQuery) => {
    const m = matchFlow(q.user, q.target, settings);
    return { match: m, placement: { level: m.level.name, flowSchema: m.flowSchema } };
  };
  /**
   * The bytes to lease: the estimate, except that an uncertainty margin never makes a LIST that fits its
   * level without it one that never can: such a LIST is leased the whole of what its level may hold.
   */
  const leaseBytes = (q: AdmissionQuery, level: string): number => {
    const max = b.level(level)?.maxCeilingBytes ?? Number.POSITIVE_INFINITY;
    const e = q.estimate;
    return e.estimatedBytes > max && e.estimatedBytes - (e.marginBytes ?? 0) <= max ? max : e.estimatedBytes;
  };
  /** A low-confidence LIST goes one at a time per resource (learning-locks.ts). */
  const learning = createLearningLocks({ timers });
  const learnsAlone = (q: AdmissionQuery, exempt: boolean) => !exempt && q.estimate.class === 'list' && q.estimate.confidence === 'low';
  const withLock = (lease: Lease, lock: LearningLock): Lease => new LockedLease(lease, lock);
  const passesAtOnce = (e: AdmissionQuery['estimate']) => PASS_CLASSES.has(e.class) || e.estimatedBytes < settings.smallRequestBytes;
  const passes = (q: AdmissionQuery) => passesAtOnce(q.estimate);
  /** The LIST can be served in pieces (offload on, the gateway says its client can take them, not exempt). */
  const offloadable = (q: AdmissionQuery, exempt: boolean) => !exempt && settings.offload === 'auto' && q.estimate.class === 'list' && q.offload !== undefined && q.offload.refusal === undefined;
  /** Why a LIST that is rejected was not offloaded, for its 429's message. */
  const offloadNote = (q: AdmissionQuery) => (settings.offload === 'auto' && q.estimate.class === 'list' ? q.offload?.refusal : undefined);
  const offloadDeps = (probing: Promise<unknown>): OffloadDeps => ({
    budget: b,
    timers,
    smallRequestBytes: settings.smallRequestBytes,
    maxRetryAfterSeconds: () => settings.maxRetryAfterSeconds,
    streaming: () => streaming.supported(),
    ready: () => atMost(probing, 1_000),
  });
  const reject = (q: AdmissionQuery, r: { reason: RejectReason; retryAfterSeconds: number | undefined; view: LevelView; note: string | undefined }): Rejection =>
    buildRejection({
      reason: r.reason,
      retryAfterSeconds: r.retryAfterSeconds,
      client: q.client ?? 'other',
      estimate: q.estimate,
      target: q.target,
      level: r.view,
      budgetBytes: b.configuredBudget(),
      effectiveBudgetBytes: b.effectiveBudget(),
      streaming: streaming.supported(),
      ...(q.pageBytes ? { pageBytes: q.pageBytes } : {}),
      ...(r.note ? { offloadNote: r.note } : {}),
    });
  const warningFor = (q: AdmissionQuery, level: string) => {
    if (q.estimate.class !== 'list' || q.estimate.estimatedBytes < settings.warningBytes) return undefined;
    const view = b.level(level);
    const limit = fittingLimit(q.estimate, view ? view.maxCeilingBytes / 4 : settings.warningBytes, q.pageBytes);
    return largeListWarning({ estimate: q.estimate, resource: q.target.resource, client: q.client ?? 'other', streaming: streaming.supported(), limit });
  };

  return {
    enabled: () => settings.enabled,
    weighs: (estimate) => settings.enabled && !passesAtOnce(estimate),
    async admit(q) {
      const { match, placement } = place(q);
      if (passes(q)) {
        const decision = match.level.exempt ? 'exempt' : 'admitted';
        return { ...placement, decision, lease: undefined, waitedMs: 0, warning: undefined };
      }
      // The first weighed request starts the streaming-list probe; a 429 waits for its answer (briefly).
      const probing = streaming.demand();
      const signal = q.signal?.();
      const started = now();
      // A LIST the budget would reject is offloaded instead, when it can be: no 429, no learning lock.
      let pageNote: string | undefined;
      if (offloadable(q, match.level.exempt)) {
        const key = `${q.user.username}\n${q.method} ${q.url}`;
        const o = await attemptOffload(offloadDeps(probing), { level: placement.level, flow: match.flow, key, wholeBytes: leaseBytes(q, placement.level), estimate: q.estimate, offload: q.offload!, ...(signal ? { signal } : {}) });
        if (o.outcome !== 'not-offloaded') metrics.observeRequest(placement.level, o.outcome, q.estimate.estimatedBytes);
        switch (o.outcome) {
          case 'offload':
            return { ...placement, decision: 'offload', lease: o.lease, offload: o.grant, waitedMs: o.waitedMs };
          case 'aborted':
            return { ...placement, decision: 'aborted', waitedMs: o.waitedMs };
          case 'rejected':
            if (o.retryAfterSeconds !== undefined) metrics.observeRetryAfter(placement.level, o.retryAfterSeconds);
            return { ...placement, decision: 'rejected', reason: o.reason, rejection: reject(q, { ...o, note: o.note }), waitedMs: o.waitedMs };
          default:
            pageNote = o.note;
        }
      }
      let lock: LearningLock | undefined;
      if (learnsAlone(q, match.level.exempt)) {
        const got = await learning.acquire(`${q.target.apiGroup}/${q.target.resource}`, { waitMs: match.level.queue.maxWaitMs, ...(signal ? { signal } : {}) });
        if (got === 'aborted') return { ...placement, decision: 'aborted', waitedMs: now() - started };
        if (got === 'timeout' || got === 'closed') {
          await atMost(probing, 1_000);
          const reason = got === 'closed' ? 'shutting_down' : 'timeout';
          const retryAfterSeconds = got === 'closed' ? 1 : Math.min(settings.maxRetryAfterSeconds, Math.max(1, Math.ceil(b.meanHoldMs() / 1000)));
          metrics.observeRetryAfter(placement.level, retryAfterSeconds);
          const rejection = reject(q, { reason, retryAfterSeconds, view: b.level(placement.level)!, note: offloadNote(q) });
          return { ...placement, decision: 'rejected', reason, rejection, waitedMs: now() - started };
        }
        lock = got;
      }
      const bytes = leaseBytes(q, placement.level);
      const outcome = await b.admit({ level: placement.level, flow: match.flow, bytes, key: `${q.user.username}\n${q.method} ${q.url}`, ...(signal ? { signal } : {}) });
      metrics.observeRequest(placement.level, outcome.decision, q.estimate.estimatedBytes);
      if (outcome.decision === 'aborted' || outcome.decision === 'rejected') lock?.release();
      if (outcome.decision === 'aborted') return { ...placement, decision: 'aborted', waitedMs: outcome.waitedMs };
      if (outcome.decision !== 'rejected') {
        // A large LIST's Warning names the right way to list: wait (briefly) for the first probe's answer.
        if (q.estimate.class === 'list' && q.estimate.estimatedBytes >= settings.warningBytes) await atMost(probing, 1_000);
        const lease = lock ? withLock(outcome.lease, lock) : outcome.lease;
        return { ...placement, decision: outcome.decision, lease, waitedMs: outcome.waitedMs, warning: warningFor(q, placement.level) };
      }
      if (outcome.retryAfterSeconds !== undefined) metrics.observeRetryAfter(placement.level, outcome.retryAfterSeconds);
      await atMost(probing, 1_000);
      const rejection = reject(q, { reason: outcome.reason, retryAfterSeconds: outcome.retryAfterSeconds, view: outcome.view, note: offloadNote(q) ?? pageNote });
      return { ...placement, decision: 'rejected', reason: outcome.reason, rejection, waitedMs: outcome.waitedMs };
    },
    dryRun(q) {
      const { match, placement } = place(q);
      const reasons = [`flow schema ${placement.flowSchema ?? '(none matched)'} → priority level ${placement.level}, flow ${match.flow}`];
      if (!settings.enabled) return { decision: 'admitted', reasons: [...reasons, 'admission is disabled (admission.enabled: false): every request passes'] };
      if (passes(q)) {
        const why = PASS_CLASSES.has(q.estimate.class) ? `a ${q.estimate.class} request holds no lease` : `below admission.smallRequestBytes (${formatBytes(settings.smallRequestBytes)})`;
        return { decision: match.level.exempt ? 'exempt' : 'admitted', reasons: [...reasons, `passes at once: ${why}`] };
      }
      const leased = leaseBytes(q, placement.level);
      if (leased !== q.estimate.estimatedBytes) reasons.push(`the uncertainty margin would make it larger than its level may ever hold: leased ${formatBytes(leased)}, all the level may hold`);
      if (learnsAlone(q, match.level.exempt)) reasons.push(`low confidence (nothing known of its sizes yet): goes only while no other such LIST of ${q.target.resource} is in flight, until a whole response has taught them`);
      const p = b.preview({ level: placement.level, flow: match.flow, bytes: leased, key: '' });
      const v = p.view;
      if (v.exempt) {
        reasons.push(`estimated ${formatBytes(q.estimate.estimatedBytes)}; an exempt level never waits (its lease still counts against the budget, ${formatBytes(b.inUseBytes())} in use)`);
        return { decision: p.decision, reasons };
      }
      reasons.push(`estimated ${formatBytes(q.estimate.estimatedBytes)}; the level may hold ${formatBytes(v.ceilingBytes)} now (at most ${formatBytes(v.maxCeilingBytes)}), ${formatBytes(v.inUseBytes)} in use, ${formatBytes(v.freeBytes)} free, ${v.queuedRequests} queued`);
      if (p.decision === 'queued') reasons.push(`would wait about ${Math.ceil((p.projectedWaitMs ?? 0) / 100) / 10} s in the queue (at most ${settings.levels.find((l) => l.name === placement.level)?.queue.maxWaitMs ?? 0} ms)`);
      if (p.decision === 'rejected' && offloadable(q, match.level.exempt)) {
        const plan = planPages({ estimate: q.estimate, pageBytes: q.offload!.pageBytes, view: v });
        if (!('refusal' in plan)) {
          const mode = chooseOffload(q.offload!, plan, streaming.supported());
          reasons.push(`does not fit (${p.reason}): would be offloaded, ${mode === 'watch' ? 'served as a streaming list' : `served in pages of ${plan.limit} objects, each leased ${formatBytes(plan.bytes)}`}`);
          return { decision: 'offload', reasons };
        }
        reasons.push(`cannot be offloaded: ${plan.refusal}`);
      } else if (p.decision === 'rejected' && offloadNote(q)) reasons.push(`cannot be offloaded: ${offloadNote(q)}`);
      if (p.decision === 'rejected') reasons.push(`would be answered 429 (${p.reason})`);
      if (p.decision === 'admitted') reasons.push('would be admitted at once');
      return { decision: p.decision, reasons };
    },
    reconfigure(next) {
      // A budget that was not lowered by the adaptive budget (or no longer can be) follows the new one at once.
      const full = !next.adaptive.enabled || b.effectiveBudget() >= b.configuredBudget();
      settings = next;
      b.reconfigure(budgetSettings(next));
      if (full) b.setEffectiveBudget(next.budgetBytes);
    },
    budget: b,
    shared,
    learningWaiters: () => learning.waiting(),
    streaming: () => streaming.state(),
    releaseAll: () => {
      learning.close();
      return b.releaseAll();
    },
    start() {
      shared?.start();
      streaming.start();
      adaptive?.start();
    },
    async stop() {
      streaming.stop();
      adaptive?.stop();
      void limiter.stop({ dropWaitingJobs: true }).catch(() => undefined);
      await shared?.close();
    },
  };
}
