/**
 * What `estimateRequest` reads and returns. The input is what classify produces (RequestInfo, ListOptions
 * and the negotiated Representation from src/k8s); the dependencies are read-only views of the census,
 * the size model and the learned selectivity, plus the completed factors.
 */
import type { ListOptions } from '../k8s/list-options.js';
import type { Representation } from '../k8s/media-type.js';
import type { RequestInfo } from '../k8s/request-info.js';
import type { CensusView, CountSource } from './census.js';
import type { Factors, ListSource } from './factors.js';
import type { ConsistentReadPath } from './list-serving.js';
import type { ListFacts } from './list-facts.js';
import type { PageView } from './page-chains.js';
import type { SelectivityView } from './selectivity-model.js';
import type { SizeSource, SizeView } from './size-model.js';

export interface EstimateInput {
  info: RequestInfo;
  options: ListOptions;
  /** Undefined when nothing in Accept is servable (the apiserver answers 406). */
  representation: Representation | undefined;
  /** Content-Length of a write's body, when known. */
  bodyBytes?: number;
  /** The LIST's facts, made once at classify (list-facts.ts); made from the rest when absent. */
  list?: ListFacts;
}

export interface EstimateDeps {
  census: CensusView;
  sizes: SizeView;
  selectivity?: SelectivityView;
  /** Learned pages of paginated queries (page-chains.ts); without it pages are priced by the average. */
  pages?: PageView;
  factors: Factors;
  /** Where the upstream serves consistent LISTs, as observed (undefined: not known yet). */
  consistentReads?: ConsistentReadPath;
  /** Multiplies a LIST estimate of less than high confidence (default 1.5). */
  uncertaintyMargin?: number;
}

/**
 * How much the estimate rests on: `high` when the sizes were learned from whole responses (or this page of
 * this query) and the count is fresh; `medium` when the sizes come from a sample, a seed, a metric or the
 * ceiling of other namespaces, or the count is stale; `low` when nothing is known of the sizes (the
 * default) or the count. A LIST whose sizes are a sample or the ceiling of other namespaces, or of `low`
 * confidence, is priced with the uncertainty margin; LISTs of a `low` resource go one at a time until one
 * whole response has taught its sizes (src/admit/learning-locks.ts).
 */
export type Confidence = 'high' | 'medium' | 'low';

/**
 * list: a LIST (one page of it with limit); deletecollection: a LIST of the range plus deletes;
 * streaming-list: a watch with sendInitialEvents=true; watch; get: one object; write: create, update,
 * patch, delete; none: nothing the apiserver loads from storage (discovery, logs, exec, 406).
 */
export type EstimateClass = 'list' | 'deletecollection' | 'streaming-list' | 'watch' | 'get' | 'write' | 'none';

export interface Estimate {
  class: EstimateClass;
  /** Where the read is served from; undefined for classes that don't read a collection or an object. */
  source: ListSource | undefined;
  /** Objects the apiserver loads (from etcd) or encodes (from the watch cache) for this request. */
  objects: number;
  /** JSON-equivalent bytes per full object. */
  averageObjectBytes: number;
  /** Expected decoded response bytes, in the response's encoding (what observe-response measures). */
  responseBytes: number;
  /** estimatedBytes ÷ responseBytes (0 when there is no response to speak of). */
  factor: number;
  /** Bytes the apiserver is expected to hold for the request. */
  estimatedBytes: number;
  /** Why, in an operator's words, one line per step. */
  reasons: string[];
  countSource: CountSource | 'unknown' | 'none';
  /** Age of the count used; Infinity when unknown, undefined when no count was needed. */
  countAgeSeconds: number | undefined;
  /**
   * `page`: learned for this page of this query (page-chains.ts); `selector`: learned for answers of this
   * selector shape (selectivity-model.ts); `body`: a write's request body.
   */
  sizeSource: SizeSource | 'page' | 'selector' | 'body' | 'none';
  confidence: Confidence;
  /** The part of estimatedBytes the uncertainty margin added (0 when none). */
  marginBytes?: number;
}
