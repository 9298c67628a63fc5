/**
 * Whether an unpaginated LIST can be offloaded — served by the gateway in pieces stitched into the one
 * response the client asked for — and in what form. It can when:
 *   - it asks for the whole collection: no `limit` and no `continue`, or a `limit` with
 *     resourceVersion="0", which the watch cache ignores (it answers the whole collection anyway);
 *   - its client accepts JSON (the gateway stitches JSON while it streams): a List, a
 *     PartialObjectMetadataList or a Table (kubectl). A client that takes protobuf and JSON is served
 *     JSON; one that takes only protobuf (or CBOR, YAML) cannot be offloaded, and its 429 says so.
 * The pages are consistent reads (resourceVersion unset, `limit` and `continue`): a LIST at
 * resourceVersion="0" ("any version") or NotOlderThan a version is served a consistent snapshot, which
 * keeps either promise; an Exact one is paged at its version. A streaming list (watch with
 * sendInitialEvents=true) can serve it too when it asks for plain objects and not an exact version.
 * Pure: it reads the classification and builds the upstream targets.
 */
import type { ListOptions } from '../k8s/list-options.js';
import { negotiateRepresentation, type Conversion } from '../k8s/media-type.js';
import type { Classification } from './classify-request.js';

export interface OffloadForm {
  /** The Accept every piece is asked with. */
  readonly accept: string;
  readonly as: Conversion;
  /** The read parameters of every page but `limit` and `continue` (what pages are priced with). */
  readonly pageOptions: ListOptions;
  /** A streaming list can serve it. */
  readonly watchable: boolean;
}

export type Eligibility = { readonly form: OffloadForm } | { readonly refusal: string } | undefined;

/** Parameters the gateway sets itself on every page. */
const PAGE_PARAMS = new Set(['limit', 'continue', 'resourceVersion', 'resourceVersionMatch']);

/** undefined: not a whole-collection LIST at all (nothing to say about offload); else the form or why not. */
export function offloadEligibility(c: Classification, accept: string | undefined): Eligibility {
  if (c.kind !== 'list' || !c.list || c.representation === undefined) return undefined;
  const o = c.listOptions;
  if (o.continue !== undefined || (o.limit !== undefined && o.resourceVersion !== '0')) return undefined;
  // Without an Accept the representation is JSON already; with one, its first JSON entry serves.
  const json = c.representation.encoding === 'json' ? c.representation : accept ? negotiateRepresentation(accept, ['json']) : undefined;
  if (json === undefined) return { refusal: `its client accepts only ${c.representation.encoding}, and listgate assembles lists in JSON (add application/json to Accept)` };
  // A single PartialObjectMetadata for a collection: the apiserver answers 406.
  if (json.as === 'PartialObjectMetadata') return undefined;
  const exact = o.resourceVersionMatch === 'Exact';
  const pageOptions: ListOptions = { ...o, limit: undefined, continue: undefined, resourceVersion: exact ? o.resourceVersion : undefined, resourceVersionMatch: exact ? 'Exact' : undefined };
  for (const k of Object.keys(pageOptions) as Array<keyof ListOptions>) if (pageOptions[k] === undefined) delete pageOptions[k];
  const asked = json.as === 'object' ? 'application/json' : `application/json;as=${json.as};v=v1;g=meta.k8s.io`;
  return { form: { accept: asked, as: json.as, pageOptions, watchable: json.as === 'object' && !exact } };
}

/** The target's path with its query pairs, minus those named (kept as the client wrote them). */
function baseTarget(url: string): { path: string; pairs: string[] } {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const pairs = q === -1 ? [] : url.slice(q + 1).split('&').filter((p) => p !== '');
  return { path, pairs };
}

function keyOf(pair: string): string {
  const raw = pair.split('=', 1)[0]!;
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/** The upstream target of one page: the client's query, the form's resourceVersion, `limit` and `continue`. */
export function pageTarget(url: string, form: OffloadForm, page: { limit: number; continue?: string | undefined }): string {
  const { path, pairs } = baseTarget(url);
  const kept = pairs.filter((p) => !PAGE_PARAMS.has(keyOf(p)));
  const o = form.pageOptions;
  if (o.resourceVersion !== undefined) kept.push(`resourceVersion=${encodeURIComponent(o.resourceVersion)}`, 'resourceVersionMatch=Exact');
  kept.push(`limit=${page.limit}`);
  if (page.continue !== undefined) kept.push(`continue=${encodeURIComponent(page.continue)}`);
  return `${path}?${kept.join('&')}`;
}

const WATCH_PARAMS = new Set([...PAGE_PARAMS, 'watch', 'sendInitialEvents', 'allowWatchBookmarks', 'timeoutSeconds']);

/**
 * The upstream target of the streaming list: a watch with sendInitialEvents=true from the LIST's
 * resourceVersion ("0": any; a version: not older than it; unset: consistent), with bookmarks, so the
 * end of the initial events is marked.
 */
export function watchTarget(url: string, options: ListOptions): string {
  const { path, pairs } = baseTarget(url);
  const kept = pairs.filter((p) => !WATCH_PARAMS.has(keyOf(p)));
  kept.push('watch=1', 'sendInitialEvents=true', 'allowWatchBookmarks=true', 'resourceVersionMatch=NotOlderThan');
  if (options.resourceVersion !== undefined) kept.push(`resourceVersion=${encodeURIComponent(options.resourceVersion)}`);
  return `${path}?${kept.join('&')}`;
}
