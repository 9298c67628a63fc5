/**
 * The profile of a paginated chain (page-chains.ts) in bounded memory and constant work per page:
 * - a chain's pages are appended to one log in order: segment i holds the items and bytes of pages
 *   [i × span, (i + 1) × span). At MAX_SEGMENTS neighbouring segments merge and the span doubles, so a
 *   log holds at most MAX_SEGMENTS segments and an append costs O(1) amortized;
 * - a whole chain's log becomes a Profile of prefix sums (once, when the chain completes), and the bytes
 *   of any slice of items [from, to) are read from it with two binary searches: piecewise linear inside
 *   a segment, and outside the chain at the bytes per item of its first or last segment that holds items.
 * `Work` counts the segments read and written, so a test can show the work per page is constant.
 */

/** The most segments a chain's profile keeps; beyond them neighbouring segments merge. */
export const MAX_SEGMENTS = 128;

export interface ChainLog {
  items: number[];
  bytes: number[];
  span: number;
  /** Pages appended so far. */
  pages: number;
}

/** A whole chain's profile: cumulative items and bytes at each segment boundary. */
export interface Profile {
  cumItems: Float64Array;
  cumBytes: Float64Array;
  total: number;
  /** Bytes per item of the first and last segments that hold items. */
  firstRate: number;
  lastRate: number;
}

export interface Work {
  operations: number;
}

export function newChainLog(): ChainLog {
  return { items: [], bytes: [], span: 1, pages: 0 };
}

export function appendPage(log: ChainLog, items: number, bytes: number, work: Work): void {
  const last = log.items.length - 1;
  const lastFull = last < 0 || log.pages - last * log.span >= log.span;
  if (!lastFull) {
    log.items[last]! += items;
    log.bytes[last]! += bytes;
  } else {
    if (log.items.length >= MAX_SEGMENTS) {
      for (let i = 0; i < log.items.length / 2; i++) {
        log.items[i] = log.items[2 * i]! + log.items[2 * i + 1]!;
        log.bytes[i] = log.bytes[2 * i]! + log.bytes[2 * i + 1]!;
      }
      work.operations += log.items.length;
      log.items.length /= 2;
      log.bytes.length /= 2;
      log.span *= 2;
      appendPage(log, items, bytes, work);
      return;
    }
    log.items.push(items);
    log.bytes.push(bytes);
  }
  log.pages += 1;
  work.operations += 1;
}

export function profileOf(log: ChainLog, work: Work): Profile {
  const n = log.items.length;
  const cumItems = new Float64Array(n + 1);
  const cumBytes = new Float64Array(n + 1);
  let firstRate = 0;
  let lastRate = 0;
  for (let i = 0; i < n; i++) {
    const items = log.items[i]!;
    cumItems[i + 1] = cumItems[i]! + items;
    cumBytes[i + 1] = cumBytes[i]! + log.bytes[i]!;
    if (items > 0) {
      lastRate = log.bytes[i]! / items;
      if (firstRate === 0) firstRate = lastRate;
    }
  }
  work.operations += n;
  return { cumItems, cumBytes, total: cumItems[n]!, firstRate, lastRate };
}

/** Bytes of the first `x` items of a profile; outside it, at the nearest segment's bytes per item. */
function bytesUpTo(p: Profile, x: number, work: Work): number {
  if (x <= 0) return x * p.firstRate;
  const n = p.cumItems.length - 1;
  if (x >= p.total) return p.cumBytes[n]! + (x - p.total) * p.lastRate;
  let lo = 0;
  let hi = n; // cumItems[lo] <= x < cumItems[hi]
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    work.operations += 1;
    if (p.cumItems[mid]! <= x) lo = mid;
    else hi = mid;
  }
  const items = p.cumItems[hi]! - p.cumItems[lo]!;
  return p.cumBytes[lo]! + ((x - p.cumItems[lo]!) * (p.cumBytes[hi]! - p.cumBytes[lo]!)) / items;
}

/** Bytes of items [from, to) of a profile. */
export function sliceBytes(p: Profile, from: number, to: number, work: Work): number {
  return bytesUpTo(p, to, work) - bytesUpTo(p, from, work);
}
