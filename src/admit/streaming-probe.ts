/**
 * Does the upstream serve streaming lists (watch with sendInitialEvents=true, KEP-3157)? Only then is a
 * rejected client told to stream. The probe asks for a streaming list of namespaces narrowed by a field
 * selector to a name that does not exist, so a supporting server sends nothing but the bookmark annotated
 * `k8s.io/initial-events-end`; the first event decides, and the request is dropped at once. The status
 * alone does not: a 1.32 apiserver on an etcd without progress notifications (older than 3.4.31/3.5.13)
 * answers 200 whose first event is an ERROR (500 "…RequestWatchProgress is disabled"), and a server that
 * does not know the parameters answers 200 and ends the stream at timeoutSeconds without the bookmark:
 * both unsupported. Kubernetes 1.33 ships with the WatchList feature gate off and refuses the request
 * with 422 Invalid: unsupported too. Any other answer (403, a failure) leaves the last known state. Rate-limited through the same bottleneck
 * as admission's other upstream reads. The first probe waits until it is needed (the first request
 * admission weighs), so a gateway nobody lists through never sends it; then it repeats at the interval.
 */
import { realTimers, type Timers } from '../timers.js';
import type Bottleneck from 'bottleneck';
import type { Logger } from 'pino';
import type { UpstreamRequester } from '../estimate/upstream-fetch.js';

export type StreamingSupport = 'supported' | 'unsupported' | 'unknown';

export const STREAMING_PROBE_PATH =
  '/api/v1/namespaces?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&fieldSelector=metadata.name%3Dlistgate-streaming-probe&timeoutSeconds=1';

/** What the first events of a 200 say: the end bookmark, an ERROR, or (the stream ended) neither. */
function firstVerdict(line: string): StreamingSupport | undefined {
  let event: { type?: string; object?: { metadata?: { annotations?: Record<string, string> } } };
  try {
    event = JSON.parse(line) as typeof event;
  } catch {
    return 'unknown';
  }
  if (event.type === 'ERROR') return 'unsupported';
  if (event.type === 'BOOKMARK' && event.object?.metadata?.annotations?.['k8s.io/initial-events-end'] === 'true') return 'supported';
  return undefined;
}

const MAX_PROBE_BYTES = 1024 * 1024;

/** Sends the probe and reads the status, and on a 200 the events up to the first that decides. */
export function probeStreamingLists(upstream: UpstreamRequester, opts: { timeoutMs?: number } = {}): Promise<StreamingSupport> {
  return new Promise((resolve) => {
    let settled = false;
    const headers = ['Host', upstream.hostHeader, 'Accept', 'application/json', 'User-Agent', 'listgate-admission'];
    if (upstream.token) headers.push('Authorization', `Bearer ${upstream.token}`);
    const req = upstream.request({ method: 'GET', path: STREAMING_PROBE_PATH, headers });
    const settle = (answer: StreamingSupport) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => settle('unknown'), opts.timeoutMs ?? 10_000);
    req.on('error', () => settle('unknown'));
    req.on('close', () => settle('unknown'));
    req.on('response', (res) => {
      res.on('error', () => undefined);
      const status = res.statusCode ?? 0;
      if (status !== 200) return settle(status === 422 ? 'unsupported' : 'unknown');
      let buffered = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const verdict = firstVerdict(buffered.slice(0, nl));
          buffered = buffered.slice(nl + 1);
          if (verdict) return settle(verdict);
        }
        if (buffered.length > MAX_PROBE_BYTES) settle('unknown');
      });
      res.on('end', () => settle('unsupported'));
    });
    req.end();
  });
}

export interface StreamingProbe {
  /** Whether to offer streaming lists now: per config, or as last probed (unknown: no). */
  supported(): boolean;
  state(): StreamingSupport;
  probe(): Promise<StreamingSupport>;
  /** Starts the first probe if none ran yet; resolves with what is known once it (or the one in flight) ends. */
  demand(): Promise<StreamingSupport>;
  /** Lets `demand` probe, and probes again at the interval after the first. */
  start(): void;
  stop(): void;
}

export function createStreamingProbe(deps: {
  mode: () => 'auto' | 'enabled' | 'disabled';
  intervalMs: () => number;
  upstream?: UpstreamRequester;
  limiter: Bottleneck;
  /** Default: Node's (unref'd). */
  timers?: Timers;
  logger?: Logger;
}): StreamingProbe {
  const timers = deps.timers ?? realTimers;
  let known: StreamingSupport = 'unknown';
  let timer: unknown;
  let running = false;
  let probed = false;
  let inflight: Promise<StreamingSupport> | undefined;

  const probe = async (): Promise<StreamingSupport> => {
    if (deps.mode() !== 'auto' || !deps.upstream) return known;
    const upstream = deps.upstream;
    const answer = await deps.limiter.schedule(() => probeStreamingLists(upstream)).catch(() => 'unknown' as const);
    if (answer !== 'unknown' && answer !== known) deps.logger?.info({ streamingLists: answer }, 'admission: probed whether the upstream serves streaming lists');
    if (answer !== 'unknown') known = answer;
    return known;
  };

  const schedule = (ms: number) => {
    timer = timers.set(() => {
      void probe().finally(() => {
        // Until the first clear answer, ask again soon; then at the configured interval.
        if (running) schedule(known === 'unknown' ? Math.min(30_000, deps.intervalMs()) : deps.intervalMs());
      });
    }, ms);
  };

  const state = (): StreamingSupport => {
    const mode = deps.mode();
    if (mode === 'enabled') return 'supported';
    if (mode === 'disabled') return 'unsupported';
    return known;
  };

  return {
    supported() {
      const mode = deps.mode();
      if (mode !== 'auto') return mode === 'enabled';
      return known === 'supported';
    },
    state,
    probe,
    demand() {
      if (inflight) return inflight;
      if (!running || probed || deps.mode() !== 'auto' || !deps.upstream) return Promise.resolve(state());
      probed = true;
      inflight = probe().finally(() => {
        inflight = undefined;
        if (running) schedule(known === 'unknown' ? Math.min(30_000, deps.intervalMs()) : deps.intervalMs());
      });
      return inflight;
    },
    start() {
      running = true;
    },
    stop() {
      running = false;
      if (timer !== undefined) timers.clear(timer);
      timer = undefined;
    },
  };
}
