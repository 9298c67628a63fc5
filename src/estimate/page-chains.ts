/**
 * Paginated lists. One page is a slice of the collection in key order (namespace, then name), so its
 * average object size is a biased sample: the first page of a secrets list may be all small app secrets
 * and the fifth all Helm releases. So:
 * - pages are summed along their continue tokens, and a chain counts as one observation of the whole
 *   collection when its last page arrives (chains whose first page was not seen are ignored);
 * - the bytes per item of page N of a given query (its "shape": resource, scope, limit, selectors,
 *   representation) are learned as an EWMA, so the same pagination repeated (kubectl's chunked gets, a
 *   relisting controller) is priced page by page. The page number of a continued request is known from
 *   the chain its token belongs to.
 * A collection that changed since (objects created or deleted) shifts which objects a page holds, so a
 * page of a known chain is also priced from the last completed chain's profile, re-anchored: the slice
 * it covers counted from the start and counted from the end of the list (objects added in the middle
 * shift the pages after them), the larger of the two.
 * A client may ask for the next page before the previous one has ended and been learned from, so a
 * page's continue token is announced (`expect`) as soon as its metadata is read: the next page then
 * knows its place in the chain, with the bytes before it approximate until the page is added.
 * Unfinished chains expire, and the number of chains and of learned pages is bounded.
 * Work and memory per page are constant, however long a chain: a chain's pages are appended to one log
 * it shares with every token along it, never copied (page-profile.ts: bounded, read through prefix sums).
 */
import { appendPage, newChainLog, profileOf, sliceBytes, type ChainLog, type Profile, type Work } from './page-profile.js';

export { MAX_SEGMENTS } from './page-profile.js';

export interface PageTotals {
  bytes: number;
  items: number;
  pages: number;
}

export interface PagePosition {
  /** 0 for the first page. */
  index: number;
  /** Items the chain's earlier pages held, and their bytes (response encoding). */
  itemsBefore: number;
  bytesBefore: number;
  /** remainingItemCount of the previous page: what is left of the chain's snapshot. */
  remaining?: number;
  /** Response bytes per item (in the response's encoding and conversion) learned for this page. */
  learned?: { bytes: number; samples: number };
  /** True when an earlier page was announced but not yet added: bytesBefore holds a low guess of it. */
  approximate?: boolean;
  /**
   * Response bytes per item of the slice this page covers in the last completed chain of the query,
   * re-anchored from the start and from the end of the list (the larger); needs `remaining` and a limit.
   */
  anchored?: { bytes: number; shifted: boolean };
}

export interface PageChainStats {
  openChains: number;
  /** Segments held by the logs of open chains and the profiles of whole chains. */
  segments: number;
  /** Segment reads and writes so far: the work done, which grows with the pages, not with their square. */
  operations: number;
}

export interface PageView {
  /** Where in its chain the page this request asks for is, if known (always for a first page). */
  pagePosition(shape: string, requested: string | undefined, limit?: number): PagePosition | undefined;
}

export interface PageChains extends PageView {
  /**
   * Adds one answered page: `requested` is the continue token the request carried (undefined for a first
   * page), `next` the one its answer carried. Returns the chain's totals when this page completed it.
   */
  add(page: { shape: string; requested?: string; next?: string; remaining?: number; bytes: number; items: number }): PageTotals | undefined;
  /**
   * Announces a page still streaming: `next` is its continue token, `items` what it will hold (the
   * limit). Places the page after it in the chain until `add` gives the real totals; meanwhile its bytes
   * are what this page held before (learned), else the chain's earlier pages' average, else none (low
   * guesses: the rest of the list, priced from them, errs high).
   */
  expect(page: { shape: string; requested?: string; next: string; remaining?: number; items: number }): void;
  stats(): PageChainStats;
}

interface OpenChain extends PageTotals {
  shape: string;
  /** The chain's log; it holds this entry's pages only while `log.pages === pages` (else the entry is approximate). */
  log: ChainLog;
  remaining?: number;
  at: number;
  approximate?: boolean;
}

export function createPageChains(opts: { now: () => number; ttlMs?: number; maxChains?: number; maxPages?: number; alpha?: number }): PageChains {
  const ttlMs = opts.ttlMs ?? 10 * 60_000;
  const maxChains = opts.maxChains ?? 1000;
  const maxPages = opts.maxPages ?? 5000;
  const alpha = opts.alpha ?? 0.5;
  const open = new Map<string, OpenChain>();
  const learned = new Map<string, { bytes: number; samples: number }>();
  const profiles = new Map<string, Profile>();
  const work: Work = { operations: 0 };

  const expire = (): void => {
    const now = opts.now();
    for (const [token, chain] of open) {
      if (now - chain.at <= ttlMs && open.size <= maxChains) break; // insertion order: oldest first
      open.delete(token);
    }
  };
  const chainOf = (shape: string, requested: string | undefined): (PageTotals & { remaining?: number; approximate?: boolean; log: ChainLog }) | undefined => {
    if (requested === undefined) return { bytes: 0, items: 0, pages: 0, log: newChainLog() };
    const chain = open.get(requested);
    return chain && chain.shape === shape ? chain : undefined;
  };
  const learn = (shape: string, index: number, bytes: number, items: number): void => {
    if (!(items > 0)) return;
    const k = `${shape}\u0000${index}`;
    const prev = learned.get(k);
    const perItem = bytes / items;
    learned.delete(k);
    if (learned.size >= maxPages) learned.delete(learned.keys().next().value!);
    learned.set(k, prev ? { bytes: prev.bytes + alpha * (perItem - prev.bytes), samples: prev.samples + 1 } : { bytes: perItem, samples: 1 });
  };

  return {
    pagePosition(shape, requested, limit) {
      const chain = chainOf(shape, requested);
      if (!chain) return undefined;
      const page = learned.get(`${shape}\u0000${chain.pages}`);
      const last = profiles.get(shape);
      let anchored: PagePosition['anchored'];
      if (last && chain.pages > 0 && chain.remaining !== undefined && chain.remaining > 0 && limit !== undefined && limit > 0) {
        const n = Math.min(limit, chain.remaining);
        const k = chain.items;
        const fromStart = sliceBytes(last, k, k + n, work);
        const fromEnd = sliceBytes(last, last.total - chain.remaining, last.total - chain.remaining + n, work);
        anchored = { bytes: Math.max(fromStart, fromEnd) / n, shifted: k + chain.remaining !== last.total };
      }
      return {
        index: chain.pages,
        itemsBefore: chain.items,
        bytesBefore: chain.bytes,
        ...(chain.remaining !== undefined ? { remaining: chain.remaining } : {}),
        ...(page ? { learned: { ...page } } : {}),
        ...(chain.approximate ? { approximate: true } : {}),
        ...(anchored ? { anchored } : {}),
      };
    },
    expect({ shape, requested, next, remaining, items }) {
      const chain = chainOf(shape, requested);
      if (!chain || open.has(next)) return;
      const page = learned.get(`${shape}\u0000${chain.pages}`);
      const perItem = page ? page.bytes : chain.items > 0 ? chain.bytes / chain.items : 0;
      const totals = { bytes: chain.bytes + perItem * items, items: chain.items + items, pages: chain.pages + 1 };
      // The guess never enters the log: the page's real bytes will, when it is added.
      open.set(next, { ...totals, log: chain.log, shape, at: opts.now(), approximate: true, ...(remaining !== undefined ? { remaining } : {}) });
      expire();
    },
    add({ shape, requested, next, remaining, bytes, items }) {
      const chain = chainOf(shape, requested);
      if (!chain) return undefined;
      learn(shape, chain.pages, bytes, items);
      if (requested !== undefined) open.delete(requested);
      const totals = { bytes: chain.bytes + bytes, items: chain.items + items, pages: chain.pages + 1 };
      // The log holds this chain's pages only up to here when no other page was appended since (a guess
      // placed a page after it, or another answer to the same token): else this chain has no profile.
      const inOrder = !chain.approximate && chain.log.pages === chain.pages;
      if (inOrder) appendPage(chain.log, items, bytes, work);
      const approximate = chain.approximate || !inOrder;
      // A chain whose earlier page was announced but never added does not know its bytes: no sample.
      if (!next) {
        if (approximate) return undefined;
        profiles.delete(shape);
        if (profiles.size >= maxChains) profiles.delete(profiles.keys().next().value!);
        profiles.set(shape, profileOf(chain.log, work));
        return totals;
      }
      open.set(next, { ...totals, log: chain.log, shape, at: opts.now(), ...(approximate ? { approximate: true } : {}), ...(remaining !== undefined ? { remaining } : {}) });
      expire();
      return undefined;
    },
    stats() {
      let segments = 0;
      const logs = new Set<ChainLog>();
      for (const chain of open.values()) logs.add(chain.log);
      for (const log of logs) segments += log.items.length;
      for (const p of profiles.values()) segments += p.cumItems.length - 1;
      return { openChains: open.size, segments, operations: work.operations };
    },
  };
}

/** The shape of a paginated query: everything but the continue token. */
export function pageShape(q: {
  group: string;
  resource: string;
  namespace?: string;
  limit?: number;
  labelSelector?: string;
  fieldSelector?: string;
  encoding: string;
  as: string;
}): string {
  return [q.group, q.resource, q.namespace ?? '', String(q.limit ?? ''), q.labelSelector ?? '', q.fieldSelector ?? '', q.encoding, q.as].join('\u0000');
}
