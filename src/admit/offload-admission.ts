/**
 * Offload, admission's third answer beside admit and reject: an unpaginated LIST that would be rejected
 * (it does not fit its level now, or never can) is served by the gateway in pieces the apiserver can
 * afford, when its client can take the stitched answer (src/gateway/offload-eligibility.ts says so):
 *   - `pages`: consecutive consistent pages, `limit` sized so a page fits the level now (at most half of
 *     what the level may hold, so the next page fits beside the garbage the last one leaves); each page
 *     takes a lease of its own estimate: the first one here, as the request's admission, the next ones
 *     through `nextLease` as the previous page ends;
 *   - `watch`: one streaming list (a watch with sendInitialEvents=true), when the upstream serves them
 *     and it costs the apiserver less than a page; leased like any streaming list.
 * Every piece waits in its level's queue whatever its projected wait (its client cannot come back
 * later). The first one is the request's admission: it is answered 429 when the queue is full or its wait
 * runs out (the message says why). A later page is no 429 (its client is answered already) and does not
 * count against the queue's lengths; when its wait runs out it asks again, a bounded number of times.
 */
import { formatBytes } from '../k8s/quantity.js';
import type { Budget, Lease, LevelView, RejectReason, Timers } from './budget.js';
import { fittingLimit, safeName, type HintEstimate, type PageEstimate } from './list-hints.js';

export type OffloadMode = 'pages' | 'watch';

/** What the gateway tells admission about serving a LIST in pieces. */
export interface OffloadQuery {
  /** Why this LIST cannot be served in pieces (a protobuf-only client, a paginated request …); undefined when it can. */
  readonly refusal?: string;
  /** Prices a page of `limit` objects of the LIST's offloaded form (consistent, paginated). */
  readonly pageBytes: PageEstimate;
  /** What a streaming list of the same collection would hold; undefined when it cannot be served as one. */
  readonly streamBytes?: number;
}

/** Why a page got no lease: a rejection reason of the budget, or the client left while it waited. */
export interface PageRefusal {
  readonly refused: RejectReason | 'aborted';
  readonly message: string;
}

export interface OffloadGrant {
  readonly mode: OffloadMode;
  /** Objects per page (also the plan of a streaming list that falls back to pages). */
  readonly limit: number;
  /** Each page's lease: the estimate of one page of `limit` objects. */
  readonly pageBytes: number;
  readonly level: string;
  /** A lease for the next page; never rejects. */
  nextLease(signal: AbortSignal): Promise<Lease | PageRefusal>;
}

export function isLease(x: Lease | PageRefusal): x is Lease {
  return 'release' in x;
}

export interface PagePlan {
  readonly limit: number;
  readonly bytes: number;
}

/**
 * The page size of an offloaded LIST: pages that fit what the level can take now (at least an eighth of
 * what it may hold, so a busy level gets pages worth queuing for; at most half, so the next page fits
 * beside the last one's garbage), or why no page can ever fit. Pure.
 */
export function planPages(opts: { estimate: HintEstimate; pageBytes: PageEstimate; view: LevelView }): PagePlan | { refusal: string } {
  const { view, pageBytes } = opts;
  const one = pageBytes(1);
  if (one > view.maxCeilingBytes) {
    return { refusal: `a page of one object is estimated at ${formatBytes(one)}, more than priority level ${safeName(view.name)} can ever hold (${formatBytes(view.maxCeilingBytes)})` };
  }
  const ceiling = view.ceilingBytes;
  const target = Math.max(one, Math.min(ceiling / 2, Math.max(view.freeBytes, ceiling / 8)));
  const limit = fittingLimit(opts.estimate, target, pageBytes);
  return { limit, bytes: pageBytes(limit) };
}

/** A streaming list when the upstream serves them and it costs the apiserver less than one page. Pure. */
export function chooseOffload(q: OffloadQuery, plan: PagePlan, streaming: boolean): OffloadMode {
  return streaming && q.streamBytes !== undefined && q.streamBytes <= plan.bytes ? 'watch' : 'pages';
}

/** A later page asks again this many times before the offload gives up. */
export const PAGE_ATTEMPTS = 10;

/** A page refused after waiting at least this long in its queue asks again at once. */
const RETRY_AT_ONCE_AFTER_MS = 1000;

const WHY_WAIT: Partial<Record<RejectReason, string>> = {
  queue_full: 'the queue was full',
  wait_exceeded: 'the wait would have been too long',
  timeout: 'it waited the longest the queue allows',
};

/**
 * The lease of every page after the first: the budget's queue, and when it would reject, asked again (at
 * the time it names, at most `maxRetryAfterSeconds` apart; at once after a full wait of a second or more), up to
 * PAGE_ATTEMPTS times.
 */
export function pageLeases(deps: {
  budget: Budget;
  timers: Timers;
  level: string;
  flow: string;
  key: string;
  bytes: number;
  maxRetryAfterSeconds: () => number;
}): (signal: AbortSignal) => Promise<Lease | PageRefusal> {
  const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      const done = () => {
        deps.timers.clear(handle);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const handle = deps.timers.set(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  return async (signal) => {
    let last: RejectReason = 'timeout';
    for (let attempt = 0; attempt < PAGE_ATTEMPTS; attempt++) {
      if (signal.aborted) return { refused: 'aborted', message: 'the client went away' };
      const o = await deps.budget.admit({ level: deps.level, flow: deps.flow, bytes: deps.bytes, key: deps.key, signal, offloadPage: 'next' });
      if (o.decision === 'aborted') return { refused: 'aborted', message: 'the client went away' };
      if (o.decision !== 'rejected') return o.lease;
      last = o.reason;
      if (o.reason === 'too_large' || o.reason === 'shutting_down') break;
      // It waited its level's longest already (a second or more): in line again at once; else (a level
      // whose queue waits less, down to none) when the budget says, so the attempts span the hold-over
      // of the page before it rather than the same instant.
      if (o.reason !== 'timeout' || o.waitedMs < RETRY_AT_ONCE_AFTER_MS) await sleep(Math.min(deps.maxRetryAfterSeconds(), o.retryAfterSeconds ?? 1) * 1000, signal);
    }
    const why = last === 'too_large' ? 'a page no longer fits its priority level' : last === 'shutting_down' ? 'the gateway is shutting down' : `a page got no lease in ${PAGE_ATTEMPTS} attempts (${WHY_WAIT[last] ?? last})`;
    return { refused: last, message: why };
  };
}

/** Why an offloaded LIST's first piece was refused, for the 429's message. */
const FIRST_WHY: Record<RejectReason, string> = {
  too_large: 'is more than the priority level can ever hold',
  queue_full: 'did not fit now and the queue was full',
  wait_exceeded: 'would have waited longer than the queue allows',
  timeout: 'waited the longest the queue allows',
  shutting_down: 'arrived while this gateway shuts down',
};

/** What came of trying to offload a LIST the budget would reject. */
export type OffloadAttempt =
  | { readonly outcome: 'offload'; readonly lease: Lease | undefined; readonly grant: OffloadGrant; readonly waitedMs: number }
  | { readonly outcome: 'aborted'; readonly waitedMs: number }
  | { readonly outcome: 'rejected'; readonly reason: RejectReason; readonly retryAfterSeconds: number | undefined; readonly view: LevelView; readonly note: string; readonly waitedMs: number }
  /** Not offloaded: the whole LIST is not rejected (it goes on as usual), or no page can fit (`note` says why). */
  | { readonly outcome: 'not-offloaded'; readonly note: string | undefined };

export interface OffloadDeps {
  readonly budget: Budget;
  readonly timers: Timers;
  /** A piece estimated below this passes without a lease. */
  readonly smallRequestBytes: number;
  readonly maxRetryAfterSeconds: () => number;
  /** Whether the upstream serves streaming lists, once its probe has answered (`ready`). */
  readonly streaming: () => boolean;
  readonly ready: () => Promise<void>;
}

/**
 * Offloads a LIST its level would reject (as `preview` says: nothing is taken when it would not be):
 * plans its pages, chooses pages or a streaming list, and admits its first piece.
 */
export async function attemptOffload(
  deps: OffloadDeps,
  r: { level: string; flow: string; key: string; wholeBytes: number; estimate: HintEstimate; offload: OffloadQuery; signal?: AbortSignal },
): Promise<OffloadAttempt> {
  const b = deps.budget;
  const whole = b.preview({ level: r.level, flow: r.flow, bytes: r.wholeBytes, key: r.key });
  const view = b.level(r.level);
  if (whole.decision !== 'rejected' || !view) return { outcome: 'not-offloaded', note: undefined };
  const plan = planPages({ estimate: r.estimate, pageBytes: r.offload.pageBytes, view });
  if ('refusal' in plan) return { outcome: 'not-offloaded', note: plan.refusal };
  await deps.ready();
  const mode = chooseOffload(r.offload, plan, deps.streaming());
  const bytes = mode === 'watch' ? r.offload.streamBytes! : plan.bytes;
  const nextLease = pageLeases({ budget: b, timers: deps.timers, level: r.level, flow: r.flow, key: r.key, bytes: plan.bytes, maxRetryAfterSeconds: deps.maxRetryAfterSeconds });
  const grant: OffloadGrant = { mode, limit: plan.limit, pageBytes: plan.bytes, level: r.level, nextLease };
  if (bytes < deps.smallRequestBytes) return { outcome: 'offload', lease: undefined, grant, waitedMs: 0 };
  const first = await b.admit({ level: r.level, flow: r.flow, bytes, key: r.key, offloadPage: 'first', ...(r.signal ? { signal: r.signal } : {}) });
  if (first.decision === 'aborted') return { outcome: 'aborted', waitedMs: first.waitedMs };
  if (first.decision !== 'rejected') return { outcome: 'offload', lease: first.lease, grant, waitedMs: first.waitedMs };
  const what = mode === 'watch' ? 'as a streaming list' : `in pages of ${plan.limit} objects (${formatBytes(plan.bytes)} of apiserver memory each)`;
  const note = `it was to be served ${what}, and ${mode === 'watch' ? 'that' : 'its first page'} ${FIRST_WHY[first.reason]}`;
  return { outcome: 'rejected', reason: first.reason, retryAfterSeconds: first.retryAfterSeconds, view: first.view, note, waitedMs: first.waitedMs };
}
