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
 * A client may ask for the next page before the previous one has ended and been learned from, so a
 * page's continue token is announced (`expect`) as soon as its metadata is read: the next page then
 * knows its place in the chain, with the bytes before it approximate until the page is added.
 * Unfinished chains expire, and the number of chains and of learned pages is bounded.
 */

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
}

export interface PageView {
  /** Where in its chain the page this request asks for is, if known (always for a first page). */
  pagePosition(shape: string, requested: string | undefined): PagePosition | undefined;
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
}

interface OpenChain extends PageTotals {
  shape: string;
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

  const expire = (): void => {
    const now = opts.now();
    for (const [token, chain] of open) {
      if (now - chain.at <= ttlMs && open.size <= maxChains) break; // insertion order: oldest first
      open.delete(token);
    }
  };
  const chainOf = (shape: string, requested: string | undefined): PageTotals & { remaining?: number; approximate?: boolean } | undefined => {
    if (requested === undefined) return { bytes: 0, items: 0, pages: 0 };
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
    pagePosition(shape, requested) {
      const chain = chainOf(shape, requested);
      if (!chain) return undefined;
      const page = learned.get(`${shape}\u0000${chain.pages}`);
      return {
        index: chain.pages,
        itemsBefore: chain.items,
        bytesBefore: chain.bytes,
        ...(chain.remaining !== undefined ? { remaining: chain.remaining } : {}),
        ...(page ? { learned: { ...page } } : {}),
        ...(chain.approximate ? { approximate: true } : {}),
      };
    },
    expect({ shape, requested, next, remaining, items }) {
      const chain = chainOf(shape, requested);
      if (!chain || open.has(next)) return;
      const page = learned.get(`${shape}\u0000${chain.pages}`);
      const perItem = page ? page.bytes : chain.items > 0 ? chain.bytes / chain.items : 0;
      const totals = { bytes: chain.bytes + perItem * items, items: chain.items + items, pages: chain.pages + 1 };
      open.set(next, { ...totals, shape, at: opts.now(), approximate: true, ...(remaining !== undefined ? { remaining } : {}) });
      expire();
    },
    add({ shape, requested, next, remaining, bytes, items }) {
      const chain = chainOf(shape, requested);
      if (!chain) return undefined;
      learn(shape, chain.pages, bytes, items);
      if (requested !== undefined) open.delete(requested);
      const totals = { bytes: chain.bytes + bytes, items: chain.items + items, pages: chain.pages + 1 };
      // A chain whose earlier page was announced but never added does not know its bytes: no sample.
      if (!next) return chain.approximate ? undefined : totals;
      open.set(next, { ...totals, shape, at: opts.now(), ...(chain.approximate ? { approximate: true } : {}), ...(remaining !== undefined ? { remaining } : {}) });
      expire();
      return undefined;
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
