/**
 * How an apiserver without streaming-list support answers one. A 1.32 apiserver has the WatchList gate on,
 * but its watch cache needs etcd's progress notifications (RequestWatchProgress: etcd 3.4.31+ or 3.5.13+);
 * on an older etcd it answers a watch-list request (sendInitialEvents=true with allowWatchBookmarks) with
 * HTTP 200 and one ERROR event carrying a 500 (storage/cacher/cacher.go Watch: "client-go is going to fall
 * back to a standard LIST on any error returned for watch-list requests"). A server with the gate off (1.33's
 * default) refuses it earlier with 422 (list-validation.ts).
 */
import type { ListOptions } from '../k8s/list-options.js';
import { failureStatus, type Status } from '../k8s/status.js';

/** cacher.go isListWatchRequest. */
export function isListWatchRequest(opts: ListOptions): boolean {
  return opts.sendInitialEvents === true && opts.allowWatchBookmarks === true;
}

/** The ERROR event's Status when the storage cannot serve this watch-list request, else undefined. */
export function watchListRefusal(storageSupportsWatchList: boolean, opts: ListOptions): Status | undefined {
  if (storageSupportsWatchList || !isListWatchRequest(opts)) return undefined;
  return failureStatus(500, 'InternalError', 'a watch stream was requested by the client but the required storage feature RequestWatchProgress is disabled');
}
