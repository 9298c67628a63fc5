/**
 * Times the admission decision in-process, once the gateway has an admission module; until then
 * `createAdmissionProbe()` resolves to undefined and the decision-cost benchmark says so.
 */
import type { Estimate } from '../../src/estimate/estimate-types.js';
import type { Sink, Timing } from './microbench.js';

export interface AdmissionProbe {
  /** Admit and release a lease for each estimate in turn; microseconds per decision. */
  time(estimates: readonly Estimate[], opts: { iterations: number; batches: number; sink: Sink }): Promise<Timing>;
}

export async function createAdmissionProbe(): Promise<AdmissionProbe | undefined> {
  return undefined;
}
