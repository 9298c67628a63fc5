/**
 * After each LIST: compare the estimated response bytes with the observed ones (the error-ratio metric)
 * and feed what the response tells into the models:
 * - the size model: item bytes ÷ items, in the response's encoding and conversion, from whole answers
 *   only: pages are summed along their continue tokens (page-chains.ts) and count once complete; a
 *   selector's answer teaches its own shape's item bytes (the selectivity model), not the resource's;
 * - the census: a complete selector-free answer counts the range (items, or items + remainingItemCount
 *   for a first page); continued pages and selector answers don't;
 * - the selectivity model: a complete selector answer ÷ a fresh count of its range.
 * Only complete 200 answers in a format the scanners read are used.
 */
import type { Census } from './census.js';
import type { Estimate, EstimateInput } from './estimate-types.js';
import type { EstimatorMetrics } from './estimator-metrics.js';
import { factsOf } from './list-facts.js';
import type { PageChains } from './page-chains.js';
import type { ResponseObservation } from './observe-response.js';
import type { SelectivityModel } from './selectivity-model.js';
import type { SizeModel } from './size-model.js';

export interface ListOutcome {
  input: EstimateInput;
  estimate: Estimate;
  status: number;
  observed: ResponseObservation;
}

export interface LearnDeps {
  sizes: Pick<SizeModel, 'observe'> & Partial<Pick<SizeModel, 'observeSlice'>>;
  census: Pick<Census, 'observe' | 'count'>;
  selectivity?: Pick<SelectivityModel, 'observe' | 'observeItems'>;
  metrics?: Pick<EstimatorMetrics, 'observeError'>;
  /** Without it, paginated answers teach the size model nothing (a page is a biased sample). */
  pages?: PageChains;
}

export interface Learned {
  /** estimate.responseBytes ÷ observed decoded bytes; undefined when the answer was not usable. */
  errorRatio?: number;
  count?: number;
  itemBytes?: number;
  share?: number;
}

export function learnFromResponse(outcome: ListOutcome, deps: LearnDeps): Learned {
  const { input, estimate, observed } = outcome;
  const { info, options } = input;
  if (estimate.class !== 'list' || outcome.status !== 200 || !observed.complete || observed.format === 'other') return {};
  if (!(observed.decodedBytes > 0)) return {};
  const learned: Learned = { errorRatio: estimate.responseBytes / observed.decodedBytes };
  deps.metrics?.observeError({ group: info.apiGroup, resource: info.resource, ratio: learned.errorRatio! });

  const namespace = info.namespace || undefined;
  // JSON items are separated by commas; protobuf item bytes already include their framing.
  const json = observed.format === 'json';
  const itemBytes = observed.itemBytes + (json ? Math.max(0, observed.items - 1) : 0);
  const observation = {
    group: info.apiGroup,
    resource: info.resource,
    namespace,
    encoding: json ? ('json' as const) : ('protobuf' as const),
    as: input.representation?.as ?? 'object',
  };
  const selective = Boolean(options.labelSelector || options.fieldSelector);
  const selected = { group: info.apiGroup, resource: info.resource, selectors: options, encoding: observation.encoding, as: observation.as };
  const teach = (bytes: number, items: number, envelopeBytes?: number): void => {
    if (selective) deps.selectivity?.observeItems({ ...selected, bytes, items });
    else deps.sizes.observe({ ...observation, bytes, items, ...(envelopeBytes !== undefined ? { envelopeBytes } : {}) });
  };
  const paged = options.limit !== undefined || options.continue !== undefined;
  const { shape } = factsOf(input);
  const chain = paged ? deps.pages?.add({ shape, requested: options.continue, next: observed.continue, remaining: observed.remainingItemCount, bytes: itemBytes, items: observed.items }) : undefined;
  // Any slice of the collection shows how big its objects can be: the ceiling for namespaces not sampled yet.
  if (!selective && paged) deps.sizes.observeSlice?.({ ...observation, bytes: itemBytes, items: observed.items });
  if (options.continue === undefined && !observed.continue) {
    teach(itemBytes, observed.items, Math.max(0, observed.decodedBytes - itemBytes));
    if (observed.items > 0) learned.itemBytes = itemBytes / observed.items;
  } else if (chain) {
    // The last page of a chain whose first page was seen: the whole collection, once.
    teach(chain.bytes, chain.items);
    learned.itemBytes = chain.items > 0 ? chain.bytes / chain.items : undefined;
  }

  const firstPage = options.continue === undefined;
  const whole = !observed.continue;
  if (!selective && firstPage) {
    const count = whole ? observed.items : observed.remainingItemCount !== undefined ? observed.items + observed.remainingItemCount : undefined;
    if (count !== undefined) {
      deps.census.observe({ group: info.apiGroup, resource: info.resource, namespace, count });
      learned.count = count;
    }
  }
  if (selective && firstPage && whole && deps.selectivity) {
    const range = deps.census.count(info.apiGroup, info.resource, namespace);
    if (!range.conservative && range.scope === (namespace ? 'namespace' : 'cluster') && range.count > 0) {
      deps.selectivity.observe({ group: info.apiGroup, resource: info.resource, selectors: options, matched: observed.items, rangeCount: range.count });
      learned.share = Math.min(1, observed.items / range.count);
    }
  }
  return learned;
}
