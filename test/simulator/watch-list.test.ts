/**
 * Streaming lists (watch with sendInitialEvents=true, KEP-3157): initial ADDED events, the
 * `k8s.io/initial-events-end` bookmark, then live events, at no modeled memory; the ListOptions
 * validation of watches; and the 422 a server with the WatchList feature gate off answers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fetchSim, openWatch, startTestSimulator, type TestSimulator } from '../support/simulator-fixture.js';

const STREAMING = 'watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true';
const SEED = { namespaces: 1, secrets: 5, secretSize: 32, configmaps: 0, pods: 0, deployments: 0 };

interface StatusBody {
  kind: string;
  message: string;
  reason: string;
  code: number;
  details?: { group?: string; kind?: string; name?: string; causes?: { reason: string; message: string; field: string }[] };
}

describe('streaming list (watch-list)', { timeout: 60_000 }, () => {
  let t: TestSimulator;
  before(async () => {
    t = await startTestSimulator({ seed: SEED });
  });
  after(() => t.close());

  it('sends the initial ADDED events, the initial-events-end bookmark, then live events', async () => {
    const w = await openWatch(t, `/api/v1/secrets?${STREAMING}`);
    try {
      assert.equal(w.status, 200);
      const bookmark = await w.next((e) => e.type === 'BOOKMARK');
      const initial = w.events.slice(0, w.events.indexOf(bookmark));
      assert.equal(initial.length, 5);
      assert.ok(initial.every((e) => e.type === 'ADDED'));
      assert.deepEqual(bookmark.object.metadata?.annotations, { 'k8s.io/initial-events-end': 'true' });
      assert.equal(bookmark.object.kind, 'Secret');
      const bookmarkRv = Number(bookmark.object.metadata?.resourceVersion);
      assert.ok(initial.every((e) => Number(e.object.metadata?.resourceVersion) <= bookmarkRv));
      await fetchSim(t, '/api/v1/namespaces/ns-0/secrets', { method: 'POST', body: { metadata: { name: 'live' } } });
      const live = await w.next();
      assert.deepEqual([live.type, live.object.metadata?.name], ['ADDED', 'live']);
      assert.ok(Number(live.object.metadata?.resourceVersion) > bookmarkRv);
    } finally {
      w.close();
    }
    assert.equal(t.sim.stats.peakInflightResponseBytes(), 0, 'a streaming list costs no modeled memory');
  });

  it('sends no initial-events-end bookmark without allowWatchBookmarks', async () => {
    const w = await openWatch(t, '/api/v1/namespaces/default/secrets?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=1');
    await w.ended;
    assert.ok(w.events.length > 0);
    assert.ok(w.events.every((e) => e.type === 'ADDED'));
  });

  it('with sendInitialEvents=false starts from the resourceVersion without initial events', async () => {
    const rv = ((await fetchSim(t, '/api/v1/secrets')).json as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    const w = await openWatch(t, `/api/v1/secrets?watch=1&sendInitialEvents=false&resourceVersionMatch=NotOlderThan&resourceVersion=${rv}`);
    try {
      await fetchSim(t, '/api/v1/namespaces/default/secrets', { method: 'POST', body: { metadata: { name: 'only-this' } } });
      const e = await w.next();
      assert.deepEqual([e.type, e.object.metadata?.name], ['ADDED', 'only-this']);
      assert.equal(w.events.length, 1);
    } finally {
      w.close();
    }
  });

  it('validates watch ListOptions like apimachinery (422 Invalid)', async () => {
    const cases: [string, string, string][] = [
      ['watch=1&sendInitialEvents=true', 'resourceVersionMatch', 'Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'],
      ['watch=1&resourceVersion=1&resourceVersionMatch=NotOlderThan', 'resourceVersionMatch', 'Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'],
    ];
    for (const [query, field, message] of cases) {
      const r = await fetchSim(t, `/api/v1/secrets?${query}`);
      assert.equal(r.status, 422, query);
      const s = r.json as StatusBody;
      assert.equal(s.message, `ListOptions.meta.k8s.io "" is invalid: ${field}: ${message}`);
    }
    const exact = (await fetchSim(t, '/api/v1/secrets?watch=1&sendInitialEvents=true&resourceVersionMatch=Exact')).json as StatusBody;
    assert.deepEqual(exact.details?.causes?.map((c) => c.reason), ['FieldValueForbidden', 'FieldValueNotSupported']);
    assert.equal(exact.details?.causes?.[1]?.message, 'Unsupported value: "Exact": supported values: "NotOlderThan"');
  });
});

describe('streaming list with the WatchList feature gate off', { timeout: 60_000 }, () => {
  let t: TestSimulator;
  before(async () => {
    t = await startTestSimulator({ seed: SEED, watchList: false });
  });
  after(() => t.close());

  it('answers 422 Invalid exactly like a 1.33 apiserver without WatchList', async () => {
    const r = await fetchSim(t, `/api/v1/namespaces/default/secrets?${STREAMING}`);
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
  });

  it('still serves ordinary watches and lists, and says so in kubernetes_feature_enabled', async () => {
    const w = await openWatch(t, '/api/v1/namespaces/default/secrets?watch=1&timeoutSeconds=1');
    await w.ended;
    assert.ok(w.events.length > 0 && w.events.every((e) => e.type === 'ADDED'));
    const metrics = (await fetchSim(t, '/metrics')).text;
    assert.match(metrics, /^kubernetes_feature_enabled\{name="WatchList",stage="BETA"\} 0$/m);
  });
});
