/**
 * Where the apiserver reads a LIST from, and whether it honours `limit` there: the cacher's
 * shouldDelegateList (k8s.io/apiserver/pkg/storage/cacher). Before 1.31: a continue token, a limit (unless
 * resourceVersion="0"), resourceVersionMatch=Exact, or a consistent read (resourceVersion unset) go to
 * etcd; resourceVersion="0" is served from the watch cache, which ignores limit and returns everything;
 * resourceVersion=X without limit is served from the cache. From 1.31 (KEP-4568, and ConsistentListFromCache
 * where etcd supports progress notifications): NotOlderThan reads and consistent reads, paginated or not,
 * come from the watch cache, which serves their first page; Exact reads, the legacy resourceVersion=X with
 * a limit, and continue tokens still go to etcd. The snapshottable cache (KEP-4988, 1.34+) serves
 * paginated and exact reads from it too. Pure.
 */
import type { ListOptions } from '../k8s/list-options.js';
import type { ListSource, ServerProfile } from './factors.js';

export interface ListServing {
  source: ListSource;
  /** False when the server returns the whole collection whatever `limit` says. */
  limitHonoured: boolean;
  reason: string;
}

/**
 * Where this upstream serves consistent reads, as observed (consistent-read-path.ts): `cache` or `etcd`;
 * undefined while unknown, when a profile with ConsistentListFromCache is priced as reading from etcd
 * (the dearer path) until the upstream shows otherwise.
 */
export type ConsistentReadPath = 'cache' | 'etcd' | undefined;

export function resolveListServing(options: ListOptions, profile: ServerProfile, consistentReads?: ConsistentReadPath): ListServing {
  const rv = options.resourceVersion ?? '';
  const limited = options.limit !== undefined;
  const snapshot = profile.paginatedListFromCache;
  if (options.continue !== undefined) {
    return snapshot
      ? { source: 'cache', limitHonoured: true, reason: 'continue token: served from a watch-cache snapshot (KEP-4988)' }
      : { source: 'etcd', limitHonoured: true, reason: 'continue token: served from etcd (the watch cache cannot continue a list)' };
  }
  if (rv === '0') {
    return {
      source: 'cache',
      limitHonoured: false,
      reason: limited
        ? 'resourceVersion=0: served from the watch cache, which ignores limit and returns the whole collection'
        : 'resourceVersion=0: served from the watch cache',
    };
  }
  if (options.resourceVersionMatch === 'Exact') {
    return snapshot
      ? { source: 'cache', limitHonoured: true, reason: 'resourceVersionMatch=Exact: served from a watch-cache snapshot (KEP-4988)' }
      : { source: 'etcd', limitHonoured: true, reason: 'resourceVersionMatch=Exact: served from etcd' };
  }
  const modern = profile.consistentListFromCache;
  if (modern && rv !== '' && options.resourceVersionMatch === 'NotOlderThan') {
    return { source: 'cache', limitHonoured: true, reason: `resourceVersion=${rv}&resourceVersionMatch=NotOlderThan: served from the watch cache` };
  }
  if (limited && modern && rv === '' && consistentReads === 'cache') {
    return { source: 'cache', limitHonoured: true, reason: 'limit with a consistent read: the first page served from the watch cache (ConsistentListFromCache, seen on this upstream)' };
  }
  if (limited) {
    if (snapshot) return { source: 'cache', limitHonoured: true, reason: 'limit: served page by page from the watch cache (KEP-4988)' };
    return {
      source: 'etcd',
      limitHonoured: true,
      reason: rv === '' ? 'limit with a consistent read: served from etcd, one page' : `limit with resourceVersion=${rv}: served from etcd, one page`,
    };
  }
  if (rv !== '') return { source: 'cache', limitHonoured: true, reason: `resourceVersion=${rv} without limit: served from the watch cache` };
  if (!profile.consistentListFromCache) return { source: 'etcd', limitHonoured: true, reason: 'consistent read without limit: the whole collection from etcd' };
  if (consistentReads === 'cache') return { source: 'cache', limitHonoured: true, reason: 'consistent read without limit: served from the watch cache (ConsistentListFromCache, seen on this upstream)' };
  return consistentReads === 'etcd'
    ? { source: 'etcd', limitHonoured: true, reason: 'consistent read without limit: read from etcd (this upstream does not serve consistent reads from its cache: etcd without progress notifications)' }
    : { source: 'etcd', limitHonoured: true, reason: 'consistent read without limit: priced as a read from etcd until this upstream shows it serves them from its cache' };
}
