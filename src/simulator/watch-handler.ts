/**
 * WATCH (handlers/watch.go serveWatch over the watch cache, storage/cacher/cacher.go Watch):
 * - resourceVersion unset or "0": synthetic ADDED events for the current state, then changes;
 *   resourceVersion=X: the changes after X; X older than the watch window: one ERROR event carrying
 *   410 Expired "too old resource version: X (Y)" (cacher/watch_cache.go), then the stream ends.
 * - sendInitialEvents=true (streaming list, KEP-3157): the initial ADDED events, then, with
 *   allowWatchBookmarks, a BOOKMARK annotated `k8s.io/initial-events-end: "true"`, then changes.
 * - allowWatchBookmarks: a BOOKMARK every bookmarkIntervalMs with the current resourceVersion.
 * - timeoutSeconds ends the stream cleanly; without it the apiserver picks minRequestTimeout (1800 s)
 *   times [1, 2). Streaming lists and watches cost nothing in the memory model.
 */
import { parseListOptions } from '../k8s/list-options.js';
import { expired } from './api-errors.js';
import type { ResourceRequest, SimulatorContext } from './context.js';
import { commonHeaders, sendStatus } from './http-io.js';
import { buildFilter, keyPrefix } from './list-handler.js';
import { CACHE_BLOCK_TIMEOUT_MS, parseResourceVersion } from './list-read.js';
import { validateListOptions } from './list-validation.js';
import type { StoreEvent, StoredVersion } from './store.js';
import { createEventEncoder, selectEvent } from './watch-events.js';

const MIN_REQUEST_TIMEOUT_S = 1800;
/** A watcher this far behind is dropped, like the cacher terminates watchers that cannot keep up. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

export async function serveWatch(ctx: SimulatorContext, r: ResourceRequest): Promise<void> {
  const opts = parseListOptions(r.query);
  const invalid = validateListOptions(opts, true, ctx.watchList);
  if (invalid) return sendStatus(r.res, invalid);
  const built = buildFilter(r, opts);
  if ('code' in built) return sendStatus(r.res, built);
  const filter = built;
  const rv = opts.resourceVersion ?? '';
  const requested = rv === '' ? 0 : parseResourceVersion(rv);
  if (typeof requested !== 'number') return sendStatus(r.res, requested);
  const initial = opts.sendInitialEvents ?? (rv === '' || rv === '0');
  if (initial && requested > ctx.store.currentRv()) await ctx.store.waitForRv(requested, CACHE_BLOCK_TIMEOUT_MS);
  if (r.res.destroyed) return;

  const { res, def } = r;
  const prefix = keyPrefix(r);
  const inScope = (key: string): boolean => key.startsWith(prefix);
  const includeObject = r.query.get('includeObject');
  const encoder = createEventEncoder(def, r.rep, {
    now: ctx.now,
    includeObject: includeObject === 'None' || includeObject === 'Object' ? includeObject : 'Metadata',
  });
  res.writeHead(200, { ...commonHeaders(), 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();

  const write = (chunk: Buffer): void => {
    if (res.destroyed || res.writableEnded) return;
    res.write(chunk);
    if (res.writableLength > MAX_BUFFERED_BYTES) res.destroy();
  };

  if (!initial) {
    const replay = ctx.store.eventsSince(def, requested);
    if (!replay) {
      const status = expired(`too old resource version: ${requested} (${ctx.store.watchFloorRv()})`);
      write(encoder.encodeObject('ERROR', status));
      res.end();
      return;
    }
    for (const event of replay) deliver(event);
  } else {
    const atRv = ctx.store.currentRv();
    const initialVersions: StoredVersion[] = [];
    for (const v of ctx.store.scan(def, atRv, prefix)) if (filter.matches(v.obj)) initialVersions.push(v);
    for (const v of initialVersions) write(encoder.encode('ADDED', v));
    if (opts.sendInitialEvents === true && opts.allowWatchBookmarks) write(encoder.encodeBookmark(atRv, true));
  }

  function deliver(event: StoreEvent): void {
    const selected = selectEvent(event, inScope, filter.matches);
    if (selected) write(encoder.encode(selected.type, selected.version));
  }
  const unsubscribe = ctx.store.subscribe(def, deliver);
  const bookmarks = opts.allowWatchBookmarks
    ? setInterval(() => write(encoder.encodeBookmark(ctx.store.currentRv(), false)), ctx.bookmarkIntervalMs)
    : undefined;
  const timeoutS = opts.timeoutSeconds !== undefined && opts.timeoutSeconds > 0
    ? opts.timeoutSeconds
    : MIN_REQUEST_TIMEOUT_S * (1 + Math.random());
  const timeout = setTimeout(() => res.end(), timeoutS * 1000);
  res.once('close', () => {
    unsubscribe();
    if (bookmarks) clearInterval(bookmarks);
    clearTimeout(timeout);
  });
}
