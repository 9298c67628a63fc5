/**
 * Streaming lists (watch with sendInitialEvents=true, resourceVersionMatch=NotOlderThan,
 * allowWatchBookmarks=true; KEP-3157): the initial ADDED events, then one BOOKMARK annotated
 * `k8s.io/initial-events-end: "true"` (with the empty list's blueprint), then live events. And how a 1.32
 * apiserver whose etcd lacks progress notifications (older than 3.4.31 / 3.5.13) answers the same
 * request: HTTP 200 whose only event is an ERROR carrying a 500, while a watch with initial events but no
 * bookmarks is still served. listgate's streaming probe must tell the two apart.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { probeStreamingLists } from '../../src/admit/streaming-probe.js';
import { simRequester } from '../admit/support/sim-requester.js';
import { openWatch, type WatchEvent } from '../support/simulator-fixture.js';
import { createConfigMap, createNamespace, listRv, type ContractUpstream } from './upstream.js';

export const STREAMING = 'watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true';
const END = 'k8s.io/initial-events-end';
const BLUEPRINT = 'kubernetes.io/initial-events-list-blueprint';

const rvOf = (e: WatchEvent): number => Number(e.object.metadata?.resourceVersion);
const summary = (e: WatchEvent): [string, string | undefined] => [e.type, e.object.metadata?.name];
const blueprint = (list: object): string => Buffer.from(`${JSON.stringify({ ...list, metadata: {}, items: null })}\n`).toString('base64');

async function seed(up: ContractUpstream, ns: string): Promise<void> {
  await createNamespace(up, ns);
  for (let i = 0; i < 3; i++) await createConfigMap(up, ns, `cm-${i}`);
}

export function streamingListContract(upstream: () => ContractUpstream): void {
  const NS = 'contract-stream';
  const CM = `/api/v1/namespaces/${NS}/configmaps`;

  describe('streaming lists', () => {
    before(() => seed(upstream(), NS));

    it('sends the initial ADDED events, the initial-events-end bookmark, then live events', async () => {
      const up = upstream();
      const w = await openWatch(up, `${CM}?${STREAMING}`);
      try {
        assert.equal(w.status, 200);
        const bookmark = await w.next((e) => e.type === 'BOOKMARK');
        const initial = w.events.slice(0, w.events.indexOf(bookmark));
        assert.deepEqual(initial.map(summary).sort(), [['ADDED', 'cm-0'], ['ADDED', 'cm-1'], ['ADDED', 'cm-2']]);
        const rv = bookmark.object.metadata?.resourceVersion;
        assert.deepEqual(bookmark.object, {
          kind: 'ConfigMap',
          apiVersion: 'v1',
          metadata: { resourceVersion: rv, creationTimestamp: null, annotations: { [END]: 'true', [BLUEPRINT]: blueprint({ kind: 'ConfigMapList', apiVersion: 'v1' }) } },
        });
        assert.ok(initial.every((e) => rvOf(e) <= Number(rv)), 'the bookmark is at least as new as the initial state');
        await createConfigMap(up, NS, 'live');
        const live = await w.next();
        assert.deepEqual(summary(live), ['ADDED', 'live']);
        assert.ok(rvOf(live) > Number(rv));
      } finally {
        w.close();
      }
    });

    it('streams metadata only when asked for PartialObjectMetadata, with that list as the blueprint', async () => {
      const up = upstream();
      const w = await openWatch(up, `${CM}?${STREAMING}&timeoutSeconds=1`, { headers: { Accept: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1' } });
      await w.ended;
      const bookmark = w.events.find((e) => e.type === 'BOOKMARK');
      assert.ok(w.events.filter((e) => e.type === 'ADDED').every((e) => e.object.kind === 'PartialObjectMetadata' && e.object['data'] === undefined));
      assert.deepEqual([bookmark?.object.kind, bookmark?.object.apiVersion], ['PartialObjectMetadata', 'meta.k8s.io/v1']);
      assert.equal(bookmark?.object.metadata?.annotations?.[BLUEPRINT], blueprint({ kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1' }));
    });

    it('sends no bookmark without allowWatchBookmarks, and no initial events with sendInitialEvents=false', async () => {
      const up = upstream();
      const bare = await openWatch(up, `${CM}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=1`);
      await bare.ended;
      assert.ok(bare.events.length >= 3 && bare.events.every((e) => e.type === 'ADDED'), JSON.stringify(bare.events.map(summary)));
      const rv = await listRv(up, CM);
      const later = await openWatch(up, `${CM}?watch=1&sendInitialEvents=false&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&resourceVersion=${rv}`);
      try {
        await createConfigMap(up, NS, 'only-this');
        assert.deepEqual(summary(await later.next()), ['ADDED', 'only-this']);
        assert.equal(later.events.length, 1);
      } finally {
        later.close();
      }
    });

    it("makes listgate's streaming probe answer supported", async () => {
      const requester = simRequester(upstream());
      try {
        assert.equal(await probeStreamingLists(requester), 'supported');
      } finally {
        requester.close();
      }
    });
  });
}

export function streamingListUnsupportedContract(upstream: () => ContractUpstream): void {
  const NS = 'contract-nostream';
  const CM = `/api/v1/namespaces/${NS}/configmaps`;

  describe('streaming lists on a 1.32 apiserver whose etcd has no progress notifications', () => {
    before(() => seed(upstream(), NS));

    it('answers HTTP 200 whose only event is an ERROR with a 500, then ends the stream', async () => {
      const w = await openWatch(upstream(), `${CM}?${STREAMING}`);
      assert.deepEqual([w.status, w.headers['content-type']], [200, 'application/json']);
      await w.ended;
      assert.deepEqual(w.events, [{
        type: 'ERROR',
        object: {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: 'a watch stream was requested by the client but the required storage feature RequestWatchProgress is disabled',
          reason: 'InternalError',
          code: 500,
        },
      }]);
    });

    it('still serves initial events without bookmarks (not a watch-list request), watches and lists', async () => {
      const up = upstream();
      // Without progress notifications a 1.32 cannot always show its watch cache is as new as etcd: it may
      // answer one ERROR event, a 504 Timeout ("Too large resource version"), which clients retry; on a
      // loaded machine several times in a row (3 attempts were not enough in one CI run).
      let events: WatchEvent[] = [];
      for (let attempt = 0; attempt < 10; attempt++) {
        const w = await openWatch(up, `${CM}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=1`);
        await w.ended;
        events = w.events;
        const error = events[0]?.type === 'ERROR' ? (events[0].object as { code?: number }) : undefined;
        if (!error) break;
        assert.equal(error.code, 504, JSON.stringify(events[0]));
      }
      assert.deepEqual(events.map(summary).sort(), [['ADDED', 'cm-0'], ['ADDED', 'cm-1'], ['ADDED', 'cm-2']]);
      const rv = await listRv(up, CM);
      const plain = await openWatch(up, `${CM}?watch=1&resourceVersion=${rv}`);
      try {
        await createConfigMap(up, NS, 'later');
        assert.deepEqual(summary(await plain.next()), ['ADDED', 'later']);
      } finally {
        plain.close();
      }
    });

    it("makes listgate's streaming probe answer unsupported", async () => {
      const requester = simRequester(upstream());
      try {
        assert.equal(await probeStreamingLists(requester), 'unsupported');
      } finally {
        requester.close();
      }
    });
  });
}
