/**
 * The assembled estimator driven the way the pipeline will drive it, against the simulator: estimate,
 * refresh the count in the background, stream the answer through `observe`, `learn`. Its memory estimate
 * is then compared with the simulator's own modeled memory for the same LIST (the simulator prices a LIST
 * with the same CALIBRATION.md factors, from the bytes it actually loads and sends).
 */
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createEstimator, type Estimator } from '../../src/estimate/create-estimator.js';
import type { Estimate } from '../../src/estimate/estimate-types.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator-fixture.js';
import { ACCEPT, inputOf } from './estimate-fixture.js';
import { requesterFor } from './sim-upstream.js';

/** One request through the estimator, as the proxy step will do it. */
async function through(t: TestSimulator, estimator: Estimator, url: string, accept: string = ACCEPT.json): Promise<Estimate> {
  const input = inputOf('GET', url, accept);
  const estimate = estimator.estimate(input);
  const refreshed = estimator.refreshCount(input);
  const outcome = await new Promise<{ status: number; observer: ReturnType<Estimator['observe']> }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: t.port, path: url, ca: t.caPem, cert: t.admin.certPem, key: t.admin.keyPem, agent: false, headers: { Accept: accept } }, (res) => {
      const observer = estimator.observe({ contentType: res.headers['content-type'], contentEncoding: res.headers['content-encoding'] }, input);
      pipeline(res, observer.passThrough(), new Writable({ write: (_c, _e, cb) => cb() })).then(() => resolve({ status: res.statusCode ?? 0, observer }), reject);
    });
    req.on('error', reject);
    req.end();
  });
  estimator.learn({ input, estimate, status: outcome.status, observed: await outcome.observer.result });
  await refreshed;
  return estimate;
}

describe('createEstimator against the simulator', () => {
  let t: TestSimulator;
  let upstream: ReturnType<typeof requesterFor>;
  let estimator: Estimator;
  const registry = new Registry();
  before(async () => {
    t = await startTestSimulator({ seed: { namespaces: 4, secrets: 100, secretSize: 8192 } });
    upstream = requesterFor(t);
    estimator = createEstimator({
      upstream,
      registry,
      now: Date.now,
      settings: {
        // The simulator serves consistent lists from etcd (ConsistentListFromCache off) although it reports 1.32.
        factors: { versions: { '1.31': { consistentListFromCache: false } } },
        census: { storageEncoding: 'json' },
      },
    });
  });
  after(async () => {
    estimator.stop();
    upstream.close();
    await t.close();
  });

  it('picks its factors from the upstream /version', async () => {
    assert.equal(await estimator.discoverUpstreamVersion(), 'v1.32.6');
    assert.equal(estimator.factors().upstreamVersion, '1.32');
    assert.equal(estimator.factors().profile.fromVersion, '1.31');
    assert.equal(estimator.factors().profile.consistentListFromCache, false);
  });

  it('estimates what the simulated apiserver holds for a LIST within 15 %, after learning', async (tc) => {
    await estimator.census.refreshMetrics();
    for (const ns of ['default', 'ns-0', 'ns-1', 'ns-2', 'ns-3']) await through(t, estimator, `/api/v1/namespaces/${ns}/secrets`);
    await through(t, estimator, '/api/v1/secrets?resourceVersion=0');
    // The largest LIST so far: the simulator's peak in-flight memory is this request's modeled memory.
    const estimate = await through(t, estimator, '/api/v1/secrets');
    const modeled = t.sim.stats.peakInflightResponseBytes();
    tc.diagnostic(`estimated ${estimate.estimatedBytes} B, simulator modeled ${modeled} B (${estimate.reasons.join(' | ')})`);
    assert.equal(estimate.source, 'etcd');
    assert.ok(Math.abs(estimate.estimatedBytes / modeled - 1) <= 0.15, `${estimate.estimatedBytes} vs ${modeled}`);
  });

  it('probes namespace counts in the background and exposes its metrics', async () => {
    const e = await through(t, estimator, '/api/v1/namespaces/ns-2/configmaps');
    assert.equal(e.countSource, 'metrics', 'first: the cluster-wide count stands in');
    const again = estimator.estimate(inputOf('GET', '/api/v1/namespaces/ns-2/configmaps'));
    assert.ok(['probe', 'response'].includes(again.countSource), again.countSource);
    const text = await registry.metrics();
    assert.match(text, /listgate_census_probes_total\{result="ok"\} [1-9]/);
    assert.match(text, /listgate_estimate_error_ratio_count\{resource="secrets"\} [1-9]/);
    assert.match(text, /listgate_size_model_bytes\{resource="secrets",representation="object",source="resource"\} \d+/);
  });
});

describe('createEstimator: a next page asked for while the previous one still streams', () => {
  it('knows its place in the chain from the continue token announced by the observer', async () => {
    const item = (n: number) => JSON.stringify({ metadata: { name: `s${n}`, namespace: 'a' }, data: { v: 'x'.repeat(1000) } });
    const head = '{"kind":"SecretList","apiVersion":"v1","metadata":{"resourceVersion":"7","continue":"tok-1","remainingItemCount":3},"items":[';
    const cases: Array<{ name: string; chunks: string[]; want: RegExp }> = [
      { name: 'metadata read, items still streaming', chunks: [head, item(1)], want: /page 2, 2 objects, 3 left in the list's snapshot/ },
      { name: 'nothing read yet', chunks: [], want: /limit=2: one page of 2 objects/ },
    ];
    for (const c of cases) {
      const estimator = createEstimator({ registry: new Registry(), now: Date.now });
      const first = inputOf('GET', '/api/v1/secrets?limit=2', ACCEPT.json);
      estimator.estimate(first);
      const observer = estimator.observe({ contentType: 'application/json' }, first);
      observer.passThrough().resume();
      for (const chunk of c.chunks) observer.passThrough().write(chunk);
      await new Promise((r) => setImmediate(r));
      const second = estimator.estimate(inputOf('GET', '/api/v1/secrets?limit=2&continue=tok-1', ACCEPT.json));
      assert.ok(second.reasons.some((r) => c.want.test(r)), `${c.name}:\n${second.reasons.join('\n')}`);
      observer.passThrough().destroy();
      await observer.result;
    }
  });
});
