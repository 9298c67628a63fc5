/**
 * What admission needs to know to offload a LIST instead of rejecting it (src/admit/offload-admission.ts):
 * whether its client can take a stitched answer and why not (offload-eligibility.ts), what one page of
 * its offloaded form would make the apiserver hold, and what a streaming list of it would. Priced by the
 * estimator as the pages will be asked: consistent reads with a `limit`, in the JSON form served.
 */
import type { OffloadQuery } from '../admit/offload-admission.js';
import type { Estimator } from '../estimate/create-estimator.js';
import type { EstimateInput } from '../estimate/estimate-types.js';
import { offloadEligibility, type OffloadForm } from './offload-eligibility.js';
import type { Classification } from './classify-request.js';

export interface OffloadCandidate {
  readonly query: OffloadQuery;
  /** Undefined when it cannot be offloaded (`query.refusal` says why). */
  readonly form: OffloadForm | undefined;
}

const header = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value.join(', ') : value);

export function offloadCandidate(c: Classification, input: EstimateInput, accept: string | string[] | undefined, estimator: Pick<Estimator, 'estimate'>): OffloadCandidate | undefined {
  const eligibility = offloadEligibility(c, header(accept));
  if (eligibility === undefined) return undefined;
  if ('refusal' in eligibility) return { query: { refusal: eligibility.refusal, pageBytes: () => 0 }, form: undefined };
  const { form } = eligibility;
  // Made afresh from the page's own parameters (its page-chain key is not the whole LIST's).
  const { list: _whole, ...rest } = input;
  const representation = { encoding: 'json' as const, as: form.as, mediaType: 'application/json' };
  const pageBytes = (limit: number) => estimator.estimate({ ...rest, representation, options: { ...form.pageOptions, limit } }).estimatedBytes;
  const streamBytes = form.watchable
    ? estimator.estimate({ ...rest, representation, info: { ...rest.info, verb: 'watch' }, options: { ...input.options, limit: undefined, watch: true, sendInitialEvents: true } }).estimatedBytes
    : undefined;
  return { query: { pageBytes, ...(streamBytes !== undefined ? { streamBytes } : {}) }, form };
}
