/**
 * Where a LIST is served from and at which revision, with the rules of a 1.32 apiserver whose consistent
 * reads go to etcd (ConsistentListFromCache needs an etcd with progress notifications; CALIBRATION.md
 * measured this configuration):
 * - k8s.io/apiserver/pkg/storage/cacher/cacher.go shouldDelegateList: a continue token, an unset
 *   resourceVersion (consistent read), resourceVersionMatch=Exact, or the legacy exact match (a limit with
 *   resourceVersion=X and no match) go to etcd; everything else (resourceVersion="0", resourceVersion=X with
 *   NotOlderThan or no match) is served by the watch cache, which honours limit unless resourceVersion="0"
 *   (computeListLimit), waits up to 3 s for X (watch_cache.go waitUntilFreshAndBlock, blockTimeout) and then
 *   answers 504 "Too large resource version" with retryAfterSeconds 1; a resourceVersion it cannot parse is a
 *   plain 500 (the versioner's error, no Status reason).
 * - k8s.io/apiserver/pkg/storage/util.go ValidateListOptions and etcd3/store.go GetList: continue tokens
 *   (400 when invalid or combined with a resourceVersion other than "0"), Exact and the legacy exact match
 *   read at revision X (a future X is etcd's ErrFutureRev, a plain 500), a bad resourceVersion is 400.
 * - etcd3/errors.go: a compacted revision is 410 Expired; a compacted continue token is 410 with an
 *   "inconsistent" token (rv -1) that continues at the latest revision.
 */
import type { ListOptions } from '../k8s/list-options.js';
import type { Status } from '../k8s/status.js';
import {
  badRequest,
  expired,
  EXPIRED_LIST_MESSAGE,
  FUTURE_REVISION_MESSAGE,
  INCONSISTENT_CONTINUE_MESSAGE,
  plainError,
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

/** strconv.ParseUint's verdict on a resourceVersion, in the versioner's words. */
function parseError(rv: string): string {
  const why = /^\d+$/.test(rv) ? 'value out of range' : 'invalid syntax';
  return `resourceVersion: Invalid value: ${JSON.stringify(rv)}: strconv.ParseUint: parsing ${JSON.stringify(rv)}: ${why}`;
}

/** A resourceVersion as etcd3's store parses it: 400 BadRequest when it is not a number. */
export function parseResourceVersion(rv: string): number | Status {
  if (/^\d+$/.test(rv) && Number.isSafeInteger(Number(rv))) return Number(rv);
  return badRequest(`invalid resource version: ${parseError(rv)}`);
}

/** A resourceVersion as the watch cache parses it: its error is a plain 500. */
export function parseCacheResourceVersion(rv: string): number | Status {
  const parsed = parseResourceVersion(rv);
  return typeof parsed === 'number' ? parsed : plainError(parseError(rv));
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
  if (decoded.rv > current) return plainError(FUTURE_REVISION_MESSAGE);
  return { source: 'etcd', atRv: decoded.rv > 0 ? decoded.rv : current, startAfter: decoded.start, limit: opts.limit };
}

/** cacher.go shouldDelegateList, with consistent reads delegated (see above). */
function servedByEtcd(opts: ListOptions): boolean {
  const rv = opts.resourceVersion ?? '';
  const match = opts.resourceVersionMatch;
  const legacyExact = opts.limit !== undefined && match === undefined && rv !== '' && rv !== '0';
  return rv === '' || (match !== undefined && match !== 'NotOlderThan') || legacyExact;
}

export async function planListRead(store: Store, opts: ListOptions): Promise<ListRead | Status> {
  if (opts.continue) return planContinue(store, opts, opts.continue);
  const rv = opts.resourceVersion ?? '';
  if (!servedByEtcd(opts)) {
    const requested = parseCacheResourceVersion(rv);
    if (typeof requested !== 'number') return requested;
    if (requested > store.currentRv() && !(await store.waitForRv(requested, CACHE_BLOCK_TIMEOUT_MS))) {
      return tooLargeResourceVersion(requested, store.currentRv(), 1);
    }
    return { source: 'cache', atRv: store.currentRv(), limit: rv === '0' ? undefined : opts.limit };
  }
  const current = store.currentRv();
  if (rv === '') return { source: 'etcd', atRv: current, limit: opts.limit };
  const requested = parseResourceVersion(rv);
  if (typeof requested !== 'number') return requested;
  if (requested < store.compactedRv()) return expired(EXPIRED_LIST_MESSAGE);
  if (requested > current) return plainError(FUTURE_REVISION_MESSAGE);
  return { source: 'etcd', atRv: requested, limit: opts.limit };
}
