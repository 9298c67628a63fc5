/**
 * WATCH as the apiserver serves it: newline-delimited JSON events, replay from a resourceVersion, the
 * initial ADDED events of an unset resourceVersion, the 410 ERROR event of a compacted one, selector
 * transitions, bookmarks, timeoutSeconds, Table watches with headers once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fetchSim, openWatch, startTestSimulator, type TestSimulator } from '../support/simulator-fixture.js';

const MERGE = { 'Content-Type': 'application/merge-patch+json' };

describe('WATCH', { timeout: 60_000 }, () => {
  let t: TestSimulator;
  before(async () => {
    t = await startTestSimulator({
      seed: { namespaces: 1, secrets: 4, secretSize: 8, configmaps: 2, pods: 0, deployments: 0 },
      bookmarkIntervalMs: 150,
    });
  });
  after(() => t.close());

  const currentRv = async (path = '/api/v1/namespaces/default/configmaps'): Promise<string> =>
    ((await fetchSim(t, path)).json as { metadata: { resourceVersion: string } }).metadata.resourceVersion;

  it('replays the changes after a resourceVersion, in order, with chunked JSON framing', async () => {
    const rv = await currentRv();
    await fetchSim(t, '/api/v1/namespaces/default/configmaps', { method: 'POST', body: { metadata: { name: 'w1' }, data: { a: '1' } } });
    await fetchSim(t, '/api/v1/namespaces/default/configmaps/w1', { method: 'PATCH', headers: MERGE, body: { data: { a: '2' } } });
    const w = await openWatch(t, `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`);
    try {
      assert.equal(w.status, 200);
      assert.equal(w.headers['content-type'], 'application/json');
      assert.equal(w.headers['transfer-encoding'], 'chunked');
      const added = await w.next();
      const modified = await w.next();
      assert.deepEqual([added.type, added.object.metadata?.name, added.object.kind, added.object.apiVersion], ['ADDED', 'w1', 'ConfigMap', 'v1']);
      assert.equal(modified.type, 'MODIFIED');
      assert.equal((modified.object['data'] as Record<string, string>)['a'], '2');
      await fetchSim(t, '/api/v1/namespaces/default/configmaps/w1', { method: 'DELETE' });
      const deleted = await w.next();
      assert.equal(deleted.type, 'DELETED');
      assert.ok(Number(deleted.object.metadata?.resourceVersion) > Number(modified.object.metadata?.resourceVersion), 'DELETED carries the deleting revision');
    } finally {
      w.close();
    }
  });

  it('starts with ADDED events for the current state when resourceVersion is unset, then streams changes', async () => {
    const w = await openWatch(t, '/api/v1/namespaces/ns-0/secrets?watch=1');
    try {
      const initial = [await w.next(), await w.next()];
      assert.deepEqual(initial.map((e) => [e.type, e.object.metadata?.name]), [['ADDED', 'secret-1'], ['ADDED', 'secret-3']]);
      await fetchSim(t, '/api/v1/namespaces/default/secrets', { method: 'POST', body: { metadata: { name: 'elsewhere' } } });
      await fetchSim(t, '/api/v1/namespaces/ns-0/secrets', { method: 'POST', body: { metadata: { name: 'here' } } });
      const next = await w.next();
      assert.deepEqual([next.type, next.object.metadata?.name], ['ADDED', 'here'], 'other namespaces stay out of a namespaced watch');
    } finally {
      w.close();
    }
  });

  it('sends one ERROR event with 410 Expired for a compacted resourceVersion and ends the stream', async () => {
    const old = await currentRv();
    await fetchSim(t, '/api/v1/namespaces/default/configmaps', { method: 'POST', body: { metadata: { name: 'after-old' } } });
    t.sim.compact();
    const floor = await currentRv();
    const w = await openWatch(t, `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${old}`);
    assert.equal(w.status, 200);
    await w.ended;
    assert.equal(w.events.length, 1);
    const [error] = w.events;
    assert.equal(error!.type, 'ERROR');
    assert.deepEqual(error!.object, {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: `too old resource version: ${old} (${floor})`, reason: 'Expired', code: 410,
    });
  });

  it('turns selector transitions into ADDED and DELETED', async () => {
    const w = await openWatch(t, `/api/v1/namespaces/default/configmaps?watch=true&labelSelector=tier%3Dfront&resourceVersion=${await currentRv()}`);
    try {
      await fetchSim(t, '/api/v1/namespaces/default/configmaps', { method: 'POST', body: { metadata: { name: 'sel', labels: { tier: 'back' } } } });
      await fetchSim(t, '/api/v1/namespaces/default/configmaps/sel', { method: 'PATCH', headers: MERGE, body: { metadata: { labels: { tier: 'front' } } } });
      await fetchSim(t, '/api/v1/namespaces/default/configmaps/sel', { method: 'PATCH', headers: MERGE, body: { data: { x: 'y' } } });
      await fetchSim(t, '/api/v1/namespaces/default/configmaps/sel', { method: 'PATCH', headers: MERGE, body: { metadata: { labels: { tier: 'back' } } } });
      const events = [await w.next(), await w.next(), await w.next()];
      assert.deepEqual(events.map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']);
      assert.equal(events[2]!.object.metadata?.name, 'sel');
    } finally {
      w.close();
    }
  });

  it('sends bookmarks with only kind, apiVersion and resourceVersion when asked', async () => {
    const w = await openWatch(t, `/api/v1/secrets?watch=true&allowWatchBookmarks=true&resourceVersion=${await currentRv('/api/v1/secrets')}`);
    try {
      const bookmark = await w.next((e) => e.type === 'BOOKMARK', 2000);
      assert.deepEqual(Object.keys(bookmark.object).sort(), ['apiVersion', 'kind', 'metadata']);
      assert.equal(bookmark.object.kind, 'Secret');
      assert.deepEqual(Object.keys(bookmark.object.metadata ?? {}), ['resourceVersion']);
      await fetchSim(t, '/api/v1/namespaces/default/secrets', { method: 'POST', body: { metadata: { name: 'bm' } } });
      const added = await w.next((e) => e.type === 'ADDED');
      const later = await w.next((e) => e.type === 'BOOKMARK', 2000);
      assert.ok(Number(later.object.metadata?.resourceVersion) >= Number(added.object.metadata?.resourceVersion));
    } finally {
      w.close();
    }
    const none = await openWatch(t, `/api/v1/secrets?watch=true&timeoutSeconds=1&resourceVersion=${await currentRv('/api/v1/secrets')}`);
    await none.ended;
    assert.ok(!none.events.some((e) => e.type === 'BOOKMARK'), 'no bookmarks without allowWatchBookmarks');
  });

  it('ends the stream cleanly after timeoutSeconds', async () => {
    const started = Date.now();
    const w = await openWatch(t, '/api/v1/namespaces/default/secrets?watch=true&timeoutSeconds=1');
    await w.ended;
    const took = Date.now() - started;
    assert.ok(took >= 900 && took < 3000, `ended after ${took} ms`);
    assert.ok(w.events.every((e) => e.type === 'ADDED'));
  });

  it('serves Table watches with column definitions on the first event only', async () => {
    const w = await openWatch(t, '/api/v1/namespaces/ns-0/secrets?watch=true', {
      headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' },
    });
    try {
      const first = await w.next();
      const second = await w.next();
      assert.equal(first.object.kind, 'Table');
      assert.ok(Array.isArray(first.object['columnDefinitions']) && (first.object['columnDefinitions'] as unknown[]).length > 0);
      assert.equal(second.object['columnDefinitions'], null);
      assert.equal((second.object['rows'] as unknown[]).length, 1);
    } finally {
      w.close();
    }
  });
});
