/**
 * proxy (ordinary requests): forwards to the upstream apiserver and relays the answer. Bodies stream in
 * both directions with backpressure and are never buffered; the response status and headers go back
 * as-is minus hop-by-hop headers. Failure rules:
 * - the upstream fails before answering → a Status from the catalogue (503/504);
 * - the upstream breaks off mid-response → the client's response is destroyed (it sees a truncated,
 *   failed response, never a clean end); a watch between two events is ended cleanly instead (its
 *   events are whole, and a watch client re-watches from the last one it saw, as after any watch end);
 * - its lane of upstream capacity stays full for `upstream.queueTimeout` → 429 with Retry-After;
 * - the client goes away → the upstream request is destroyed at once, so the apiserver stops and frees
 *   what it holds for it;
 * - the gateway shuts down (`stopping` aborts) → a watch ends cleanly after the event in progress
 *   (watch-end.ts) and its upstream request is dropped, so the client re-watches elsewhere.
 * A LIST's 200 body is also measured on its way by the estimator's meter (response-meter.ts), whose
 * settled observation goes into the outcome (`metered`) for the learn step. The returned promise is the
 * exchange's single settle point: it resolves exactly once, with how the exchange finished (`ended`,
 * `aborted`, `failed`); the pipeline learns from the response there, then releases admission's lease.
 */
import type { IncomingMessage } from 'node:http';
import type { IdentityMode } from '../config/parse-config.js';
import type { GatewayEstimator } from './estimate-step.js';
import { replyStatus } from './reply-status.js';
import type { EstimatedContext, HttpExchange, ResponseEnd } from './request-context.js';
import { relay } from './relay.js';
import { meterResponse, type ResponseMeter } from './response-meter.js';
import type { UpstreamClient } from './upstream-client.js';
import { upstreamFailure } from './upstream-failure.js';
import { buildResponseHeaders, upstreamHeadersFor } from './upstream-headers.js';
import { http2RequestHasBody } from './http2-request.js';
import { isLongRunning } from './long-running.js';
import { watchEndFor } from './watch-end.js';

/** `warnings`: Warning values an earlier step adds to the response (admission's hint on a large LIST). */
export type HttpProxy = (ctx: EstimatedContext<HttpExchange> & { readonly warnings?: readonly string[] }) => Promise<ResponseEnd>;

export function createHttpProxy(deps: {
  upstream: UpstreamClient;
  identityMode: IdentityMode;
  stopping?: AbortSignal;
  estimator?: GatewayEstimator;
}): HttpProxy {
  const { upstream } = deps;
  const facts = { server: upstream.server, connectTimeoutMs: upstream.connectTimeoutMs };

  return (ctx) =>
    new Promise<ResponseEnd>((resolve) => {
      const { req, res } = ctx.exchange;
      let meter: ResponseMeter | undefined;
      let settled = false;
      const settle = (end: ResponseEnd): void => {
        if (settled) return;
        settled = true;
        if (meter) ctx.outcome.metered = meter.finish(end);
        resolve(end);
      };
      const headers = upstreamHeadersFor(ctx, { identityMode: deps.identityMode, upstream, upgrade: false });
      const info = ctx.classification.info;
      const verb = info.isResourceRequest ? info.verb : undefined;
      const lane = isLongRunning(ctx.classification.kind) ? 'long' : 'short';
      const upstreamReq = upstream.request({ method: ctx.method, path: ctx.classification.target.url, headers, verb, lane });
      let responding = false;

      res.once('close', () => {
        if (res.writableFinished) return;
        ctx.outcome.clientClosed = true;
        upstreamReq.destroy();
        settle('aborted');
      });

      // Request body, if any (most requests have none: GET, and DELETE without options). `pipe`, not a
      // pipeline from `req`: when the upstream fails first, the client's request must stay intact so it
      // can still receive the 503 Status.
      if (hasBody(req)) {
        req.on('data', (chunk: Buffer) => (ctx.outcome.bytesFromClient += chunk.length));
        req.pipe(upstreamReq);
      } else upstreamReq.end();

      upstreamReq.once('response', (upstreamRes) => {
        responding = true;
        const code = upstreamRes.statusCode ?? 502;
        ctx.outcome.code = code;
        const responseHeaders = buildResponseHeaders(upstreamRes.rawHeaders, ctx.id);
        for (const warning of ctx.warnings ?? []) responseHeaders.push('Warning', warning);
        if (upstreamRes.statusMessage && ctx.exchange.req.httpVersionMajor === 1) res.writeHead(code, upstreamRes.statusMessage, responseHeaders);
        else res.writeHead(code, responseHeaders);
        // Streaming answers (watch, chunked LIST) get their headers now, not with the first event.
        if (upstreamRes.headers['content-length'] === undefined) res.flushHeaders();
        const counted = { onBytes: (n: number) => (ctx.outcome.bytesToClient += n) };
        const watchEnd = watchEndFor(ctx.classification.kind, upstreamRes.headers, deps.stopping);
        let upstreamLost = false;
        const done = (err: Error | null) => {
          if (upstreamLost && !err) ctx.log.warn('the upstream ended the watch without a clean end; the client watch was ended between two events');
          if (err && !ctx.outcome.clientClosed && !watchEnd?.stopped) {
            ctx.outcome.error = 'upstream_aborted';
            ctx.log.warn({ err }, 'upstream broke off the response; client response destroyed');
          }
          settle(!err || watchEnd?.stopped ? 'ended' : ctx.outcome.clientClosed ? 'aborted' : 'failed');
        };
        meter = deps.estimator ? meterResponse(ctx, upstreamRes, deps.estimator) : undefined;
        if (meter?.stage) return void relay([upstreamRes, meter.stage, res], counted, done);
        if (!watchEnd) return void relay([upstreamRes, res], counted, done);
        // Ended for shutdown: once the client has the whole (terminated) response, drop the upstream watch.
        res.once('finish', () => {
          if (watchEnd.stopped) upstreamReq.destroy();
        });
        // The upstream gone between two events: the client's watch ends cleanly there, and it re-watches.
        const endOnSourceLoss = (): boolean => (upstreamLost = watchEnd.endAtBoundary());
        relay([upstreamRes, watchEnd, res], { ...counted, endOnSourceLoss }, done);
      });

      // `on`, not `once`: a second error event must not go unhandled and take the process down.
      let failed = false;
      upstreamReq.on('error', (err) => {
        if (responding || failed) return; // the response pipeline reports it
        failed = true;
        if (ctx.outcome.clientClosed) return settle('aborted');
        const failure = upstreamFailure(err, facts);
        ctx.outcome.error = failure.code;
        ctx.outcome.code = failure.httpStatus;
        ctx.log.warn({ err, reason: failure.code }, 'upstream request failed');
        if (!req.complete && 'shouldKeepAlive' in res) res.shouldKeepAlive = false;
        replyStatus(ctx.exchange, failure.toStatus(), ctx.id, failure.headers);
        settle('failed');
      });
    });
}

/**
 * A request carries a body only with a Content-Length above 0 or a Transfer-Encoding (RFC 9112 §6.3);
 * over HTTP/2, unless its headers ended the stream.
 */
function hasBody(req: IncomingMessage): boolean {
  const http2 = http2RequestHasBody(req);
  if (http2 !== undefined) return http2;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
