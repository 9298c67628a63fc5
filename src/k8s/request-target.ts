/**
 * The request target as kube-apiserver reads it, so that what the gateway classifies is what the
 * apiserver serves. Go's net/http (url.ParseRequestURI) and the apiserver's chain, measured on
 * kube-apiserver 1.32:
 * - absolute-form (`https://evil/api/v1/secrets`, any scheme) is served as its path and query: the
 *   authority is ignored. `*` and anything else that is not a path is not a resource request;
 * - the path is percent-decoded once (`url.PathUnescape` rules: `+` stays `+`, a malformed escape is a
 *   400 before anything else); `%2F` decodes to a `/` that splits segments like any other
 *   (`/api/v1/namespaces%2Fdefault%2Fsecrets` lists the Secrets of `default`);
 * - nothing cleans the path: no ServeMux redirect, no dot-segment resolution. RequestInfo splits
 *   `strings.Trim(path, "/")` on `/` while go-restful routes segment by segment, so `.`, `..` and empty
 *   segments are where the two disagree; the apiserver answers them 404 (or 400, or a list of a
 *   namespace named `.`), never the collection they would resolve to;
 * - the query is split on `&`; a pair holding `;` or a malformed escape is dropped (url.ParseQuery),
 *   `+` is a space.
 * `parseRequestTarget` reads a target that way and refuses what the apiserver would not serve as its
 * plain path (dot and empty segments, escapes that do not decode, bytes that are not UTF-8, anything but
 * origin- and absolute-form). `url` is the origin-form target to forward: the target as sent when Go
 * reads it the same way, else re-encoded from what was read (an encoded `/` made plain, dropped query
 * pairs left out), so the upstream serves exactly what was classified. Pure.
 */

export interface RequestTarget {
  /** The decoded path (Go's URL.Path). */
  readonly path: string;
  /** The query as url.ParseQuery reads it. */
  readonly query: URLSearchParams;
  /** Origin-form path and query to send upstream. */
  readonly url: string;
}

export type TargetRefusal = 'not_a_path' | 'bad_escape' | 'not_utf8' | 'dot_segment' | 'empty_segment';

export type TargetResult = { readonly ok: true; readonly target: RequestTarget } | { readonly ok: false; readonly refusal: TargetRefusal };

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const HEX = /^[0-9A-Fa-f]{2}$/;
// Node rejects control characters in a request line, so printable ASCII is what a plain target holds.
const ASCII = /^[\x20-\x7e]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Percent-decodes `text` (its characters are bytes: Node reads the request line as latin1): undefined
 * when an escape is malformed, false when the bytes are not UTF-8.
 */
function unescape(text: string, plusIsSpace: boolean): string | undefined | false {
  if (!text.includes('%') && !(plusIsSpace && text.includes('+')) && ASCII.test(text)) return text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25) {
      const hex = text.slice(i + 1, i + 3);
      if (!HEX.test(hex)) return undefined;
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else if (c === 0x2b && plusIsSpace) bytes.push(0x20);
    else if (c > 0xff) return false;
    else bytes.push(c);
  }
  try {
    return utf8.decode(Uint8Array.from(bytes));
  } catch {
    return false;
  }
}

/** Go's shouldEscape for a path segment (encodePath mode, `/` escaped since segments are split on it). */
function escapeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/%(24|26|2B|2C|3A|3B|3D|40)/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** url.QueryEscape: space as `+`, unreserved characters kept, every other byte escaped. */
function escapeQuery(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+');
}

/** url.ParseQuery: pairs split on `&`, those with `;` or a malformed escape dropped. */
function parseQuery(raw: string): { query: URLSearchParams; dropped: boolean } | { refusal: TargetRefusal } {
  const query = new URLSearchParams();
  let dropped = false;
  if (raw === '') return { query, dropped };
  for (const pair of raw.split('&')) {
    if (pair.includes(';')) {
      dropped = true;
      continue;
    }
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = unescape(eq === -1 ? pair : pair.slice(0, eq), true);
    const value = unescape(eq === -1 ? '' : pair.slice(eq + 1), true);
    if (key === false || value === false) return { refusal: 'not_utf8' };
    if (key === undefined || value === undefined) {
      dropped = true;
      continue;
    }
    query.append(key, value);
  }
  return { query, dropped };
}

/** Splits a received request target into the path and query the apiserver would serve. */
function splitForm(raw: string): { path: string; query: string } | undefined {
  const q = raw.indexOf('?');
  const before = q === -1 ? raw : raw.slice(0, q);
  const query = q === -1 ? '' : raw.slice(q + 1);
  if (before.startsWith('/')) return { path: before, query };
  const scheme = SCHEME.exec(before);
  if (!scheme) return undefined;
  let rest = before.slice(scheme[0].length);
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    rest = slash === -1 ? '' : rest.slice(slash);
  }
  // `https:opaque` names no path; an authority with nothing after it is the root.
  if (rest === '') return { path: '/', query };
  return rest.startsWith('/') ? { path: rest, query } : undefined;
}

export function parseRequestTarget(raw: string): TargetResult {
  const form = splitForm(raw);
  if (!form) return { ok: false, refusal: 'not_a_path' };
  const path = unescape(form.path, false);
  if (path === undefined) return { ok: false, refusal: 'bad_escape' };
  if (path === false) return { ok: false, refusal: 'not_utf8' };
  const segments = path.split('/');
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment === '.' || segment === '..') return { ok: false, refusal: 'dot_segment' };
    if (segment === '' && i !== segments.length - 1) return { ok: false, refusal: 'empty_segment' };
  }
  const parsed = parseQuery(form.query);
  if ('refusal' in parsed) return { ok: false, refusal: parsed.refusal };
  const { query, dropped } = parsed;
  // The path as sent unless an encoded `/` makes its segments differ from the decoded ones.
  const encodedSlash = /%2f/i.test(form.path);
  const outPath = encodedSlash ? segments.map(escapeSegment).join('/') : form.path;
  const outQuery = dropped ? [...query].map(([k, v]) => `${escapeQuery(k)}=${escapeQuery(v)}`).join('&') : form.query;
  const url = outQuery === '' ? outPath : `${outPath}?${outQuery}`;
  return { ok: true, target: { path, query, url } };
}

/** Why a target was refused, for a Status message (names no client input). */
export function describeRefusal(refusal: TargetRefusal): string {
  switch (refusal) {
    case 'not_a_path':
      return 'the request target is not a path (origin form /api/…, or an absolute URL)';
    case 'bad_escape':
      return 'the request path holds a malformed percent-escape';
    case 'not_utf8':
      return 'the request path or query does not decode to UTF-8';
    case 'dot_segment':
      return "the request path holds a '.' or '..' segment, which the Kubernetes API does not resolve; send the path without it";
    case 'empty_segment':
      return "the request path holds an empty segment ('//'), which the Kubernetes API does not serve; send the path without it";
  }
}
