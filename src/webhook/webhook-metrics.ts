/**
 * The webhook's metrics on the injected Registry:
 * - listgate_webhook_reviews_total{operation,outcome}: pod admission reviews answered, by operation
 *   (CREATE, UPDATE, or `other`) and outcome: routed, amended (a routed pod completed: containers another
 *   webhook added, new ephemeral containers), unchanged, a skip reason (excluded-namespace, opted-out,
 *   sets-own-environment, no-service-account-volume, host-network, not-routed, no-old-object), ca-unavailable (the CA
 *   ConfigMap could not be written: the pod is left unrouted), ignored (an operation routing has nothing
 *   to do with), refused (not a pod: an AdmissionReview error), failed (an internal error: left unrouted);
 * - listgate_webhook_requests_total{code}: HTTP requests to the webhook, by the status answered
 *   (200 for every AdmissionReview answered, 4xx for bodies that are not one);
 * - listgate_webhook_review_duration_seconds: from a review's arrival to its answer, CA ConfigMap write
 *   included (the MutatingWebhookConfiguration's timeoutSeconds bounds it);
 * - listgate_webhook_ca_configmaps_total{result}: the CA ConfigMap in routed namespaces, by result:
 *   created, updated, failed.
 */
import { Counter, Histogram, type Registry } from 'prom-client';

export interface WebhookMetrics {
  observeReview(operation: string, outcome: string, seconds: number): void;
  observeRequest(code: number): void;
  observeCaConfigMap(result: 'created' | 'updated' | 'failed'): void;
}

function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[]): Counter<L> {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Counter) return existing as Counter<L>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

export function createWebhookMetrics(registry: Registry): WebhookMetrics {
  const reviews = counter(registry, 'listgate_webhook_reviews_total', 'Pod admission reviews answered by the routing webhook, by operation and outcome.', ['operation', 'outcome'] as const);
  const requests = counter(registry, 'listgate_webhook_requests_total', 'HTTP requests to the routing webhook, by the status code answered.', ['code'] as const);
  const configMaps = counter(registry, 'listgate_webhook_ca_configmaps_total', 'Writes of the CA ConfigMap routed pods trust, by result (created, updated, failed).', ['result'] as const);
  const existing = registry.getSingleMetric('listgate_webhook_review_duration_seconds');
  const duration =
    existing instanceof Histogram
      ? existing
      : new Histogram({
          name: 'listgate_webhook_review_duration_seconds',
          help: 'Time from an admission review arriving to its answer, the CA ConfigMap write included.',
          buckets: [0.001, 0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5],
          registers: [registry],
        });
  return {
    observeReview(operation, outcome, seconds) {
      reviews.inc({ operation: operation === 'CREATE' || operation === 'UPDATE' ? operation : 'other', outcome });
      duration.observe(seconds);
    },
    observeRequest: (code) => requests.inc({ code: String(code) }),
    observeCaConfigMap: (result) => configMaps.inc({ result }),
  };
}
