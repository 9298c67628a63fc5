/**
 * The estimator's metrics, in an injected Registry (never prom-client's global one):
 * - listgate_estimate_error_ratio{resource}: estimated ÷ observed response bytes of each LIST;
 * - listgate_census_age_seconds{resource,source} and listgate_census_objects{resource,source}:
 *   cluster-wide counts (namespaced ones are left out to bound the label set);
 * - listgate_census_probes_total{result}: probes by outcome (ok, error, dropped, deduplicated, recent);
 * - listgate_size_model_bytes{resource,representation,source}: JSON-equivalent bytes per object.
 * `resource` is written `deployments.apps`, `secrets` (core), as the apiserver's own metrics write it.
 * Gauges are read from the census and size model at scrape time.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CensusEntry, ProbeResult } from './census.js';
import type { SizeEntry } from './size-model.js';

export interface EstimatorMetrics {
  observeError(o: { group: string; resource: string; ratio: number }): void;
  countProbe(result: ProbeResult): void;
}

export interface EstimatorMetricViews {
  census?: { entries(): CensusEntry[] };
  sizes?: { entries(): SizeEntry[] };
}

export const ERROR_RATIO_BUCKETS = [0.25, 0.5, 0.67, 0.8, 0.87, 0.95, 1.05, 1.15, 1.25, 1.5, 2, 4, 10];

export function resourceLabel(group: string, resource: string): string {
  return group ? `${resource}.${group}` : resource;
}

export function createEstimatorMetrics(registry: Registry, views: EstimatorMetricViews = {}): EstimatorMetrics {
  const errors = new Histogram({
    name: 'listgate_estimate_error_ratio',
    help: 'Estimated response bytes divided by the observed response bytes of each LIST (1 is exact).',
    labelNames: ['resource'],
    buckets: ERROR_RATIO_BUCKETS,
    registers: [registry],
  });
  const probes = new Counter({
    name: 'listgate_census_probes_total',
    help: 'Census probes (limit=1 consistent lists) by result.',
    labelNames: ['result'],
    registers: [registry],
  });
  const clusterEntries = () => (views.census?.entries() ?? []).filter((e) => e.namespace === '');
  new Gauge({
    name: 'listgate_census_age_seconds',
    help: 'Age of the cluster-wide object count per resource and census source.',
    labelNames: ['resource', 'source'],
    registers: [registry],
    collect() {
      this.reset();
      for (const e of clusterEntries()) this.set({ resource: resourceLabel(e.group, e.resource), source: e.source }, e.ageSeconds);
    },
  });
  new Gauge({
    name: 'listgate_census_objects',
    help: 'Cluster-wide object count per resource and census source.',
    labelNames: ['resource', 'source'],
    registers: [registry],
    collect() {
      this.reset();
      for (const e of clusterEntries()) this.set({ resource: resourceLabel(e.group, e.resource), source: e.source }, e.count);
    },
  });
  new Gauge({
    name: 'listgate_size_model_bytes',
    help: 'Average JSON-equivalent bytes per object (or per Table/PartialObjectMetadata item) in the size model.',
    labelNames: ['resource', 'representation', 'source'],
    registers: [registry],
    collect() {
      this.reset();
      for (const e of views.sizes?.entries() ?? []) {
        this.set({ resource: resourceLabel(e.group, e.resource), representation: e.as, source: e.source }, e.bytes);
      }
    },
  });
  return {
    observeError({ group, resource, ratio }) {
      if (Number.isFinite(ratio) && ratio >= 0) errors.observe({ resource: resourceLabel(group, resource) }, ratio);
    },
    countProbe(result) {
      probes.inc({ result });
    },
  };
}
