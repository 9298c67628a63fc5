/**
 * The facts of a LIST (or DELETECOLLECTION) that every step reads, derived once from what classify found:
 * the resource it lists (the key of the size model, the census and admission's learning locks), the
 * page-chain key of a paginated query (page-chains.ts: everything but the continue token), the
 * representation, and whether it is paged or selective. Classify attaches them to the classification;
 * the estimate, the admission step and the response meter read them from there, never rebuild them.
 * Where the LIST is served from depends on the upstream (its version and etcd) and is decided once by
 * the estimate (`Estimate.source`). Pure.
 */
import type { ListOptions } from '../k8s/list-options.js';
import type { Conversion, Encoding, Representation } from '../k8s/media-type.js';
import type { RequestInfo } from '../k8s/request-info.js';
import { pageShape } from './page-chains.js';

export interface ListFacts {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  /** Empty for a cluster-wide LIST. */
  readonly namespace: string;
  /** `group/resource`. */
  readonly key: string;
  /** The page-chain key of this query. */
  readonly shape: string;
  readonly encoding: Encoding;
  readonly as: Conversion;
  /** A `limit` or a `continue` token. */
  readonly paged: boolean;
  /** A label or field selector. */
  readonly selective: boolean;
}

export function listFactsOf(q: { info: RequestInfo; options: ListOptions; representation: Representation | undefined }): ListFacts {
  const { info, options } = q;
  const encoding = q.representation?.encoding ?? 'json';
  const as = q.representation?.as ?? 'object';
  return {
    group: info.apiGroup,
    version: info.apiVersion,
    resource: info.resource,
    namespace: info.namespace,
    key: `${info.apiGroup}/${info.resource}`,
    shape: pageShape({ group: info.apiGroup, resource: info.resource, namespace: info.namespace || undefined, ...options, encoding, as }),
    encoding,
    as,
    paged: options.limit !== undefined || options.continue !== undefined,
    selective: Boolean(options.labelSelector || options.fieldSelector),
  };
}

/** The facts the input carries (made at classify), or made now for an input built without them. */
export function factsOf(input: { info: RequestInfo; options: ListOptions; representation: Representation | undefined; list?: ListFacts }): ListFacts {
  return input.list ?? listFactsOf(input);
}
