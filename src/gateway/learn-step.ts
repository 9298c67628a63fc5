/**
 * The step after the proxy: what a LIST's response taught — its item sizes, its count, its pages — is
 * learned from the proxy meter's settled observation (response-meter.ts) before the request's lease is
 * released, so the next LIST of the resource is priced by it. Writes `outcome.observedBytes` (the request
 * log shows it beside the estimate). A response cut short teaches nothing; a failure to learn is logged,
 * never thrown.
 */
import type { GatewayEstimator } from './estimate-step.js';
import type { EstimatedContext } from './request-context.js';

export async function learnFromExchange(ctx: EstimatedContext, estimator: Pick<GatewayEstimator, 'learn'>): Promise<void> {
  const metered = await ctx.outcome.metered;
  if (!metered) return;
  const { input, status, observed } = metered;
  if (observed.complete) ctx.outcome.observedBytes = observed.decodedBytes;
  try {
    const learned = estimator.learn({ input, estimate: ctx.estimate, status, observed });
    ctx.log.debug({ learned, observed }, 'estimator: response observed');
  } catch (err) {
    ctx.log.warn({ err }, 'estimator: could not learn from the response');
  }
}
