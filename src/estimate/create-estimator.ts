/**
 * The estimator assembled: factors for the upstream's version, the census (metrics scrape and rate-
 * limited probes over the gateway's upstream connection), the size, selectivity and page models, and
 * the metrics, behind the four calls the pipeline makes per request:
 *   estimate(input) → Estimate                      (pure read of the models)
 *   refreshCount(input)                             (background probe when the count is stale/unknown)
 *   observe({ contentType, contentEncoding }, input) → ResponseObserver   (pipe the body through it)
 *   learn(outcome)                                  (when the observer's result settles)
 * `listgate estimate` and `listgate calibrate` use the same object. Settings are plain data, so the
 * config file's `estimator` section maps onto them one to one; `reconfigure` applies new ones in place
 * (a reload): what was learned, counted and probed is kept.
 */
import { realTimers, type Timers } from '../timers.js';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { storageSizeSeeds } from './apiserver-metrics.js';
import { createCensus, type Census, type CensusSettings, type CountSource, type ProbeResult } from './census.js';
import { createProbeLimiter, probeLimiterSettings, type ProbeTarget } from './census-probe.js';
import { estimateRequest } from './estimate-list-memory.js';
import type { Estimate, EstimateInput } from './estimate-types.js';
import { createEstimatorMetrics } from './estimator-metrics.js';
import type { Factors } from './factors.js';
import { learnFromResponse, type Learned, type ListOutcome } from './learn-from-response.js';
import { observeResponse, type ResponseObserver } from './observe-response.js';
import { factsOf } from './list-facts.js';
import { createPageChains, type PageChains } from './page-chains.js';
import { resolveFactors, type FactorSettings } from './resolve-factors.js';
import { createSelectivityModel, type SelectivityModel } from './selectivity-model.js';
import { createSizeModel, type SizeModel, type SizeModelSettings } from './size-model.js';
import { createSizeSampler } from './size-sampler.js';
import type { ConsistentReadPath } from './list-serving.js';
import { createUpstreamDiscovery, type UpstreamFindings } from './upstream-discovery.js';
import { createUpstreamFetch, type UpstreamRequester } from './upstream-fetch.js';

export interface EstimatorSettings {
  factors?: FactorSettings;
  census?: {
    sources?: CountSource[];
    refreshIntervalMs?: number;
    staleAfterMs?: number;
    unknownCount?: number;
    staleMultiplier?: number;
    probes?: { maxConcurrent?: number; minTimeMs?: number; queueLimit?: number };
    /** How apiserver_resource_size_estimate_bytes is encoded: `auto` = protobuf for built-in groups. */
    storageEncoding?: 'auto' | 'json' | 'protobuf';
  };
  sizes?: {
    /** Average JSON bytes per object, by group and resource (the operator's word beats the metric). */
    seeds?: Array<{ group: string; resource: string; bytes: number }>;
    alpha?: number;
    minNamespaceSamples?: number;
    materialDifference?: number;
    /** A resource whose sizes are unknown is sampled (`limit=items`) before its first LIST is priced. */
    sampling?: { enabled?: boolean; items?: number; intervalMs?: number; waitMs?: number };
  };
  /** Multiplies a LIST estimate of less than high confidence (estimate-types.ts Confidence). */
  uncertaintyMargin?: number;
}

export interface Estimator {
  factors(): Factors;
  readonly census: Census;
  readonly sizes: SizeModel;
  readonly selectivity: SelectivityModel;
  readonly pages: PageChains;
  estimate(input: EstimateInput): Estimate;
  refreshCount(input: EstimateInput): Promise<void>;
  observe(headers: { contentType?: string; contentEncoding?: string }, input: EstimateInput): ResponseObserver;
  learn(outcome: ListOutcome): Learned;
  /** Re-resolves the factors for the version the upstream reports (`/version`'s gitVersion). */
  setUpstreamVersion(version: string | undefined): void;
  /** Where the upstream serves consistent LISTs, as last observed. */
  consistentReads(): ConsistentReadPath;
  /** One round of upstream discovery (version, consistent-read path), applied as found. */
  discover(): Promise<UpstreamFindings>;
  /**
   * Before a LIST is priced: samples the resource when nothing is known of its sizes (bounded by the
   * sampling wait); resolves at once otherwise. Never rejects.
   */
  prepare(input: EstimateInput): Promise<void>;
  /** New settings in place: factors re-resolved, census, probes and size model retuned, models kept. */
  reconfigure(settings: EstimatorSettings): void;
  /** Starts the census scrapes and the upstream discovery (the latter unless `discovery: false`). */
  start(opts?: { discovery?: boolean }): void;
  stop(): void;
}

export interface EstimatorDeps {
  settings?: EstimatorSettings;
  /** The gateway's upstream connection; without it the census counts from responses only. */
  upstream?: UpstreamRequester;
  registry: Registry;
  now: () => number;
  /** The census's, discovery's and sampling's timers; default Node's (unref'd). */
  timers?: Timers;
  logger?: Logger;
  upstreamVersion?: string;
}

export function createEstimator(deps: EstimatorDeps): Estimator {
  const timers = deps.timers ?? realTimers;
  let s = deps.settings ?? {};
  let upstreamVersion = deps.upstreamVersion;
  let factors = resolveFactors(s.factors, upstreamVersion);
  let consistentReads: ConsistentReadPath;
  let seenVersion: string | undefined;
  const fetch = deps.upstream ? createUpstreamFetch(deps.upstream) : undefined;
  const sizeSettings = (): SizeModelSettings => ({
    encodingRatio: factors.encodingRatio,
    defaultObjectBytes: factors.defaultObjectBytes,
    alpha: s.sizes?.alpha,
    minNamespaceSamples: s.sizes?.minNamespaceSamples,
    materialDifference: s.sizes?.materialDifference,
    seeds: (s.sizes?.seeds ?? []).map((seed) => ({ ...seed, source: 'config' as const })),
  });
  const censusSettings = (): CensusSettings => {
    const c = s.census ?? {};
    return {
      sources: c.sources ?? (fetch ? ['metrics', 'probe', 'response'] : ['response']),
      refreshIntervalMs: c.refreshIntervalMs ?? 60_000,
      staleAfterMs: c.staleAfterMs ?? 300_000,
      conservative: { unknownCount: c.unknownCount ?? 1000, staleMultiplier: c.staleMultiplier ?? 2 },
    };
  };
  const { seeds, ...tunables } = sizeSettings();
  const sizes = createSizeModel({ now: deps.now, ...tunables, seed: seeds });
  const probes = createProbeLimiter(s.census?.probes);
  const census = createCensus({
    ...censusSettings(),
    limiter: probes,
    timers,
    ...(fetch ? { fetchJson: fetch.fetchJson, fetchText: fetch.fetchText } : {}),
    now: deps.now,
    onStorageSizes: (entries) => sizes.seed(storageSizeSeeds(entries, { encodingRatio: factors.encodingRatio, storageEncoding: s.census?.storageEncoding })),
    // Probes start only after the estimator is built, when `metrics` below exists.
    onProbe: (result: ProbeResult) => metrics.countProbe(result),
    onError: (err, what) => deps.logger?.warn({ err, what }, 'estimator: census read failed'),
  });
  const selectivity = createSelectivityModel();
  const pages = createPageChains({ now: deps.now });
  const metrics = createEstimatorMetrics(deps.registry, { census, sizes });
  const models = () => ({ census, sizes, selectivity, pages, factors, consistentReads, ...(s.uncertaintyMargin !== undefined ? { uncertaintyMargin: s.uncertaintyMargin } : {}) });
  const sampling = s.sizes?.sampling ?? {};
  const censusSources = censusSettings().sources;
  // A sample is a probe: taken only where the census may probe the upstream (settings read when needed).
  const samples = () => s.sizes?.sampling?.enabled !== false && censusSettings().sources.includes('probe');
  const sampler = fetch
      ? createSizeSampler({
          fetchJson: (path) => fetch.fetchJson(path),
          limiter: createProbeLimiter({ maxConcurrent: 2, minTimeMs: 0, queueLimit: 100 }),
          sizes,
          observeCount: (t, count) => census.observe({ group: t.group, resource: t.resource, ...(t.namespace ? { namespace: t.namespace } : {}), count, source: 'probe' }),
          now: deps.now,
          ...(sampling.items !== undefined ? { items: sampling.items } : {}),
          ...(sampling.intervalMs !== undefined ? { intervalMs: sampling.intervalMs } : {}),
          onError: (err, path) => deps.logger?.warn({ err, path }, 'estimator: sampling object sizes failed'),
        })
      : undefined;
  const applyFindings = (found: UpstreamFindings): void => {
    if (found.version !== undefined && found.version !== seenVersion) {
      seenVersion = found.version;
      estimator.setUpstreamVersion(found.version);
      deps.logger?.info({ upstreamVersion: found.version, profile: factors.profile.fromVersion }, 'estimator factors chosen for the upstream version');
    }
    if (found.consistentReads !== undefined && found.consistentReads !== consistentReads) {
      consistentReads = found.consistentReads;
      deps.logger?.info({ consistentReads }, `estimator: the upstream serves consistent LISTs from ${consistentReads === 'cache' ? 'its watch cache' : 'etcd'}`);
    }
  };
  // Where consistent reads are served is read from the apiserver's metrics: only where the census may read them.
  const discovery = fetch
    ? createUpstreamDiscovery({
        fetch,
        apply: applyFindings,
        pinnedVersion: () => s.factors?.upstreamVersion !== undefined,
        readPath: censusSources.includes('metrics'),
        timers,
        ...(deps.logger ? { logger: deps.logger } : {}),
      })
    : undefined;

  const targetOf = (input: EstimateInput): ProbeTarget => ({
    group: input.info.apiGroup,
    version: input.info.apiVersion,
    resource: input.info.resource,
    ...(input.info.namespace ? { namespace: input.info.namespace } : {}),
  });

  const estimator: Estimator = {
    factors: () => factors,
    census,
    sizes,
    selectivity,
    pages,
    estimate: (input) => estimateRequest(input, models()),
    async refreshCount(input) {
      if (input.info.verb !== 'list' && input.info.verb !== 'deletecollection') return;
      await census.refresh(targetOf(input));
    },
    observe(headers, input) {
      const { info, options } = input;
      const paged = info.verb === 'list' && options.limit !== undefined;
      const shape = paged ? factsOf(input).shape : '';
      const onContinue = (page: { continue: string; remainingItemCount?: number }) =>
        pages.expect({ shape, requested: options.continue, next: page.continue, items: options.limit ?? 0, ...(page.remainingItemCount !== undefined ? { remaining: page.remainingItemCount } : {}) });
      return observeResponse({ ...headers, ...(input.representation ? { as: input.representation.as } : {}), ...(paged ? { onContinue } : {}) });
    },
    learn: (outcome) => learnFromResponse(outcome, { ...models(), metrics }),
    setUpstreamVersion(version) {
      upstreamVersion = version;
      factors = resolveFactors(s.factors, version);
    },
    reconfigure(settings) {
      s = settings;
      factors = resolveFactors(s.factors, upstreamVersion);
      sizes.reconfigure(sizeSettings());
      census.reconfigure(censusSettings());
      probes.updateSettings(probeLimiterSettings(s.census?.probes));
    },
    consistentReads: () => consistentReads,
    discover: () => (discovery ? discovery.discover() : Promise.resolve({})),
    async prepare(input) {
      const { info } = input;
      if (!sampler || !samples() || (info.verb !== 'list' && info.verb !== 'deletecollection')) return;
      if (sizes.averageBytes(info.apiGroup, info.resource).source !== 'default') return;
      const target = { ...targetOf(input), namespace: undefined };
      const waitMs = s.sizes?.sampling?.waitMs ?? 5_000;
      await new Promise<void>((resolve) => {
        const timer = timers.set(resolve, waitMs);
        void sampler.sample(target).finally(() => {
          timers.clear(timer);
          resolve();
        });
      });
    },
    start(opts = {}) {
      census.start();
      if (opts.discovery !== false) discovery?.start();
    },
    stop() {
      census.stop();
      discovery?.stop();
    },
  };
  return estimator;
}
