/**
 * The end of every request: one info line (verb, resource, namespace, code, bytes, duration) on the
 * request's logger, and the request and upstream-error counters. Called exactly once per request.
 */
import type { Classification } from './classify-request.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import type { RequestContext } from './request-context.js';

export type FinishedContext = RequestContext & { readonly classification?: Classification };

export function recordRequest(ctx: FinishedContext, deps: { metrics: GatewayMetrics; now: () => number }): void {
  const info = ctx.classification?.info;
  const resource = info?.isResourceRequest ? info.resource : '';
  const verb = info?.verb || ctx.method.toLowerCase();
  const { outcome } = ctx;
  // 499 (nginx's convention): the client closed the connection before any response was sent.
  const code = outcome.code === 0 && outcome.clientClosed ? 499 : outcome.code;
  const line = {
    verb,
    resource,
    subresource: info?.subresource || undefined,
    namespace: info?.namespace || undefined,
    name: info?.name || undefined,
    path: info && !info.isResourceRequest ? info.path : undefined,
    kind: ctx.classification?.kind,
    code,
    bytes: outcome.bytesToClient,
    bytesIn: outcome.bytesFromClient,
    durationMs: Math.round((deps.now() - ctx.startedAt) * 10) / 10,
    error: outcome.error,
    clientClosed: outcome.clientClosed,
  };
  ctx.log.info(line, 'request completed');
  deps.metrics.observeRequest({ verb, resource, code });
  if (outcome.error?.startsWith('upstream_')) deps.metrics.observeUpstreamError(outcome.error);
}
