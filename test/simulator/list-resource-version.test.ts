/**
 * resourceVersion / resourceVersionMatch on LIST as the apiserver applies them: "0" is served from the
 * cache and ignores limit, Exact reads history, NotOlderThan reads the latest, compacted revisions are 410,
 * future ones 504 (after the watch cache's 3 s wait), and invalid combinations are 422 / 400 with the
 * apiserver's messages.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fetchSim, startTestSimulator, type TestSimulator } from '../support/simulator-fixture.js';

interface List {
  metadata: { resourceVersion: string; continue?: string };
  items: { metadata: { name: string }; data?: Record<string, string> }[];
}
interface StatusBody {
  message: string;
  reason: string;
  code: number;
  details?: { group?: string; kind?: string; name?: string; causes?: { reason: string; message: string; field: string }[]; retryAfterSeconds?: number };
}

describe('LIST resourceVersion semantics', { timeout: 60_000 }, () => {
  let t: TestSimulator;
  before(async () => {
    t = await startTestSimulator({ seed: { namespaces: 0, secrets: 6, secretSize: 8, configmaps: 0, pods: 0, deployments: 0 } });
  });
  after(() => t.close());

  const get = (path: string): ReturnType<typeof fetchSim> => fetchSim(t, path);

  it('resourceVersion=0 ignores limit (served from the watch cache)', async () => {
    const r = await get('/api/v1/namespaces/default/secrets?resourceVersion=0&limit=2');
    assert.equal(r.status, 200);
    const l = r.json as List;
    assert.equal(l.items.length, 6);
    assert.equal(l.metadata.continue, undefined);
  });

  it('Exact reads the collection as it was; NotOlderThan and unset read the latest', async () => {
    const before = (await get('/api/v1/namespaces/default/secrets')).json as List;
    const rv = before.metadata.resourceVersion;
    const patch = await fetchSim(t, '/api/v1/namespaces/default/secrets/secret-1', {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: { data: { payload: 'Y2hhbmdlZA==' } },
    });
    assert.equal(patch.status, 200, patch.text);
    assert.equal((await fetchSim(t, '/api/v1/namespaces/default/secrets/secret-2', { method: 'DELETE' })).status, 200);

    const exact = (await get(`/api/v1/namespaces/default/secrets?resourceVersion=${rv}&resourceVersionMatch=Exact`)).json as List;
    assert.equal(exact.metadata.resourceVersion, rv);
    assert.deepEqual(exact.items.map((i) => i.metadata.name), before.items.map((i) => i.metadata.name));
    assert.notEqual(exact.items.find((i) => i.metadata.name === 'secret-1')!.data!['payload'], 'Y2hhbmdlZA==');

    const legacyPaged = (await get(`/api/v1/namespaces/default/secrets?resourceVersion=${rv}&limit=10`)).json as List;
    assert.equal(legacyPaged.metadata.resourceVersion, rv, 'resourceVersion=X with limit and no match is an exact read');

    const notOlder = (await get(`/api/v1/namespaces/default/secrets?resourceVersion=${rv}&resourceVersionMatch=NotOlderThan`)).json as List;
    assert.ok(Number(notOlder.metadata.resourceVersion) > Number(rv));
    assert.ok(!notOlder.items.some((i) => i.metadata.name === 'secret-2'));
    const latest = (await get('/api/v1/namespaces/default/secrets')).json as List;
    assert.equal(latest.items.find((i) => i.metadata.name === 'secret-1')!.data!['payload'], 'Y2hhbmdlZA==');
  });

  it('answers 410 Expired for an Exact read of a compacted revision', async () => {
    const old = ((await get('/api/v1/namespaces/default/secrets')).json as List).metadata.resourceVersion;
    await fetchSim(t, '/api/v1/namespaces/default/secrets', { method: 'POST', body: { metadata: { name: 'newer' } } });
    t.sim.compact();
    const r = await get(`/api/v1/namespaces/default/secrets?resourceVersion=${old}&resourceVersionMatch=Exact`);
    assert.equal(r.status, 410);
    const s = r.json as StatusBody;
    assert.deepEqual([s.reason, s.code, s.message], ['Expired', 410, 'The resourceVersion for the provided list is too old.']);
  });

  it('answers a future revision with 504 Too large resource version (etcd at once, the cache after 3 s)', async () => {
    const current = Number(((await get('/api/v1/namespaces/default/secrets')).json as List).metadata.resourceVersion);
    const future = current + 1000;
    const etcd = await get(`/api/v1/namespaces/default/secrets?resourceVersion=${future}&resourceVersionMatch=NotOlderThan&limit=5`);
    assert.equal(etcd.status, 504);
    const e = etcd.json as StatusBody;
    assert.equal(e.reason, 'Timeout');
    assert.equal(e.message, `Timeout: Too large resource version: ${future}, current: ${current}`);
    assert.deepEqual(e.details?.causes, [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }]);

    const started = Date.now();
    const cache = await get(`/api/v1/namespaces/default/secrets?resourceVersion=${future}`);
    const waited = Date.now() - started;
    assert.equal(cache.status, 504);
    assert.equal((cache.json as StatusBody).details?.retryAfterSeconds, 1);
    assert.ok(waited >= 2900, `the watch cache waits ~3 s for the revision (waited ${waited} ms)`);
  });

  it('a cache read for a revision that arrives within the wait succeeds', async () => {
    const current = Number(((await get('/api/v1/namespaces/default/secrets')).json as List).metadata.resourceVersion);
    const pending = get(`/api/v1/namespaces/default/secrets?resourceVersion=${current + 1}`);
    await new Promise((r) => setTimeout(r, 200));
    await fetchSim(t, '/api/v1/namespaces/default/secrets', { method: 'POST', body: { metadata: { name: 'arrives' } } });
    const r = await pending;
    assert.equal(r.status, 200);
    assert.ok((r.json as List).items.some((i) => i.metadata.name === 'arrives'));
  });

  it('rejects invalid combinations with 422 Invalid ListOptions and the apiserver messages', async () => {
    const cases: [string, string, string, string][] = [
      ['resourceVersionMatch=NotOlderThan', 'resourceVersionMatch', 'FieldValueForbidden', 'Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided'],
      ['resourceVersion=0&resourceVersionMatch=Exact', 'resourceVersionMatch', 'FieldValueForbidden', 'Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"'],
      ['resourceVersion=5&resourceVersionMatch=Newest', 'resourceVersionMatch', 'FieldValueNotSupported', 'Unsupported value: "Newest": supported values: "Exact", "NotOlderThan", ""'],
      ['sendInitialEvents=true', 'sendInitialEvents', 'FieldValueForbidden', 'Forbidden: sendInitialEvents is forbidden for list'],
    ];
    for (const [query, field, reason, message] of cases) {
      const r = await get(`/api/v1/secrets?${query}`);
      assert.equal(r.status, 422, query);
      const s = r.json as StatusBody;
      assert.equal(s.reason, 'Invalid');
      assert.equal(s.message, `ListOptions.meta.k8s.io "" is invalid: ${field}: ${message}`);
      assert.deepEqual(s.details, { kind: 'ListOptions', group: 'meta.k8s.io', causes: [{ reason, message, field }] });
    }
    const two = (await get('/api/v1/secrets?resourceVersionMatch=Exact&continue=abc')).json as StatusBody;
    assert.equal(two.message,
      'ListOptions.meta.k8s.io "" is invalid: [resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided, resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided]');
    assert.equal(two.details?.causes?.length, 2);
  });

  it('rejects a resourceVersion that is not a number with 400', async () => {
    const r = await get('/api/v1/secrets?resourceVersion=abc&resourceVersionMatch=Exact');
    assert.equal(r.status, 400);
    assert.equal((r.json as StatusBody).message,
      'invalid resource version: resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax');
  });
});
