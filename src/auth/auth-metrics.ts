/**
 * Authentication metrics on the injected Registry:
 * - listgate_authentications_total{method,result}: method x509 | token | anonymous | none (no credentials),
 *   result success | failure (credentials refused) | error (could not be checked: TokenReview unavailable);
 * - listgate_tokenreview_cache_total{result}: hit | miss, one per bearer-token lookup;
 * - listgate_tokenreview_revalidations_total{result}: background revalidations of cached tokens, by
 *   result positive | negative (now refused) | error;
 * - listgate_tokenreview_throttled_total{scope}: requests answered 429 because a TokenReview would pass
 *   the bounds of its client address (client) or of the gateway (total);
 * - listgate_access_reviews_total{result,cache}: SubjectAccessReviews asked (authorize step and
 *   impersonation), result allowed | denied | error, cache hit | miss.
 * A Registry that already holds them (the app rebuilt on a config reload) gets the same counters back.
 */
import { Counter, type Registry } from 'prom-client';

export type AuthMetricMethod = 'x509' | 'token' | 'anonymous' | 'none';
export type AuthMetricResult = 'success' | 'failure' | 'error';

export interface AuthMetrics {
  observeAuthentication(method: AuthMetricMethod, result: AuthMetricResult): void;
  observeTokenCache(result: 'hit' | 'miss'): void;
  observeTokenRevalidation(result: 'positive' | 'negative' | 'error'): void;
  observeTokenThrottled(scope: 'client' | 'total'): void;
  observeAccessReview(result: 'allowed' | 'denied' | 'error', cache: 'hit' | 'miss'): void;
}

function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[]): Counter<L> {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Counter) return existing as Counter<L>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

export function createAuthMetrics(registry: Registry): AuthMetrics {
  const authentications = counter(
    registry,
    'listgate_authentications_total',
    'Requests authenticated by the gateway, by method (x509, token, anonymous, none) and result (success, failure, error).',
    ['method', 'result'] as const,
  );
  const cache = counter(registry, 'listgate_tokenreview_cache_total', 'Bearer-token lookups answered from the TokenReview cache (hit) or by a TokenReview (miss).', [
    'result',
  ] as const);
  const revalidations = counter(registry, 'listgate_tokenreview_revalidations_total', 'Background revalidations of cached bearer tokens, by result (positive, negative: now refused, error).', [
    'result',
  ] as const);
  const throttled = counter(registry, 'listgate_tokenreview_throttled_total', 'Requests answered 429 because their TokenReview would pass the bounds of their client address (client) or of the gateway (total).', [
    'scope',
  ] as const);
  const accessReviews = counter(
    registry,
    'listgate_access_reviews_total',
    'SubjectAccessReviews asked before a request weighs on admission or for a caller\'s impersonation, by result (allowed, denied, error) and cache (hit, miss).',
    ['result', 'cache'] as const,
  );
  return {
    observeAuthentication(method, result) {
      authentications.inc({ method, result });
    },
    observeTokenCache(result) {
      cache.inc({ result });
    },
    observeTokenRevalidation(result) {
      revalidations.inc({ result });
    },
    observeTokenThrottled(scope) {
      throttled.inc({ scope });
    },
    observeAccessReview(result, cacheResult) {
      accessReviews.inc({ result, cache: cacheResult });
    },
  };
}
