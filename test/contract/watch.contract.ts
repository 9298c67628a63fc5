/**
 * WATCH as the apiserver's watch cache serves it: newline-delimited JSON events over a chunked response;
 * replay of the changes after a resourceVersion; the initial ADDED events of an unset resourceVersion;
 * selector transitions as ADDED/DELETED; bookmarks (only with allowWatchBookmarks, 2 s before the watch's
 * deadline once the watcher has something newer to learn); the end at timeoutSeconds; a window that
 * survives an etcd compaction but not a restart of the apiserver, after which an older resourceVersion is
 * one ERROR event with 410 Expired; and Table watches with column definitions on the first event only.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { openWatch, type WatchEvent } from '../support/simulator-fixture.js';
import { KUBECTL_TABLE_ACCEPT } from './list-representations.contract.js';
import { createConfigMap, createNamespace, listRv, send, type ContractUpstream } from './upstream.js';

const NS = 'contract-watch';
const OTHER = 'contract-watch-other';
const CM = `/api/v1/namespaces/${NS}/configmaps`;
const MERGE = { 'Content-Type': 'application/merge-patch+json' };

const rvOf = (e: WatchEvent): number => Number(e.object.metadata?.resourceVersion);
const summary = (e: WatchEvent): [string, string | undefined] => [e.type, e.object.metadata?.name];

export function watchContract(upstream: () => ContractUpstream): void {
  describe('WATCH', () => {
    before(async () => {
      const up = upstream();
      await createNamespace(up, NS);
      await createNamespace(up, OTHER);
      for (const name of ['a', 'b']) await createConfigMap(up, NS, name);
    });

    it('replays the changes after a resourceVersion, in order, as newline-delimited JSON', async () => {
      const up = upstream();
      const rv = await listRv(up, CM);
      await createConfigMap(up, NS, 'w1');
      assert.equal((await send(up, `${CM}/w1`, { method: 'PATCH', headers: MERGE, body: { data: { key: 'two' } } })).status, 200);
      const w = await openWatch(up, `${CM}?watch=true&resourceVersion=${rv}`);
      try {
        assert.equal(w.status, 200);
        assert.equal(w.headers['content-type'], 'application/json');
        assert.equal(w.headers['transfer-encoding'], 'chunked');
        const added = await w.next();
        const modified = await w.next();
        assert.deepEqual([summary(added), added.object.kind, added.object.apiVersion], [['ADDED', 'w1'], 'ConfigMap', 'v1']);
        assert.deepEqual([summary(modified), (modified.object['data'] as Record<string, string>)['key']], [['MODIFIED', 'w1'], 'two']);
        assert.equal((await send(up, `${CM}/w1`, { method: 'DELETE' })).status, 200);
        const deleted = await w.next();
        assert.deepEqual(summary(deleted), ['DELETED', 'w1']);
        assert.ok(rvOf(deleted) > rvOf(modified), 'DELETED carries the deleting revision');
      } finally {
        w.close();
      }
    });

    it('starts with ADDED events of the current state when resourceVersion is unset, then streams changes of its namespace only', async () => {
      const up = upstream();
      const w = await openWatch(up, `${CM}?watch=1`);
      try {
        const initial = [await w.next(), await w.next()];
        assert.deepEqual(initial.map(summary).sort(), [['ADDED', 'a'], ['ADDED', 'b']]);
        await createConfigMap(up, OTHER, 'elsewhere');
        await createConfigMap(up, NS, 'here');
        assert.deepEqual(summary(await w.next()), ['ADDED', 'here'], 'another namespace stays out of a namespaced watch');
      } finally {
        w.close();
      }
    });

    it('turns selector transitions into ADDED and DELETED', async () => {
      const up = upstream();
      const w = await openWatch(up, `${CM}?watch=true&labelSelector=tier%3Dfront&resourceVersion=${await listRv(up, CM)}`);
      try {
        await createConfigMap(up, NS, 'sel', { tier: 'back' });
        for (const body of [{ metadata: { labels: { tier: 'front' } } }, { data: { x: 'y' } }, { metadata: { labels: { tier: 'back' } } }]) {
          assert.equal((await send(up, `${CM}/sel`, { method: 'PATCH', headers: MERGE, body })).status, 200);
        }
        const events = [await w.next(), await w.next(), await w.next()];
        assert.deepEqual(events.map(summary), [['ADDED', 'sel'], ['MODIFIED', 'sel'], ['DELETED', 'sel']]);
        assert.deepEqual(events[2]!.object.metadata?.labels, { tier: 'front' }, 'DELETED carries the last state that matched');
      } finally {
        w.close();
      }
    });

    it('sends a bookmark before the deadline with allowWatchBookmarks, and ends the stream at timeoutSeconds', async () => {
      const up = upstream();
      const rv = await listRv(up, CM);
      const [marked, plain] = await Promise.all([
        openWatch(up, `${CM}?watch=true&allowWatchBookmarks=true&timeoutSeconds=3&resourceVersion=${rv}`),
        openWatch(up, `${CM}?watch=true&timeoutSeconds=3&resourceVersion=${rv}`),
      ]);
      await createConfigMap(up, NS, 'bm');
      const added = await marked.next((e) => e.type === 'ADDED');
      const bookmark = await marked.next((e) => e.type === 'BOOKMARK', 5_000);
      assert.deepEqual(bookmark.object, { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: bookmark.object.metadata?.resourceVersion, creationTimestamp: null } });
      assert.ok(rvOf(bookmark) >= rvOf(added), 'the bookmark is at least as new as what the watcher saw');
      await Promise.all([marked.ended, plain.ended]);
      assert.deepEqual(plain.events.map(summary), [['ADDED', 'bm']], 'no bookmarks without allowWatchBookmarks');
    });

    it('serves Table watches with column definitions on the first event only', async () => {
      const up = upstream();
      const w = await openWatch(up, `${CM}?watch=true&timeoutSeconds=1`, { headers: { Accept: KUBECTL_TABLE_ACCEPT } });
      await w.ended;
      const [first, second] = w.events;
      assert.deepEqual([first?.type, first?.object.kind, first?.object.apiVersion], ['ADDED', 'Table', 'meta.k8s.io/v1']);
      assert.deepEqual((first!.object['columnDefinitions'] as { name: string }[]).map((c) => c.name), ['Name', 'Data', 'Age']);
      assert.equal(second?.object['columnDefinitions'], null);
      assert.equal((second!.object['rows'] as unknown[]).length, 1);
    });

    it('keeps its window across an etcd compaction; after a restart an older resourceVersion is one ERROR event with 410 Expired', async () => {
      const up = upstream();
      const before = await listRv(up, CM);
      const created = await createConfigMap(up, NS, 'before-compaction');
      await up.compact();
      const replay = await openWatch(up, `${CM}?watch=true&timeoutSeconds=1&resourceVersion=${before}`);
      await replay.ended;
      assert.deepEqual(replay.events.map(summary), [['ADDED', 'before-compaction']], 'the watch cache still has the compacted history');

      await up.restart();
      const w = await openWatch(up, `${CM}?watch=true&resourceVersion=${before}`);
      assert.equal(w.status, 200);
      await w.ended;
      assert.equal(w.events.length, 1, JSON.stringify(w.events));
      const error = w.events[0]!;
      assert.equal(error.type, 'ERROR');
      const message = String(error.object['message']);
      const window = /^too old resource version: (\d+) \((\d+)\)$/.exec(message);
      assert.ok(window && Number(window[1]) === before && Number(window[2]) >= created, message);
      assert.deepEqual(error.object, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Expired', code: 410 });

      const since = await openWatch(up, `${CM}?watch=true&resourceVersion=${window![2]}`);
      try {
        await createConfigMap(up, NS, 'after-restart');
        assert.deepEqual(summary(await since.next()), ['ADDED', 'after-restart'], 'the window starts where the new cache does');
      } finally {
        since.close();
      }
    });
  });
}
