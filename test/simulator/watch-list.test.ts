/**
 * What the upstream contract (test/contract/watch-list.contract.ts) does not cover of the simulator's
 * streaming lists: they cost nothing in its memory model, and its 1.33 profile (the WatchList feature gate
 * off, `watchListFeatureGate: false`) refuses them with 422 as a 1.33 apiserver does, and says so in
 * kubernetes_feature_enabled, while a 1.32 without streaming (`watchList: false`) keeps the gate on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fetchSim, openWatch, startTestSimulator, type TestSimulator } from '../support/simulator-fixture.js';

const STREAMING = 'watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true';
const SEED = { namespaces: 1, secrets: 5, secretSize: 32, configmaps: 0, pods: 0, deployments: 0 };
const GATE = /^kubernetes_feature_enabled\{name="WatchList",stage="BETA"\} (\d)$/m;

describe('streaming lists in the memory model', { timeout: 60_000 }, () => {
  let t: TestSimulator;
  before(async () => {
    t = await startTestSimulator({ seed: SEED });
  });
  after(() => t.close());

  it('cost no modeled memory', async () => {
    const w = await openWatch(t, `/api/v1/secrets?${STREAMING}&timeoutSeconds=1`);
    await w.ended;
    assert.equal(w.events.filter((e) => e.type === 'ADDED').length, 5);
    assert.equal(t.sim.stats.peakInflightResponseBytes(), 0);
  });
});

describe('the WatchList feature gate', { timeout: 60_000 }, () => {
  let gateOff: TestSimulator;
  let noStorage: TestSimulator;
  before(async () => {
    [gateOff, noStorage] = await Promise.all([startTestSimulator({ seed: SEED, watchListFeatureGate: false }), startTestSimulator({ seed: SEED, watchList: false })]);
  });
  after(async () => {
    await Promise.all([gateOff.close(), noStorage.close()]);
  });

  it('off (the 1.33 profile): 422 Invalid exactly as a 1.33 apiserver answers, and the metric says 0', async () => {
    const r = await fetchSim(gateOff, `/api/v1/namespaces/default/secrets?${STREAMING}`);
    assert.equal(r.status, 422);
    assert.deepEqual(r.json, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled',
      reason: 'Invalid',
      details: {
        group: 'meta.k8s.io',
        kind: 'ListOptions',
        causes: [{
          reason: 'FieldValueForbidden',
          message: 'Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled',
          field: 'sendInitialEvents',
        }],
      },
      code: 422,
    });
    const w = await openWatch(gateOff, '/api/v1/namespaces/default/secrets?watch=1&timeoutSeconds=1');
    await w.ended;
    assert.ok(w.events.length > 0 && w.events.every((e) => e.type === 'ADDED'), 'ordinary watches are served');
    assert.equal(GATE.exec((await fetchSim(gateOff, '/metrics')).text)?.[1], '0');
  });

  it('on but unsupported by the storage (watchList: false): the metric says 1, as on a real 1.32 with etcd 3.4', async () => {
    assert.equal(GATE.exec((await fetchSim(noStorage, '/metrics')).text)?.[1], '1');
  });
});
