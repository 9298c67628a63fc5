/**
 * What to tell a client whose LIST is expensive: a streaming list (a watch with sendInitialEvents=true,
 * KEP-3157), offered only when the upstream serves it (1.33 ships with the WatchList gate off and answers
 * 422), otherwise pagination with a `limit` whose pages would fit. The `Warning` header carries it in
 * the apiserver's form, `299 - "text"` (RFC 7234 §5.5; client-go prints these, kubectl shows them).
 * Pure.
 */
import { formatBytes } from '../k8s/quantity.js';

export interface HintEstimate {
  readonly estimatedBytes: number;
  readonly objects: number;
}

export const STREAMING_HINT =
  'use a streaming list instead: a watch with sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true (client-go informers: the WatchListClient feature)';

/** Keeps what goes into messages and headers to characters a resource or level name may have. */
export function safeName(text: string): string {
  return /^[A-Za-z0-9._:-]{1,253}$/.test(text) ? text : '(unprintable)';
}

/** Rounds down to two significant digits: 137 → 130, 4321 → 4300, 7 → 7. */
function roundDown(n: number): number {
  if (n < 100) return Math.max(1, Math.floor(n));
  const scale = 10 ** (Math.floor(Math.log10(n)) - 1);
  return Math.floor(n / scale) * scale;
}

/** What a first page of `limit` objects of the same LIST would hold (the estimator prices it). */
export type PageEstimate = (limit: number) => number;

/**
 * A page size whose pages would be admitted: sized to fit `targetBytes`, fewer than the objects the
 * whole list has (at least 1). Pages are priced by `pageBytes` when given: a page is usually read from
 * etcd even when the whole list would come from the watch cache, so it costs more per object; without
 * it, at this request's own memory per object.
 */
export function fittingLimit(estimate: HintEstimate, targetBytes: number, pageBytes?: PageEstimate): number {
  const objects = Math.max(1, estimate.objects);
  const most = Math.max(1, objects - 1);
  const perObject = (n: number) => (pageBytes ? pageBytes(n) / n : estimate.estimatedBytes / objects);
  const sample = Math.min(most, 100);
  let limit = perObject(sample) > 0 ? Math.floor(targetBytes / perObject(sample)) : most;
  limit = Math.max(1, Math.min(limit, most));
  // Pages are not quite linear (the list envelope, learned page sizes): step down until one fits.
  for (let i = 0; pageBytes && i < 8 && limit > 1 && pageBytes(limit) > targetBytes; i++) {
    limit = Math.max(1, Math.floor((limit * targetBytes) / pageBytes(limit)));
  }
  return roundDown(limit);
}

export function paginationHint(limit: number): string {
  return `paginate with limit=${limit} and follow metadata.continue (kubectl --chunk-size=${limit}, client-go pager PageSize)`;
}

/** The one hint the Warning header carries: stream when the upstream can, otherwise paginate. */
export function listHint(opts: { streaming: boolean; limit: number }): string {
  return opts.streaming ? STREAMING_HINT : paginationHint(opts.limit);
}

/** An HTTP `Warning` value as the apiserver writes it: code 299, agent `-`, quoted text. */
export function warningValue(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, ' ').replace(/(["\\])/g, '\\$1');
  return `299 - "${clean}"`;
}

/** The Warning an admitted large LIST gets, so clients learn to stream before they are ever rejected. */
export function largeListWarning(opts: { estimate: HintEstimate; resource: string; streaming: boolean; limit: number }): string {
  const what = `this LIST of ${safeName(opts.resource)} is estimated to hold ${formatBytes(opts.estimate.estimatedBytes)} of apiserver memory`;
  return warningValue(`listgate: ${what}; ${listHint(opts)}`);
}
