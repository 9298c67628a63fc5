/**
 * The end of every request: one info line (user, verb, `target` — API group, resource, subresource,
 * namespace, name — or the `path` of a non-resource request, estimate — the bytes the apiserver holds and,
 * for a LIST, the response expected and observed —, decision, `admission`, code, bytes, duration; the
 * request id comes with the request's logger; `protocol: h2` for a request over HTTP/2) and the request and upstream-error
 * counters. Called exactly once per request, with the context as far as the request got: a request
 * refused by authentication has no user, one that was never admitted has no decision.
 */
import type { UserInfo } from '../auth/user-info.js';
import type { Classification } from './classify-request.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import type { RequestContext } from './request-context.js';

/** What admission decided (the admission issue writes it); `none` in logs and metrics when it did not. */
export type AdmissionDecision = 'admitted' | 'queued' | 'rejected' | 'exempt' | 'offload';

export type FinishedContext = RequestContext & {
  readonly user?: UserInfo;
  readonly classification?: Classification;
  /** Step 3, estimate: the bytes the apiserver is expected to hold for the request, and the response it expects. */
  readonly estimate?: { readonly estimatedBytes: number; readonly responseBytes?: number };
  /** Step 4, admit. */
  readonly decision?: AdmissionDecision;
  /** Admission's detail: priority level, flow schema, wait, and why it refused (admit-step.ts). */
  readonly admission?: { readonly level: string; readonly flowSchema?: string | undefined; readonly waitedMs: number; readonly reason?: string; readonly retryAfterSeconds?: number } | undefined;
};

export function recordRequest(ctx: FinishedContext, deps: { metrics: GatewayMetrics; now: () => number }): void {
  const info = ctx.classification?.info;
  const resource = info?.isResourceRequest ? info.resource : '';
  const verb = info?.verb || ctx.method.toLowerCase();
  const { outcome } = ctx;
  // 499 (nginx's convention): the client closed the connection before any response was sent.
  const code = outcome.code === 0 && outcome.clientClosed ? 499 : outcome.code;
  const decision = ctx.decision ?? 'none';
  const line = {
    user: ctx.user?.username,
    verb,
    // Nested: a flat `name` would repeat pino's own `name` key in the same line.
    target: info?.isResourceRequest
      ? {
          apiGroup: info.apiGroup || undefined,
          resource,
          subresource: info.subresource || undefined,
          namespace: info.namespace || undefined,
          name: info.name || undefined,
        }
      : undefined,
    path: info && !info.isResourceRequest ? info.path : undefined,
    kind: ctx.classification?.kind,
    estimatedBytes: ctx.estimate?.estimatedBytes,
    // A LIST's expected decoded response beside the one measured on its way through (when whole).
    estimatedResponseBytes: ctx.estimate?.responseBytes || undefined,
    observedResponseBytes: outcome.observedBytes,
    decision,
    admission: ctx.admission,
    code,
    bytes: outcome.bytesToClient,
    bytesIn: outcome.bytesFromClient,
    durationMs: Math.round((deps.now() - ctx.startedAt) * 10) / 10,
    error: outcome.error,
    clientClosed: outcome.clientClosed,
    offload: outcome.offload,
    // Said only of HTTP/2 requests (HTTP/1.1 is the rule for upgrades and older clients).
    protocol: ctx.exchange.req.httpVersionMajor === 2 ? 'h2' : undefined,
  };
  ctx.log.info(line, 'request completed');
  deps.metrics.observeRequest({ verb, resource, decision, code });
  if (outcome.error?.startsWith('upstream_')) deps.metrics.observeUpstreamError(outcome.error);
}
