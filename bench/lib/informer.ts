/**
 * An informer-style client, behaving as client-go's reflector over its REST client does:
 * - LIST the collection (resourceVersion "0" first, so the watch cache may serve it; the last synced
 *   resourceVersion on a relist), then WATCH from the list's resourceVersion;
 * - the REST client retries a GET answered 429 (or 5xx) with an integer `Retry-After`, after that many
 *   seconds, up to 10 times (rest/request.go checkWait, maxRetries); a connection reset or an early EOF on
 *   a GET is retried the same way after 1 s; anything else, or retries exhausted, returns the error;
 * - the reflector then backs off before it lists again: 800 ms doubling to 30 s, with jitter 1.0
 *   (reflector.go NewExponentialBackoffManager(800ms, 30s, 2m, 2.0, 1.0)).
 * A broken watch sends it back to LIST. It counts what it went through; it stops when told to.
 * Bodies are counted as they stream past, never held.
 */
import type { Agent } from 'node:https';
import { fetchOnce, listResourceVersion, type Target } from './https-client.js';

export interface InformerStats {
  id: number;
  /** Milliseconds after the informer started when its first LIST completed; undefined if it never did. */
  syncedAtMs: number | undefined;
  /** LIST requests sent, retries included. */
  listRequests: number;
  listsCompleted: number;
  /** Answers 429 Too Many Requests. */
  tooManyRequests: number;
  /** REST-client retries (after Retry-After, or 1 s after a reset). */
  retries: number;
  /** Reflector back-offs: a LIST that failed for good (retries exhausted, refused, other errors). */
  backoffs: number;
  connectionErrors: number;
  watchesStarted: number;
  bytesReceived: number;
}

export interface InformerOptions {
  id: number;
  target: Target;
  agent: Agent;
  /** The collection, e.g. `/api/v1/secrets`. */
  path: string;
  /** Resolves after `ms` unless the informer is stopped; injectable so tests need not wait. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
}

export interface Informer {
  readonly stats: InformerStats;
  /** Resolves once the first LIST has completed (or the informer stopped). */
  readonly synced: Promise<void>;
  stop(): Promise<void>;
}

const MAX_RETRIES = 10;
const BACKOFF = { initialMs: 800, capMs: 30_000, factor: 2, jitter: 1 };

function retryAfterSeconds(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && /^\d+$/.test(value.trim()) ? Number(value.trim()) : undefined;
}

export function startInformer(opts: InformerOptions): Informer {
  const random = opts.random ?? Math.random;
  const controller = new AbortController();
  const signal = controller.signal;
  const started = performance.now();
  const stats: InformerStats = {
    id: opts.id, syncedAtMs: undefined, listRequests: 0, listsCompleted: 0, tooManyRequests: 0,
    retries: 0, backoffs: 0, connectionErrors: 0, watchesStarted: 0, bytesReceived: 0,
  };
  let markSynced!: () => void;
  const synced = new Promise<void>((resolve) => (markSynced = resolve));

  /** One LIST through the REST client's retry loop: the resourceVersion on success, undefined on failure. */
  async function list(rv: string): Promise<string | undefined> {
    for (let attempt = 0; !signal.aborted; attempt++) {
      stats.listRequests += 1;
      let wait: number | undefined;
      try {
        const res = await fetchOnce({ target: opts.target, path: `${opts.path}?resourceVersion=${rv}`, agent: opts.agent, signal });
        stats.bytesReceived += res.bytes;
        if (res.status === 200) {
          stats.listsCompleted += 1;
          return listResourceVersion(res.head, res.tail) ?? '';
        }
        if (res.status === 429) stats.tooManyRequests += 1;
        if (res.status === 429 || res.status >= 500) wait = retryAfterSeconds(res.headers['retry-after']);
      } catch (err) {
        if (signal.aborted) return undefined;
        stats.connectionErrors += 1;
        const code = (err as { code?: string }).code;
        if (code === 'ECONNRESET' || code === 'EPIPE') wait = 1; // client-go: a reset GET is retried as a 500 with Retry-After 1
      }
      if (wait === undefined || attempt >= MAX_RETRIES) return undefined;
      stats.retries += 1;
      await opts.sleep(wait * 1000, signal);
    }
    return undefined;
  }

  /** Watches until the stream breaks or the informer stops. */
  async function watch(rv: string): Promise<void> {
    stats.watchesStarted += 1;
    try {
      await fetchOnce({
        target: opts.target,
        path: `${opts.path}?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true`,
        agent: opts.agent,
        signal,
        keepBytes: 0,
        onData: (chunk) => {
          stats.bytesReceived += chunk.length;
        },
      });
    } catch {
      // a broken watch: relist
    }
  }

  const loop = (async () => {
    let lastSyncRv = '';
    let backoffMs = BACKOFF.initialMs;
    while (!signal.aborted) {
      const rv = await list(lastSyncRv === '' ? '0' : lastSyncRv);
      if (signal.aborted) break;
      if (rv === undefined) {
        stats.backoffs += 1;
        await opts.sleep(backoffMs * (1 + BACKOFF.jitter * random()), signal);
        backoffMs = Math.min(BACKOFF.capMs, backoffMs * BACKOFF.factor);
        continue;
      }
      backoffMs = BACKOFF.initialMs;
      lastSyncRv = rv;
      if (stats.syncedAtMs === undefined) {
        stats.syncedAtMs = performance.now() - started;
        markSynced();
      }
      await watch(rv);
    }
    markSynced();
  })();

  return {
    stats,
    synced,
    async stop() {
      controller.abort();
      await loop;
    },
  };
}

/** setTimeout that resolves early when the signal aborts. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
