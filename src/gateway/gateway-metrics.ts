/**
 * The gateway's Prometheus metrics, registered on an injected Registry (never the global one).
 * Label values that come from request paths are bounded: after `maxResources` distinct resources any
 * new one is counted as `other`, so a client inventing paths cannot grow the series without end.
 */
import { Counter, type Registry } from 'prom-client';

export interface GatewayMetrics {
  /** Counts one finished request; `decision` is admission's, or `none`. */
  observeRequest(labels: { verb: string; resource: string; decision: string; code: number }): void;
  /** Counts one failure talking to the upstream, by catalogue code. */
  observeUpstreamError(reason: string): void;
}

export function createGatewayMetrics(registry: Registry, opts: { maxResources?: number } = {}): GatewayMetrics {
  const maxResources = opts.maxResources ?? 200;
  const requests = new Counter({
    name: 'listgate_requests_total',
    help: 'Requests handled by the gateway, by Kubernetes verb, resource, admission decision (none when not admitted) and HTTP status code sent to the client.',
    labelNames: ['verb', 'resource', 'decision', 'code'] as const,
    registers: [registry],
  });
  const upstreamErrors = new Counter({
    name: 'listgate_upstream_errors_total',
    help: 'Failures talking to the upstream apiserver, by reason (connection refused, TLS, reset, timeout …).',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const seenResources = new Set<string>();
  const boundedResource = (resource: string): string => {
    if (seenResources.has(resource)) return resource;
    if (seenResources.size >= maxResources) return 'other';
    seenResources.add(resource);
    return resource;
  };
  return {
    observeRequest({ verb, resource, decision, code }) {
      requests.inc({ verb, resource: boundedResource(resource), decision, code: String(code) });
    },
    observeUpstreamError(reason) {
      upstreamErrors.inc({ reason });
    },
  };
}
