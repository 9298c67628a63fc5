/**
 * WATCH (handlers/watch.go serveWatch over the watch cache, storage/cacher/cacher.go Watch):
 * - resourceVersion unset or "0": synthetic ADDED events for the current state, then changes;
 *   resourceVersion=X: the changes after X; X older than the watch cache's window (event-window.ts): one
 *   ERROR event carrying 410 Expired "too old resource version: X (Y)" (cacher/watch_cache.go), then the
 *   stream ends.
 * - sendInitialEvents=true (streaming list, KEP-3157): the initial ADDED events, then, with
 *   allowWatchBookmarks, a BOOKMARK annotated `k8s.io/initial-events-end: "true"`, then changes; on a
 *   server whose storage cannot serve it, one ERROR event instead (watch-list-support.ts).
 * - allowWatchBookmarks: BOOKMARKs when watch-bookmarks.ts says they are due.
 * - timeoutSeconds ends the stream cleanly; without it the apiserver picks minRequestTimeout (1800 s)
 *   times [1, 2). Streaming lists and watches cost nothing in the memory model.
 */
import { parseListOptions } from '../k8s/list-options.js';
import { expired } from './api-errors.js';
import type { ResourceRequest, SimulatorContext } from './context.js';
import { commonHeaders, sendStatus } from './http-io.js';
import { buildFilter, keyPrefix } from './list-handler.js';
import { CACHE_BLOCK_TIMEOUT_MS, parseCacheResourceVersion } from './list-read.js';
import { validateListOptions } from './list-validation.js';
import type { StoreEvent, StoredVersion } from './store.js';
import { scheduleBookmarks, type BookmarkSchedule } from './watch-bookmarks.js';
import { createEventEncoder, selectEvent } from './watch-events.js';
import { watchListRefusal } from './watch-list-support.js';

const MIN_REQUEST_TIMEOUT_S = 1800;
/** A watcher this far behind is dropped, like the cacher terminates watchers that cannot keep up. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

export async function serveWatch(ctx: SimulatorContext, r: ResourceRequest): Promise<void> {
  const opts = parseListOptions(r.query);
  const invalid = validateListOptions(opts, true, ctx.watchListGate);
  if (invalid) return sendStatus(r.res, invalid);
  const built = buildFilter(r, opts);
  if ('code' in built) return sendStatus(r.res, built);
  const filter = built;
  const rv = opts.resourceVersion ?? '';
  const requested = rv === '' ? 0 : parseCacheResourceVersion(rv);
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
  const refusal = watchListRefusal(ctx.watchList, opts);
  if (refusal) return void res.end(encoder.encodeObject('ERROR', refusal));

  const write = (chunk: Buffer): void => {
    if (res.destroyed || res.writableEnded) return;
    res.write(chunk);
    if (res.writableLength > MAX_BUFFERED_BYTES) res.destroy();
  };

  let startRv = requested;
  const bookmarks: { schedule?: BookmarkSchedule } = {};
  if (!initial) {
    const replay = ctx.store.eventsSince(def, requested);
    if (!replay) {
      const status = expired(`too old resource version: ${requested} (${ctx.store.watchFloorRv(def)})`);
      write(encoder.encodeObject('ERROR', status));
      res.end();
      return;
    }
    startRv = replay[replay.length - 1]?.version.rv ?? requested;
    for (const event of replay) deliver(event);
  } else {
    const atRv = ctx.store.currentRv();
    startRv = atRv;
    const initialVersions: StoredVersion[] = [];
    for (const v of ctx.store.scan(def, atRv, prefix)) if (filter.matches(v.obj)) initialVersions.push(v);
    for (const v of initialVersions) write(encoder.encode('ADDED', v));
    if (opts.sendInitialEvents === true && opts.allowWatchBookmarks) write(encoder.encodeBookmark(atRv, true));
  }

  function deliver(event: StoreEvent): void {
    bookmarks.schedule?.observe(event.version.rv);
    const selected = selectEvent(event, inScope, filter.matches);
    if (selected) write(encoder.encode(selected.type, selected.version));
  }
  const unsubscribe = ctx.store.subscribe(def, deliver);
  const timeoutS = opts.timeoutSeconds !== undefined && opts.timeoutSeconds > 0
    ? opts.timeoutSeconds
    : MIN_REQUEST_TIMEOUT_S * (1 + Math.random());
  const timeout = setTimeout(() => res.end(), timeoutS * 1000);
  const deadline = ctx.now() + timeoutS * 1000;
  bookmarks.schedule = opts.allowWatchBookmarks
    ? scheduleBookmarks({ startRv, intervalMs: ctx.bookmarkIntervalMs, deadline, now: ctx.now, send: (rv) => write(encoder.encodeBookmark(rv, false)) })
    : undefined;
  res.once('close', () => {
    unsubscribe();
    bookmarks.schedule?.stop();
    clearTimeout(timeout);
  });
}
