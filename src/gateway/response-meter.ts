/**
 * The proxy's side of the estimator: a LIST's 200 response body is measured by the estimator's observer
 * as it is relayed (from the upstream response's own chunks, or, when it is gzip-encoded, through a
 * pass-through Transform that decodes a copy on the side; nothing is buffered). When the exchange has
 * finished the observation is settled — whole only when the whole body reached the client; an aborted or
 * failed response settles it at once (the observer is destroyed) — and handed to the learn step
 * (learn-step.ts), which the pipeline runs after the proxy.
 */
import type { Transform } from 'node:stream';
import type { EstimateInput } from '../estimate/estimate-types.js';
import type { ResponseObservation } from '../estimate/observe-response.js';
import { estimateInputOf, type GatewayEstimator } from './estimate-step.js';
import type { UpstreamResponse } from './upstream-request.js';
import type { EstimatedContext, HttpExchange, ResponseEnd } from './request-context.js';

/** A LIST response as measured on its way: what the learn step learns from. */
export interface MeteredResponse {
  readonly input: EstimateInput;
  readonly status: number;
  readonly observed: ResponseObservation;
}

export interface ResponseMeter {
  /**
   * A stage to relay the upstream body through, before it is written to the client; undefined when the
   * body is measured from the upstream response's own chunks (not content-encoded: nothing to decode).
   */
  readonly stage: Transform | undefined;
  /** Call once, when the exchange finished: resolves with the settled observation. */
  finish(end: ResponseEnd): Promise<MeteredResponse>;
}

const text = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value.join(', ') : value);

/** A meter for the response, or undefined when there is nothing to learn from it (not a LIST, not 200). */
export function meterResponse(ctx: EstimatedContext<HttpExchange>, res: UpstreamResponse, estimator: GatewayEstimator): ResponseMeter | undefined {
  const status = res.statusCode ?? 0;
  if (ctx.estimate.class !== 'list' || status !== 200) return undefined;
  const input = estimateInputOf(ctx.classification, ctx.exchange.req.headers);
  const observer = estimator.observe({ contentType: text(res.headers['content-type']), contentEncoding: text(res.headers['content-encoding']) }, input);
  let finished: Promise<MeteredResponse> | undefined;
  return {
    stage: observer.tap(res) ? undefined : observer.passThrough(),
    finish(end) {
      if (finished) return finished;
      if (end !== 'ended') observer.abort();
      // A body cut short is no sample of anything, even if the upstream's part of it was whole.
      finished = observer.result.then((seen) => ({ input, status, observed: { ...seen, complete: seen.complete && end === 'ended' } }));
      return finished;
    },
  };
}
