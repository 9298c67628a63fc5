/**
 * The census: object counts per group/resource, cluster-wide and per namespace, each with its source and
 * age. Sources, in the order the configuration prefers: the apiserver's metrics (cluster-wide counts
 * only), `limit=1` probes (census-probe.ts), and counts observed in responses passing through. `count`
 * answers with the freshest count among the configured sources (a whole LIST just seen beats a scrape of
 * minutes ago; on a tie the preferred source wins); a namespace without a fresh count is priced at
 * the cluster-wide count (an upper bound); a stale count is multiplied and an unknown one is a configured
 * number: priced conservatively, as APF prices a stale count at its maximum seats.
 * Probes go through an injected limiter (bottleneck), at most one in flight per key and at most one per
 * key per refresh interval, so the census cannot become load itself.
 */
import { realTimers, type Timers } from '../timers.js';
import { countFromProbe, probePath, type ProbeTarget } from './census-probe.js';
import { isStorageMetric, readStorageMetrics, type StorageSize } from './apiserver-metrics.js';
import { parseMetricsText } from './prometheus-text.js';

export type CountSource = 'metrics' | 'probe' | 'response';
export type ProbeResult = 'ok' | 'error' | 'dropped' | 'deduplicated' | 'recent';

export interface CensusCount {
  count: number;
  /** Seconds since the count was taken; Infinity when unknown. */
  ageSeconds: number;
  source: CountSource | 'unknown';
  /** `cluster` when a namespace's own count is missing or stale and the cluster-wide count stands in. */
  scope: 'namespace' | 'cluster';
  /** True when the count is a conservative price (stale or unknown), not a measurement. */
  conservative: boolean;
}

export interface CensusView {
  count(group: string, resource: string, namespace?: string): CensusCount;
}

export interface CensusEntry {
  group: string;
  resource: string;
  namespace: string;
  source: CountSource;
  count: number;
  ageSeconds: number;
}

export interface Census extends CensusView {
  observe(o: { group: string; resource: string; namespace?: string; count: number; source?: CountSource }): void;
  /** A `limit=1` probe for the target (rate-limited, deduplicated); resolves to the count after it. */
  probe(target: ProbeTarget): Promise<CensusCount>;
  /** Probes only when the target's count is stale or unknown; otherwise resolves at once. */
  refresh(target: ProbeTarget): Promise<CensusCount>;
  /** One scrape of the apiserver's /metrics; resolves to the number of counts read. */
  refreshMetrics(): Promise<number>;
  /** Scrapes /metrics now and every refresh interval until `stop`. */
  start(): void;
  stop(): void;
  entries(): CensusEntry[];
  /** New settings in place (a reload): counts, probes in flight and the scrape go on under them. */
  reconfigure(next: CensusSettings): void;
}

/** The census's settings a reload may change. */
export type CensusSettings = Pick<CensusOptions, 'sources' | 'refreshIntervalMs' | 'staleAfterMs' | 'conservative'>;

export interface CensusOptions {
  /** Preference order; a source not listed is never used. */
  sources: readonly CountSource[];
  limiter: { schedule<R>(fn: () => PromiseLike<R>): Promise<R> };
  /** GET of a path on the upstream, parsed as JSON (rejects on a non-2xx answer). */
  fetchJson?: (path: string) => Promise<unknown>;
  /** GET of a path on the upstream as text (the /metrics scrape). */
  fetchText?: (path: string) => Promise<string>;
  now: () => number;
  /** The /metrics scrape's timer; default Node's (unref'd). */
  timers?: Timers;
  refreshIntervalMs: number;
  staleAfterMs: number;
  conservative: { unknownCount: number; staleMultiplier: number };
  onStorageSizes?: (sizes: StorageSize[]) => void;
  onProbe?: (result: ProbeResult, target: ProbeTarget) => void;
  onError?: (err: unknown, what: string) => void;
  maxEntries?: number;
}

interface Taken {
  count: number;
  at: number;
}

const keyOf = (group: string, resource: string, namespace = '') => `${group}\u0000${resource}\u0000${namespace}`;

export function createCensus(initial: CensusOptions): Census {
  const opts = { ...initial };
  const table = new Map<string, Map<CountSource, Taken>>();
  const inflight = new Map<string, Promise<CensusCount>>();
  const lastProbe = new Map<string, number>();
  const maxEntries = opts.maxEntries ?? 50_000;
  const timers = opts.timers ?? realTimers;
  let timer: unknown;
  let running = false;

  const record = (k: string, source: CountSource, count: number): void => {
    if (!opts.sources.includes(source) || !Number.isFinite(count) || count < 0) return;
    const row = table.get(k) ?? new Map<CountSource, Taken>();
    table.delete(k);
    if (table.size >= maxEntries) table.delete(table.keys().next().value!);
    row.set(source, { count, at: opts.now() });
    table.set(k, row);
  };

  const ageOf = (t: Taken) => Math.max(0, (opts.now() - t.at) / 1000);
  const fresh = (k: string): { source: CountSource; taken: Taken } | undefined => {
    const row = table.get(k);
    let best: { source: CountSource; taken: Taken } | undefined;
    for (const source of opts.sources) {
      const t = row?.get(source);
      if (t && opts.now() - t.at <= opts.staleAfterMs && (!best || t.at > best.taken.at)) best = { source, taken: t };
    }
    return best;
  };
  const newest = (k: string): { source: CountSource; taken: Taken } | undefined => {
    let best: { source: CountSource; taken: Taken } | undefined;
    for (const [source, taken] of table.get(k) ?? []) if (!best || taken.at > best.taken.at) best = { source, taken };
    return best;
  };

  const census: Census = {
    count(group, resource, namespace) {
      const own = keyOf(group, resource, namespace);
      const cluster = keyOf(group, resource);
      const scope = namespace ? 'namespace' : 'cluster';
      const f = fresh(own);
      if (f) return { count: f.taken.count, ageSeconds: ageOf(f.taken), source: f.source, scope, conservative: false };
      const up = namespace ? fresh(cluster) : undefined;
      if (up) return { count: up.taken.count, ageSeconds: ageOf(up.taken), source: up.source, scope: 'cluster', conservative: false };
      const stale = newest(own) ?? (namespace ? newest(cluster) : undefined);
      if (stale) {
        const staleScope = newest(own) ? scope : 'cluster';
        const count = Math.ceil(stale.taken.count * opts.conservative.staleMultiplier);
        return { count, ageSeconds: ageOf(stale.taken), source: stale.source, scope: staleScope, conservative: true };
      }
      return { count: opts.conservative.unknownCount, ageSeconds: Number.POSITIVE_INFINITY, source: 'unknown', scope, conservative: true };
    },
    observe(o) {
      record(keyOf(o.group, o.resource, o.namespace), o.source ?? 'response', o.count);
    },
    probe(target) {
      const k = keyOf(target.group, target.resource, target.namespace);
      const answer = () => census.count(target.group, target.resource, target.namespace);
      const path = probePath(target);
      if (!opts.sources.includes('probe') || !opts.fetchJson || path === undefined) return Promise.resolve(answer());
      const running = inflight.get(k);
      if (running) {
        opts.onProbe?.('deduplicated', target);
        return running;
      }
      const last = lastProbe.get(k);
      if (last !== undefined && opts.now() - last < opts.refreshIntervalMs) {
        opts.onProbe?.('recent', target);
        return Promise.resolve(answer());
      }
      lastProbe.set(k, opts.now());
      const fetchJson = opts.fetchJson;
      const run = opts.limiter
        .schedule(() => fetchJson(path))
        .then(
          (body) => {
            const count = countFromProbe(body);
            if (count === undefined) throw new Error(`probe ${path}: the answer is not a list with a count`);
            record(k, 'probe', count);
            opts.onProbe?.('ok', target);
          },
          (err: unknown) => {
            const dropped = err instanceof Error && err.message.includes('dropped by Bottleneck');
            opts.onProbe?.(dropped ? 'dropped' : 'error', target);
            if (!dropped) throw err;
          },
        )
        .catch((err: unknown) => {
          opts.onError?.(err, `census probe ${path}`);
        })
        .then(answer)
        .finally(() => inflight.delete(k));
      inflight.set(k, run);
      return run;
    },
    refresh(target) {
      const c = census.count(target.group, target.resource, target.namespace);
      const needsOwn = Boolean(target.namespace) && c.scope === 'cluster';
      return c.conservative || needsOwn ? census.probe(target) : Promise.resolve(c);
    },
    async refreshMetrics() {
      if (!opts.sources.includes('metrics') || !opts.fetchText) return 0;
      const { counts, sizes } = readStorageMetrics(parseMetricsText(await opts.fetchText('/metrics'), isStorageMetric).samples);
      for (const c of counts) record(keyOf(c.group, c.resource), 'metrics', c.count);
      if (sizes.length > 0) opts.onStorageSizes?.(sizes);
      return counts.length;
    },
    start() {
      if (running) return;
      running = true;
      scrapeAndSchedule();
    },
    stop() {
      running = false;
      if (timer !== undefined) timers.clear(timer);
      timer = undefined;
    },
    reconfigure(next) {
      const interval = opts.refreshIntervalMs;
      Object.assign(opts, { sources: [...next.sources], refreshIntervalMs: next.refreshIntervalMs, staleAfterMs: next.staleAfterMs, conservative: { ...next.conservative } });
      if (running && interval !== next.refreshIntervalMs) schedule();
    },
    entries() {
      const out: CensusEntry[] = [];
      for (const [k, row] of table) {
        const [group = '', resource = '', namespace = ''] = k.split('\u0000');
        for (const [source, t] of row) out.push({ group, resource, namespace, source, count: t.count, ageSeconds: ageOf(t) });
      }
      return out;
    },
  };
  /** The next scrape one interval from now (replacing any pending one). */
  function schedule(): void {
    if (timer !== undefined) timers.clear(timer);
    timer = timers.set(scrapeAndSchedule, opts.refreshIntervalMs);
  }
  function scrapeAndSchedule(): void {
    timer = undefined;
    void census.refreshMetrics().catch((err: unknown) => opts.onError?.(err, 'census metrics scrape'));
    if (running) schedule();
  }
  return census;
}
