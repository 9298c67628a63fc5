/**
 * The estimator loop the gateway will run, against a real upstream: estimate a request, send it, stream
 * the answer through observeResponse, learn from it. Used by the calibration tests.
 */
import { request } from 'node:https';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Census } from '../../src/estimate/census.js';
import { estimateRequest, type Estimate } from '../../src/estimate/estimate-list-memory.js';
import type { EstimatorMetrics } from '../../src/estimate/estimator-metrics.js';
import type { Factors } from '../../src/estimate/factors.js';
import type { PageChains } from '../../src/estimate/page-chains.js';
import { learnFromResponse, type Learned } from '../../src/estimate/learn-from-response.js';
import { observeResponse, type ResponseObservation } from '../../src/estimate/observe-response.js';
import type { SelectivityModel } from '../../src/estimate/selectivity-model.js';
import type { SizeModel } from '../../src/estimate/size-model.js';
import type { TestSimulator } from '../support/simulator-fixture.js';
import { inputOf } from './estimate-fixture.js';

export interface LoopDeps {
  census: Census;
  sizes: SizeModel;
  selectivity: SelectivityModel;
  factors: Factors;
  metrics?: EstimatorMetrics;
  pages?: PageChains;
}

export interface LoopResult {
  estimate: Estimate;
  observed: ResponseObservation;
  learned: Learned;
}

/** GET `url` from the simulator as admin, measuring the body as it streams past. */
export function fetchObserved(t: TestSimulator, url: string, accept: string): Promise<{ status: number; observed: ResponseObservation }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: t.port, path: url, ca: t.caPem, cert: t.admin.certPem, key: t.admin.keyPem, agent: false, headers: { Accept: accept } },
      (res) => {
        const observer = observeResponse({ contentType: res.headers['content-type'], contentEncoding: res.headers['content-encoding'] });
        const sink = new Writable({ write: (_c, _e, cb) => cb() });
        pipeline(res, observer.passThrough(), sink)
          .then(() => observer.result)
          .then((observed) => resolve({ status: res.statusCode ?? 0, observed }), reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

export async function estimateAndLearn(t: TestSimulator, url: string, accept: string, deps: LoopDeps): Promise<LoopResult> {
  const input = inputOf('GET', url, accept);
  const estimate = estimateRequest(input, deps);
  const { status, observed } = await fetchObserved(t, url, accept);
  if (status !== 200) throw new Error(`GET ${url}: ${status}`);
  const learned = learnFromResponse({ input, estimate, status, observed }, deps);
  return { estimate, observed, learned };
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
