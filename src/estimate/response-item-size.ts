/**
 * How big the items of one LIST response will be, JSON-equivalent: the full objects the server loads and
 * the items the response holds (smaller for Table and PartialObjectMetadata). A page of a known chain is
 * sized from what the chain has shown: the last page is the rest of the list's snapshot, whose bytes
 * follow from the collection's average, the items left and the bytes already sent; another page is
 * what this page of the same query held before, when learned. Otherwise the collection's average.
 */
import type { Conversion, Encoding } from '../k8s/media-type.js';
import type { Factors } from './factors.js';
import { formatBytes } from './format-bytes.js';
import type { PagePosition } from './page-chains.js';
import type { SizeEstimate, SizeView } from './size-model.js';

export interface ItemSizes {
  /** JSON-equivalent bytes per full object (what the server loads). */
  objectBytes: number;
  /** JSON-equivalent bytes per response item. */
  itemBytes: number;
  source: SizeEstimate['source'] | 'page';
  samples: number;
  reasons: string[];
}

const LEARNED = new Set<SizeEstimate['source']>(['namespace', 'resource']);

const SIZE_WORDS: Record<SizeEstimate['source'], string> = {
  namespace: 'learned for this namespace',
  resource: 'learned for the resource',
  ceiling: 'namespace not sampled yet: the largest per-item bytes seen for the resource',
  config: 'configured seed',
  sample: 'sampled: the first items of the collection, read before its first LIST',
  metrics: 'seeded from apiserver_resource_size_estimate_bytes',
  default: 'default for an unknown resource',
};

/** JSON bytes below which an unlearned Table row or metadata item is not priced (unless the object is smaller). */
export const COLD_CONVERTED_FLOOR = 512;

export function resolveItemSizes(q: {
  group: string;
  resource: string;
  namespace?: string;
  rep: { encoding: Encoding; as: Conversion };
  position?: PagePosition;
  limit?: number;
  sizes: SizeView;
  factors: Factors;
}): ItemSizes {
  const { rep, position, factors } = q;
  const averaged = q.sizes.averageBytes(q.group, q.resource, q.namespace);
  const reasons = [`average object ${formatBytes(averaged.bytes)} as JSON (${SIZE_WORDS[averaged.source]}${averaged.samples ? `, ${averaged.samples} samples` : ''})`];
  let itemBytes = averaged.bytes;
  if (rep.as !== 'object') {
    const as = rep.as === 'Table' ? 'Table' : 'PartialObjectMetadata';
    const converted = q.sizes.convertedBytes(q.group, q.resource, as);
    // Unlearned, a converted item is priced at the configured share of the object, but never below the
    // object or COLD_CONVERTED_FLOOR, whichever is smaller: a small object's row carries its metadata.
    const share = averaged.bytes * factors.conversionRatio[as];
    const floor = Math.min(averaged.bytes, COLD_CONVERTED_FLOOR);
    itemBytes = converted?.bytes ?? Math.max(share, floor);
    const why = converted ? `learned, ${converted.samples} samples` : share >= floor ? `${factors.conversionRatio[as]} × the object, configured` : `not learned: at least the object, up to ${formatBytes(COLD_CONVERTED_FLOOR)}`;
    reasons.push(`as=${rep.as}: the server loads full objects; the response holds ~${formatBytes(itemBytes)} per item (${why})`);
  }
  const ratio = factors.encodingRatio[rep.encoding];
  let page: { bytes: number; samples: number; why: string } | undefined;
  if (position && position.index > 0 && position.remaining !== undefined && position.remaining > 0) {
    const rest = itemBytes * ratio * (position.itemsBefore + position.remaining) - position.bytesBefore;
    const last = q.limit === undefined || position.remaining <= q.limit;
    if (rest > 0 && (last || !position.learned)) {
      page = { bytes: rest / position.remaining / ratio, samples: 0, why: `the rest of the list: ${position.remaining} items after ${position.itemsBefore}` };
    }
    // Sizes not learned yet (a cold start): the pages already seen are evidence; never price below them.
    const cold = rep.as === 'object' ? !LEARNED.has(averaged.source) : !q.sizes.convertedBytes(q.group, q.resource, rep.as === 'Table' ? 'Table' : 'PartialObjectMetadata');
    const seen = position.itemsBefore > 0 ? position.bytesBefore / position.itemsBefore / ratio : 0;
    if (cold && !position.learned && seen > (page?.bytes ?? itemBytes)) {
      page = { bytes: seen, samples: 0, why: `sizes not learned yet: at least the ${position.itemsBefore} items already sent` };
    }
  }
  if (!page && position?.learned) {
    page = { bytes: position.learned.bytes / ratio, samples: position.learned.samples, why: `learned, ${position.learned.samples} samples` };
  }
  // The list changed since its last whole chain: the objects this page holds may have shifted into it
  // from either side, so it is priced no lower than the slice it covered then, counted from the start
  // and from the end of the list (re-anchored; the larger).
  const anchored = position?.anchored;
  if (anchored?.shifted && anchored.bytes / ratio > (page?.bytes ?? itemBytes)) {
    page = { bytes: anchored.bytes / ratio, samples: page?.samples ?? 0, why: 'the list changed since its last whole chain: re-anchored to the objects it covered then, counted from the start and from the end' };
  }
  if (!page) return { objectBytes: averaged.bytes, itemBytes, source: averaged.source, samples: averaged.samples, reasons };
  reasons.push(`page ${position!.index + 1} of this query: ~${formatBytes(page.bytes)} per item as JSON (${page.why})`);
  // A page says which objects it holds; for a conversion it says nothing about the full objects loaded.
  return { objectBytes: rep.as === 'object' ? page.bytes : averaged.bytes, itemBytes: page.bytes, source: 'page', samples: page.samples, reasons };
}
