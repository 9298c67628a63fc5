/**
 * Request classification with the rules of k8s.io/apiserver/pkg/endpoints/request/requestinfo.go:
 * /api and /apis prefixes, the deprecated /watch/ and /proxy/ path verbs, namespace scoping (with the
 * `status` and `finalize` namespace subresources), name and subresource, and the verb upgrade from get
 * to list/watch on collections and from delete to deletecollection. Pure and framework-free.
 */

export interface RequestInfo {
  /** False for discovery, /version, /healthz, /metrics, /openapi and anything outside /api and /apis. */
  isResourceRequest: boolean;
  path: string;
  /** Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection, proxy; empty for other methods on resources, the lower-cased method for non-resource requests. */
  verb: string;
  apiPrefix: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
}

const API_PREFIXES = new Set(['api', 'apis']);
const GROUPLESS_PREFIXES = new Set(['api']);
const SPECIAL_VERBS = new Set(['proxy', 'watch']);
const SPECIAL_VERBS_NO_SUBRESOURCES = new Set(['proxy']);
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

const METHOD_VERBS: Record<string, string> = {
  POST: 'create',
  GET: 'get',
  HEAD: 'get',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/** True for the query values the apiserver's parameter codec reads as `true` for a boolean. */
export function queryFlag(value: string | null): boolean {
  if (value === null) return false;
  const v = value.toLowerCase();
  return v !== '' && v !== 'false' && v !== '0';
}

function splitPath(path: string): string[] {
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? [] : trimmed.split('/');
}

/** A DNS-1123-ish path segment check: what path.IsValidPathSegmentName refuses. */
function isValidPathSegmentName(name: string): boolean {
  return name !== '.' && name !== '..' && !name.includes('/') && !name.includes('%');
}

export function resolveRequestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const info: RequestInfo = {
    isResourceRequest: false,
    path,
    verb: method.toLowerCase(),
    apiPrefix: '',
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
  };
  let parts = splitPath(path);
  if (parts.length < 3 || !API_PREFIXES.has(parts[0]!)) return info;
  info.apiPrefix = parts[0]!;
  parts = parts.slice(1);
  if (!GROUPLESS_PREFIXES.has(info.apiPrefix)) {
    if (parts.length < 3) return info;
    info.apiGroup = parts[0]!;
    parts = parts.slice(1);
  }
  info.isResourceRequest = true;
  info.apiVersion = parts[0]!;
  parts = parts.slice(1);

  if (SPECIAL_VERBS.has(parts[0]!)) {
    if (parts.length < 2) {
      return { ...info, isResourceRequest: false, verb: method.toLowerCase() };
    }
    info.verb = parts[0]!;
    parts = parts.slice(1);
  } else {
    info.verb = METHOD_VERBS[method.toUpperCase()] ?? '';
  }

  if (parts[0] === 'namespaces') {
    if (parts.length > 1) {
      info.namespace = parts[1]!;
      if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2]!)) parts = parts.slice(2);
    }
  }

  if (parts.length >= 3 && !SPECIAL_VERBS_NO_SUBRESOURCES.has(info.verb)) info.subresource = parts[2]!;
  if (parts.length >= 2) info.name = parts[1]!;
  if (parts.length >= 1) info.resource = parts[0]!;

  if (info.name === '' && info.verb === 'get') {
    info.verb = queryFlag(query.get('watch')) ? 'watch' : 'list';
    const exact = exactNameFromFieldSelector(query.get('fieldSelector'));
    if (exact !== undefined && isValidPathSegmentName(exact)) info.name = exact;
  }
  if (info.name === '' && info.verb === 'delete') info.verb = 'deletecollection';
  return info;
}

/**
 * `metadata.name=foo` (or `==`) among the ANDed requirements of a field selector gives the name
 * (fields.RequiresExactMatch); a selector that does not parse (a term without an operator) gives none,
 * as the apiserver drops options it cannot decode.
 */
function exactNameFromFieldSelector(selector: string | null): string | undefined {
  if (!selector) return undefined;
  let name: string | undefined;
  for (const term of selector.split(',')) {
    const m = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(term);
    if (!m) return undefined;
    if (m[1] === 'metadata.name' && m[2] !== '!=' && name === undefined) name = m[3];
  }
  return name;
}
