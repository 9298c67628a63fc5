/**
 * Where a LIST is served from and at which revision, with the rules of a 1.26–1.32 apiserver
 * (ConsistentListFromCache off, as in ../shared/CALIBRATION.md):
 * - k8s.io/apiserver/pkg/storage/cacher/cacher.go shouldDelegateList: a continue token, a limit (unless
 *   resourceVersion="0"), resourceVersionMatch=Exact, or an unset resourceVersion (consistent read) go to
 *   etcd; resourceVersion="0" (any, limit ignored) and resourceVersion=X without limit (not older than X)
 *   come from the watch cache, which waits up to 3 s for X (watch_cache.go waitUntilFreshAndBlock,
 *   blockTimeout) and then answers 504 "Too large resource version" with retryAfterSeconds 1.
 * - k8s.io/apiserver/pkg/storage/util.go ValidateListOptions and etcd3/store.go GetList: continue tokens
 *   (400 when invalid or combined with a resourceVersion other than "0"), Exact and the legacy "X with
 *   limit" read at revision X, NotOlderThan reads the latest and checks it (validateMinimumResourceVersion).
 * - etcd3/errors.go: a compacted revision is 410 Expired; a compacted continue token is 410 with an
 *   "inconsistent" token (rv -1) that continues at the latest revision.
 * Simplification: an Exact read of a future revision answers the 504 too (etcd's ErrFutureRev).
 */
import type { ListOptions } from '../k8s/list-options.js';
import type { Status } from '../k8s/status.js';
import {
  badRequest,
  expired,
  EXPIRED_LIST_MESSAGE,
  INCONSISTENT_CONTINUE_MESSAGE,
  tooLargeResourceVersion,
} from './api-errors.js';
import { decodeContinue, encodeContinue } from './continue-token.js';
import type { ListSource } from './memory-model.js';
import type { Store } from './store.js';

export const CACHE_BLOCK_TIMEOUT_MS = 3000;

export interface ListRead {
  source: ListSource;
  /** Snapshot revision the list reads at (and reports as its resourceVersion). */
  atRv: number;
  /** Key (relative to the list's prefix) to start from, from a continue token. */
  startAfter?: string;
  /** Page size; undefined = everything. */
  limit?: number;
}

/** strconv.ParseUint's verdict on a resourceVersion, in the apiserver's words. */
export function parseResourceVersion(rv: string): number | Status {
  if (/^\d+$/.test(rv) && Number.isSafeInteger(Number(rv))) return Number(rv);
  const why = /^\d+$/.test(rv) ? 'value out of range' : 'invalid syntax';
  return badRequest(`invalid resource version: resourceVersion: Invalid value: ${JSON.stringify(rv)}: strconv.ParseUint: parsing ${JSON.stringify(rv)}: ${why}`);
}

function planContinue(store: Store, opts: ListOptions, token: string): ListRead | Status {
  const decoded = decodeContinue(token);
  if ('error' in decoded) return badRequest(`invalid continue token: ${decoded.error}`);
  if (opts.resourceVersion && opts.resourceVersion !== '0') {
    return badRequest('specifying resource version is not allowed when using continue');
  }
  const current = store.currentRv();
  if (decoded.rv > 0 && decoded.rv < store.compactedRv()) {
    return expired(INCONSISTENT_CONTINUE_MESSAGE, encodeContinue({ start: decoded.start, rv: -1 }));
  }
  if (decoded.rv > current) return tooLargeResourceVersion(decoded.rv, current, 0);
  return { source: 'etcd', atRv: decoded.rv > 0 ? decoded.rv : current, startAfter: decoded.start, limit: opts.limit };
}

export async function planListRead(store: Store, opts: ListOptions): Promise<ListRead | Status> {
  if (opts.continue) return planContinue(store, opts, opts.continue);
  const rv = opts.resourceVersion ?? '';
  const requested = rv === '' ? 0 : parseResourceVersion(rv);
  if (typeof requested !== 'number') return requested;
  const match = opts.resourceVersionMatch;
  const fromCache = rv === '0' || (rv !== '' && opts.limit === undefined && match !== 'Exact');
  if (fromCache) {
    if (requested > store.currentRv() && !(await store.waitForRv(requested, CACHE_BLOCK_TIMEOUT_MS))) {
      return tooLargeResourceVersion(requested, store.currentRv(), 1);
    }
    return { source: 'cache', atRv: store.currentRv() };
  }
  const current = store.currentRv();
  const exact = rv !== '' && (match === 'Exact' || (match === undefined && opts.limit !== undefined && requested > 0));
  if (exact) {
    if (requested < store.compactedRv()) return expired(EXPIRED_LIST_MESSAGE);
    if (requested > current) return tooLargeResourceVersion(requested, current, 0);
    return { source: 'etcd', atRv: requested, limit: opts.limit };
  }
  if (requested > current) return tooLargeResourceVersion(requested, current, 0);
  return { source: 'etcd', atRv: current, limit: opts.limit };
}
