/**
 * The proxy's side of the estimator: a LIST's 200 response body is measured by the estimator's observer
 * as it is relayed (from the upstream response's own chunks, or, when it is gzip-encoded, through a
 * pass-through Transform that decodes a copy on the side; nothing is buffered), and when the exchange
 * has finished the observation is learned from — only when the whole body reached the client. An aborted or failed response settles the observation at once
 * (the observer is destroyed) and teaches nothing. The decoded bytes go into the request's outcome, so
 * the request log shows the estimate beside what was observed.
 */
import type { Transform } from 'node:stream';
import { estimateInputOf, type GatewayEstimator } from './estimate-step.js';
import type { UpstreamResponse } from './upstream-request.js';
import type { EstimatedContext, HttpExchange, ResponseEnd } from './request-context.js';

export interface ResponseMeter {
  /**
   * A stage to relay the upstream body through, before it is written to the client; undefined when the
   * body is measured from the upstream response's own chunks (not content-encoded: nothing to decode).
   */
  readonly stage: Transform | undefined;
  /** Call once, when the exchange finished: resolves when the observation is settled and learned. */
  finish(end: ResponseEnd): Promise<void>;
}

const text = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value.join(', ') : value);

/** A meter for the response, or undefined when there is nothing to learn from it (not a LIST, not 200). */
export function meterResponse(ctx: EstimatedContext<HttpExchange>, res: UpstreamResponse, estimator: GatewayEstimator): ResponseMeter | undefined {
  const status = res.statusCode ?? 0;
  if (ctx.estimate.class !== 'list' || status !== 200) return undefined;
  const input = estimateInputOf(ctx.classification, ctx.exchange.req.headers);
  const observer = estimator.observe({ contentType: text(res.headers['content-type']), contentEncoding: text(res.headers['content-encoding']) }, input);
  let finished = false;
  return {
    stage: observer.tap(res) ? undefined : observer.passThrough(),
    async finish(end) {
      if (finished) return;
      finished = true;
      if (end !== 'ended') observer.abort();
      const seen = await observer.result;
      // A body cut short is no sample of anything, even if the upstream's part of it was whole.
      const observed = { ...seen, complete: seen.complete && end === 'ended' };
      if (observed.complete) ctx.outcome.observedBytes = observed.decodedBytes;
      try {
        const learned = estimator.learn({ input, estimate: ctx.estimate, status, observed });
        ctx.log.debug({ learned, observed }, 'estimator: response observed');
      } catch (err) {
        ctx.log.warn({ err }, 'estimator: could not learn from the response');
      }
    },
  };
}
