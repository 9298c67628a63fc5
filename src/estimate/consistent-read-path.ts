/**
 * Where an upstream serves consistent LISTs (resourceVersion unset, no limit), read from its own metrics.
 * kube-apiserver 1.31+ serves them from the watch cache (ConsistentListFromCache) only when etcd supports
 * progress notifications (≥ 3.4.31 / 3.5.13); otherwise it reads them from etcd, at about 2.5× the memory
 * (CALIBRATION.md). The cacher counts what it served:
 *   apiserver_watch_cache_consistent_read_total{resource="/namespaces",fallback="false",success="true"}
 * counts a consistent read answered from the cache; one delegated to etcd counts in
 *   apiserver_storage_list_total{resource="namespaces"} instead.
 * `pathFromMetrics` reads one scrape (any consistent read served from the cache settles it);
 * `pathFromProbe` compares scrapes taken around one consistent LIST of namespaces (a field selector keeps
 * its answer to one object without changing where it is served from). Pure.
 */
import type { ConsistentReadPath } from './list-serving.js';
import type { MetricSample } from './prometheus-text.js';

const CONSISTENT = 'apiserver_watch_cache_consistent_read_total';
const STORAGE_LISTS = 'apiserver_storage_list_total';
/** Whether the functions here read the metric (a filter for parseMetricsText). */
export const isReadPathMetric = (name: string): boolean => name === CONSISTENT || name === STORAGE_LISTS;

function sum(samples: readonly MetricSample[], name: string, labels: Record<string, string>): number {
  let total = 0;
  for (const s of samples) {
    if (s.name !== name || !Number.isFinite(s.value)) continue;
    if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) total += s.value;
  }
  return total;
}

/** `cache` when the upstream has served a consistent read from its cache; undefined otherwise (no evidence). */
export function pathFromMetrics(samples: readonly MetricSample[]): ConsistentReadPath {
  return sum(samples, CONSISTENT, { fallback: 'false', success: 'true' }) > 0 ? 'cache' : undefined;
}

/** The path of the consistent LIST of namespaces made between the two scrapes; undefined if neither counter moved. */
export function pathFromProbe(before: readonly MetricSample[], after: readonly MetricSample[]): ConsistentReadPath {
  const served = (s: readonly MetricSample[]) => sum(s, CONSISTENT, { resource: '/namespaces', fallback: 'false', success: 'true' });
  if (served(after) > served(before)) return 'cache';
  const delegated = (s: readonly MetricSample[]) => sum(s, STORAGE_LISTS, { resource: 'namespaces' }) + sum(s, CONSISTENT, { resource: '/namespaces', fallback: 'true' });
  return delegated(after) > delegated(before) ? 'etcd' : undefined;
}
