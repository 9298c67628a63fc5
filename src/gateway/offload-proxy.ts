/**
 * The proxy step for an offloaded LIST (admission's `offload` decision, admit-step.ts): the gateway
 * serves the one response the client asked for from pieces the apiserver can afford — a streaming list
 * (offload-watch.ts) when admission chose it, else consecutive pages (offload-pages.ts); a streaming list
 * that fails before anything was sent gives way to pages. The stitched body is measured on its way like
 * any LIST's (the learn step learns the whole list from it). Resolves once, like the ordinary proxy,
 * with how the exchange finished; the leases of the pieces are released as each piece ends, the first
 * one (the request's) again at the pipeline's settle point (idempotent).
 */
import { PassThrough } from 'node:stream';
import type { IdentityMode } from '../config/parse-config.js';
import type { AdmittedContext } from './admit-step.js';
import type { GatewayEstimator } from './estimate-step.js';
import { estimateInputOf } from './estimate-step.js';
import type { OffloadMetrics } from './offload-metrics.js';
import { servePages } from './offload-pages.js';
import { clientHeadersOf, pieceHeaders, requestPiece, type OffloadRun, type OffloadTally, type PiecesEnd } from './offload-run.js';
import { serveWatch } from './offload-watch.js';
import type { HttpExchange, ResponseEnd } from './request-context.js';
import { createStitchedResponse } from './stitched-response.js';
import type { UpstreamClient } from './upstream-client.js';
import { upstreamHeadersFor } from './upstream-headers.js';

export type OffloadProxy = (ctx: AdmittedContext<HttpExchange>) => Promise<ResponseEnd>;

const END: Record<PiecesEnd, ResponseEnd> = { complete: 'ended', answered: 'ended', aborted: 'aborted', broken: 'failed' };

export function createOffloadProxy(deps: { upstream: UpstreamClient; identityMode: IdentityMode; metrics: OffloadMetrics; estimator?: GatewayEstimator }): OffloadProxy {
  return async (ctx) => {
    const offload = ctx.offload!;
    const { res } = ctx.exchange;
    const client = new AbortController();
    const onClose = () => {
      if (res.writableFinished) return;
      ctx.outcome.clientClosed = true;
      client.abort();
    };
    res.once('close', onClose);
    // The stitched body, measured as it leaves (JSON: items or rows counted, sizes learned).
    const input = estimateInputOf(ctx.classification, ctx.exchange.req.headers);
    const observer = deps.estimator?.observe({ contentType: 'application/json' }, input);
    const measured = new PassThrough();
    observer?.tap(measured);
    measured.resume();
    const out = createStitchedResponse(res, {
      onBytes: (n) => (ctx.outcome.bytesToClient += n),
      onChunk: (chunk) => measured.write(chunk),
    });
    const upstream = upstreamHeadersFor(ctx, { identityMode: deps.identityMode, upstream: deps.upstream, upgrade: false });
    const headers = pieceHeaders(upstream, offload.form.accept);
    const tally: OffloadTally = { mode: offload.mode, limit: offload.limit, pieces: 0, items: 0, restarts: 0 };
    const run: OffloadRun = {
      ctx: { ...ctx, offload },
      out,
      signal: client.signal,
      tally,
      request: (path) => {
        deps.metrics.asked(tally.mode);
        return requestPiece(deps.upstream, { path, headers, signal: client.signal, ...(tally.mode === 'watch' ? { verb: 'watch', lane: 'long' } : { verb: 'list', lane: 'short' }) });
      },
      clientHeaders: (upstreamRes) => clientHeadersOf(upstreamRes, ctx.id, offload.mode === 'watch' ? 'application/json' : undefined),
      waiting: (delta) => deps.metrics.waiting(delta),
    };

    let end: PiecesEnd;
    if (offload.mode === 'watch') {
      const watched = await serveWatch(run, ctx.lease);
      if (typeof watched === 'object') {
        tally.fellBack = watched.fallback;
        ctx.log.info({ offload: { fallback: watched.fallback } }, 'offloaded LIST: the streaming list could not serve it; served in pages');
        end = await servePages(run);
      } else end = watched;
    } else end = await servePages(run, { lease: ctx.lease });

    res.off('close', onClose);
    if (out.sent && ctx.outcome.code === 0) ctx.outcome.code = 200;
    if (end === 'complete') measured.end();
    else {
      measured.destroy();
      observer?.abort();
    }
    if (observer && out.sent) ctx.outcome.metered = observer.result.then((seen) => ({ input, status: 200, observed: { ...seen, complete: seen.complete && end === 'complete' } }));
    ctx.outcome.offload = { ...tally, result: end };
    deps.metrics.observe(tally, end);
    if (end === 'aborted') await closed(res);
    return END[end];
  };
}

/** Resolves when the response is closed (the client went away: its socket is gone or going). */
function closed(res: HttpExchange['res']): Promise<void> {
  return res.closed ? Promise.resolve() : new Promise((resolve) => res.once('close', () => resolve()));
}
