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
 * - Backpressure (watch-sink.ts): initial events wait for the socket to drain; live events wait in a small
 *   input buffer, and a watcher that leaves it full past the dispatch timeout is closed.
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
import { createWatchSink } from './watch-sink.js';

const MIN_REQUEST_TIMEOUT_S = 1800;

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
  // No Content-Length: chunked over HTTP/1.1, DATA frames until END_STREAM over HTTP/2.
  res.writeHead(200, { ...commonHeaders(), 'Content-Type': 'application/json' });
  res.flushHeaders();
  const refusal = watchListRefusal(ctx.watchList, opts);
  if (refusal) return void res.end(encoder.encodeObject('ERROR', refusal));

  const sink = createWatchSink({
    res,
    schedule: ctx.schedule,
    onUnresponsive: (queued) => {
      ctx.logger.warn({ resource: def.resource, queued }, 'Forcing watcher close due to unresponsiveness');
      ctx.metrics.countTerminatedWatcher(def);
    },
  });
  const bookmarks: { schedule?: BookmarkSchedule } = {};
  function deliver(event: StoreEvent): void {
    bookmarks.schedule?.observe(event.version.rv);
    const selected = selectEvent(event, inScope, filter.matches);
    if (selected) sink.push(encoder.encode(selected.type, selected.version));
  }

  // What the client gets first (a replay, or the initial state) is fixed now; live events queue behind it.
  let first: () => Generator<Buffer>;
  let atRv = 0;
  let startRv = requested;
  if (!initial) {
    const replay = ctx.store.eventsSince(def, requested);
    if (!replay) {
      const status = expired(`too old resource version: ${requested} (${ctx.store.watchFloorRv(def)})`);
      res.end(encoder.encodeObject('ERROR', status));
      return;
    }
    startRv = replay[replay.length - 1]?.version.rv ?? requested;
    first = function* () {
      for (const event of replay) {
        const selected = selectEvent(event, inScope, filter.matches);
        if (selected) yield encoder.encode(selected.type, selected.version);
      }
    };
  } else {
    atRv = ctx.store.currentRv();
    startRv = atRv;
    const initialVersions: StoredVersion[] = [];
    for (const v of ctx.store.scan(def, atRv, prefix)) if (filter.matches(v.obj)) initialVersions.push(v);
    first = function* () {
      for (const v of initialVersions) yield encoder.encode('ADDED', v);
    };
  }
  const unsubscribe = ctx.store.subscribe(def, deliver);
  const timeoutS = opts.timeoutSeconds !== undefined && opts.timeoutSeconds > 0
    ? opts.timeoutSeconds
    : MIN_REQUEST_TIMEOUT_S * (1 + Math.random());
  const timeout = setTimeout(() => res.end(), timeoutS * 1000);
  const deadline = ctx.now() + timeoutS * 1000;
  bookmarks.schedule = opts.allowWatchBookmarks
    ? scheduleBookmarks({ startRv, intervalMs: ctx.bookmarkIntervalMs, deadline, now: ctx.now, send: (at) => sink.offer(encoder.encodeBookmark(at, false)) })
    : undefined;
  res.once('close', () => {
    unsubscribe();
    bookmarks.schedule?.stop();
    clearTimeout(timeout);
  });

  for (const chunk of first()) {
    if (!(await sink.writeBlocking(chunk))) return;
  }
  if (initial && opts.sendInitialEvents === true && opts.allowWatchBookmarks) {
    if (!(await sink.writeBlocking(encoder.encodeBookmark(atRv, true)))) return;
  }
  sink.startLive();
}
