/**
 * Step 3, estimate: adds `estimate` (src/estimate/estimate-types.ts) to the classified context — the
 * bytes the apiserver is expected to hold for the request, for every request class (a LIST by census ×
 * size model × factors; a watch, a GET, a write by their own rules; `none` for discovery and streams).
 * It reads the estimator's models; it waits only before the first LIST of a resource nothing is known
 * about, for a sample of its object sizes (`prepare`, bounded). When a LIST's count is missing, stale or
 * only known cluster-wide, a census probe starts in the background (rate-limited, deduplicated, a
 * `limit=1` consistent read) and the next request of its kind is priced with it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Estimator } from '../estimate/create-estimator.js';
import type { Estimate, EstimateInput } from '../estimate/estimate-types.js';
import type { Classification } from './classify-request.js';
import type { ClassifiedContext } from './request-context.js';

/** What the pipeline uses of the estimator. */
export type GatewayEstimator = Pick<Estimator, 'estimate' | 'prepare' | 'refreshCount' | 'observe' | 'learn'>;

/** The estimator's input for a classified request; `bodyBytes` from a write's Content-Length. */
export function estimateInputOf(classification: Classification, headers: IncomingHttpHeaders): EstimateInput {
  const length = headers['content-length'];
  const bodyBytes = length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined;
  return {
    info: classification.info,
    options: classification.listOptions,
    representation: classification.representation,
    ...(bodyBytes !== undefined ? { bodyBytes } : {}),
    ...(classification.list ? { list: classification.list } : {}),
  };
}

export type EstimatedFields = { readonly estimate: Estimate };

/** Step 3: adds `estimate`; starts a background count refresh for a LIST or DELETECOLLECTION. */
export async function withEstimate<C extends ClassifiedContext>(ctx: C, estimator: GatewayEstimator): Promise<C & EstimatedFields> {
  const input = estimateInputOf(ctx.classification, ctx.exchange.req.headers);
  if (ctx.classification.kind === 'list' || input.info.verb === 'deletecollection') await estimator.prepare(input);
  const estimate = estimator.estimate(input);
  if (estimate.class === 'list' || estimate.class === 'deletecollection') {
    // Never awaited: the census answers at once when its count is fresh, and probes otherwise.
    estimator.refreshCount(input).catch((err: unknown) => ctx.log.debug({ err }, 'census refresh failed'));
  }
  return { ...ctx, estimate };
}
