/**
 * Times the admission decision in-process: the gateway's admission (default levels and flow schemas, a
 * 6 GiB budget, no upstream to probe) deciding for a service account's requests — the flow-schema match,
 * and for a weighed LIST the lease taken at once and released — microseconds per decision.
 */
import { Registry } from 'prom-client';
import { DEFAULT_ADMISSION } from '../../src/admit/admission-settings.js';
import { createAdmission, type AdmissionQuery } from '../../src/admit/create-admission.js';
import type { Estimate } from '../../src/estimate/estimate-types.js';
import type { RequestInfo } from '../../src/k8s/request-info.js';
import { timeAsync, type Sink, type Timing } from './microbench.js';

export interface AdmissionProbe {
  /** Admit (and release) each request in turn; microseconds per decision. */
  time(requests: ReadonlyArray<{ info: RequestInfo; method: string; url: string; estimate: Estimate }>, opts: { iterations: number; batches: number; sink: Sink }): Promise<Timing>;
  /** How many of the requests took a lease (were weighed against the budget). */
  leased: number;
}

const USER = { username: 'system:serviceaccount:default:informer-0', groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'] };

export function createAdmissionProbe(): AdmissionProbe {
  // No hold-over: the probe admits and releases back to back to time the decision; with the garbage of
  // each released lease held over, the next would wait for it to decay (on timers that do not keep the
  // process alive), timing the wait instead.
  const admission = createAdmission({ settings: { ...DEFAULT_ADMISSION, holdOverMs: 0 }, registry: new Registry() });
  const probe: AdmissionProbe = {
    leased: 0,
    async time(requests, opts) {
      const queries: AdmissionQuery[] = requests.map((r) => ({
        user: USER,
        target: { verb: r.info.verb, apiGroup: r.info.apiGroup, resource: r.info.resource, namespace: r.info.namespace },
        method: r.method,
        url: r.url,
        estimate: { class: r.estimate.class, estimatedBytes: r.estimate.estimatedBytes, objects: r.estimate.objects },
      }));
      let leased = 0;
      const timing = await timeAsync(async (i) => {
        const result = await admission.admit(queries[i % queries.length]!);
        if (result.decision === 'rejected' || result.decision === 'aborted') throw new Error(`admission ${result.decision} a request in the decision-cost benchmark`);
        if (result.lease) {
          leased += 1;
          result.lease.release();
        }
        return result;
      }, opts);
      probe.leased = leased;
      admission.stop();
      return timing;
    },
  };
  return probe;
}
