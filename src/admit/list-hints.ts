/**
 * What to tell a client whose LIST is expensive, in the words of the client that sent it
 * (src/k8s/client-kind.ts):
 *   - kubectl: a smaller `--chunk-size` (`kubectl get` pages by default, 500 objects a page; `get --raw`
 *     does not page at all, so its path needs a `limit`);
 *   - a client-go program (controllers, informers): when the upstream serves streaming lists, the
 *     WatchListClient feature (its informers then list with a streaming watch, KEP-3157), else the pager;
 *   - anyone else: pagination with a `limit` whose pages would fit; a streaming list as the further way
 *     when the upstream serves them.
 * A streaming list is offered only when the upstream serves it (1.33 ships with the WatchList gate off and
 * answers 422). The `Warning` header carries the first way in the apiserver's form, `299 - "text"`
 * (RFC 7234 §5.5; client-go prints these, kubectl shows them). Pure.
 */
import { formatBytes } from '../k8s/quantity.js';
import type { ClientKind } from '../k8s/client-kind.js';

export interface HintEstimate {
  readonly estimatedBytes: number;
  readonly objects: number;
}

export const STREAMING_HINT =
  'use a streaming list instead: a watch with sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true';

/** client-go reads its feature gates from KUBE_FEATURE_<name> environment variables (client-go 1.30+). */
export const WATCH_LIST_CLIENT_HINT =
  "stream the informers' initial lists instead: run the program with the environment variable KUBE_FEATURE_WatchListClient=true (client-go 1.30 or later: its reflector then lists with a watch with sendInitialEvents=true)";

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

export function kubectlHint(limit: number): string {
  return `list in smaller pages: kubectl get --chunk-size=${limit} (kubectl get pages by default, 500 objects a page; kubectl get --raw does not page: add ?limit=${limit} to its path and follow metadata.continue)`;
}

export function paginationHint(limit: number, client: ClientKind = 'other'): string {
  const how = client === 'client-go' ? ' (client-go: a tools/pager ListPager with PageSize)' : '';
  return `paginate with limit=${limit} and follow metadata.continue${how}`;
}

export interface HintContext {
  readonly client: ClientKind;
  /** The upstream serves streaming lists. */
  readonly streaming: boolean;
  /** A page size that fits (fittingLimit). */
  readonly limit: number;
}

/** Every way this client could list the collection within the budget, the one to try first first. */
export function listWays(c: HintContext): string[] {
  switch (c.client) {
    case 'kubectl':
      return [kubectlHint(c.limit)];
    case 'client-go':
      return c.streaming ? [WATCH_LIST_CLIENT_HINT, paginationHint(c.limit, 'client-go')] : [paginationHint(c.limit, 'client-go')];
    default:
      return c.streaming ? [paginationHint(c.limit), STREAMING_HINT] : [paginationHint(c.limit)];
  }
}

/** The one hint the Warning header carries: the first way. */
export function listHint(c: HintContext): string {
  return listWays(c)[0]!;
}

/** An HTTP `Warning` value as the apiserver writes it: code 299, agent `-`, quoted text. */
export function warningValue(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, ' ').replace(/(["\\])/g, '\\$1');
  return `299 - "${clean}"`;
}

/** The Warning an admitted large LIST gets, so clients learn to list within the budget before they are ever rejected. */
export function largeListWarning(opts: HintContext & { estimate: HintEstimate; resource: string }): string {
  const what = `this LIST of ${safeName(opts.resource)} is estimated to hold ${formatBytes(opts.estimate.estimatedBytes)} of apiserver memory`;
  return warningValue(`listgate: ${what}; ${listHint(opts)}`);
}
