/**
 * How long the upstream apiserver takes to answer: from sending a request until its response headers
 * (or a 101 for an upgrade) arrive, by Kubernetes verb. For a LIST that is nearly all of its cost: the
 * apiserver builds the whole response before it sends the first byte. Watches answer at once.
 */
import { Histogram, type Registry } from 'prom-client';
import { resolveRequestInfo } from '../k8s/request-info.js';

export interface UpstreamMetrics {
  observeResponse(labels: { method: string; path: string; verb?: string | undefined }, seconds: number): void;
}

/** The apiserver's verb for a request target, or the lower-cased method for non-resource paths. */
export function verbOf(method: string, target: string): string {
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : target.slice(q + 1));
  const info = resolveRequestInfo(method, path, query);
  return info.isResourceRequest && info.verb ? info.verb : method.toLowerCase();
}

export function createUpstreamMetrics(registry: Registry): UpstreamMetrics {
  const existing = registry.getSingleMetric('listgate_upstream_response_seconds');
  const latency =
    existing instanceof Histogram
      ? (existing as Histogram<'verb'>)
      : new Histogram({
          name: 'listgate_upstream_response_seconds',
          help: 'Time from sending a request to the upstream apiserver until its response headers arrive, by Kubernetes verb.',
          labelNames: ['verb'] as const,
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
          registers: [registry],
        });
  return {
    observeResponse({ method, path, verb }, seconds) {
      latency.observe({ verb: verb || verbOf(method, path) }, seconds);
    },
  };
}
