/**
 * The pure parts of offload: the streaming splitter (a list's head, its elements as the upstream wrote
 * them, its tail, whatever the chunking), the stitched envelope (no continue, no remainingItemCount, the
 * rest in order), which LISTs can be offloaded and the targets of their pieces, and the page plan.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseOffload, planPages } from '../../src/admit/offload-admission.js';
import type { LevelView } from '../../src/admit/budget-types.js';
import { classifyRequest } from '../../src/gateway/classify-request.js';
import { JsonListSplitter, SplitError } from '../../src/gateway/json-list-splitter.js';
import { listEnvelopeOf } from '../../src/gateway/list-envelope.js';
import { offloadEligibility, pageTarget, watchTarget } from '../../src/gateway/offload-eligibility.js';

/** Splits `text` fed in chunks of `size` bytes; returns the elements, the head and the envelope. */
function split(text: string, size: number): { elements: string[]; head: string | undefined; envelope: string; key: string | undefined } {
  const parts: Buffer[][] = [];
  const splitter = new JsonListSplitter({
    element(slice, first) {
      if (first) parts.push([]);
      parts.at(-1)!.push(Buffer.from(slice));
    },
  });
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += size) splitter.write(bytes.subarray(i, i + size));
  splitter.end();
  return { elements: parts.map((p) => Buffer.concat(p).toString('utf8')), head: splitter.headText(), envelope: splitter.envelopeText(), key: splitter.key() };
}

const ITEMS = [
  '{"metadata":{"name":"a","annotations":{"x":"}]\\"{["}},"data":{"k":"\\\\"}}',
  '{"metadata":{"name":"b"},"data":{"k":"ünïcödé \\u0000 [\\\\\\"]"},"list":[1,[2,{"3":[]}]]}',
  '{"metadata":{"name":"c"}}',
];
const LIST = `{"kind":"SecretList","apiVersion":"v1","metadata":{"resourceVersion":"42","continue":"tok","remainingItemCount":7},"items":[${ITEMS.join(',')}]}`;

describe('the streaming list splitter', () => {
  for (const size of [1, 2, 3, 7, 64, 100_000]) {
    it(`hands on each element as written, in chunks of ${size} bytes`, () => {
      const got = split(LIST, size);
      assert.deepEqual(got.elements, ITEMS);
      assert.equal(got.head, '{"kind":"SecretList","apiVersion":"v1","metadata":{"resourceVersion":"42","continue":"tok","remainingItemCount":7},"items":');
      assert.equal(got.key, 'items');
      assert.equal(got.envelope, '{"kind":"SecretList","apiVersion":"v1","metadata":{"resourceVersion":"42","continue":"tok","remainingItemCount":7},"items":[]}');
    });
  }

  it("a Table's rows, its column definitions in the head; whitespace between elements", () => {
    const table = '{\n  "kind": "Table",\n  "columnDefinitions": [{"name":"Name","type":"string"}],\n  "rows": [\n    {"cells":["a"]},\n    {"cells":["b"]}\n  ]\n}\n';
    const got = split(table, 5);
    assert.deepEqual(got.elements, ['{"cells":["a"]}', '{"cells":["b"]}']);
    assert.equal(got.key, 'rows');
    assert.deepEqual(JSON.parse(got.envelope), { kind: 'Table', columnDefinitions: [{ name: 'Name', type: 'string' }], rows: [] });
  });

  it('an empty list, and a list whose items are null', () => {
    assert.deepEqual(split('{"kind":"L","items":[]}', 3).elements, []);
    const none = split('{"kind":"L","items":null}', 3);
    assert.deepEqual(none.elements, []);
    assert.equal(none.key, undefined);
    assert.equal(none.envelope, '{"kind":"L","items":null}');
  });

  it('refuses what is no list: an array, scalars for elements, a body cut short', () => {
    assert.throws(() => split('[1,2]', 4), SplitError);
    assert.throws(() => split('{"items":[1,2]}', 4), SplitError);
    assert.throws(() => split('{"items":[{"a":1}', 4), SplitError);
  });
});

describe('the stitched envelope', () => {
  it('drops continue and remainingItemCount, keeps the rest in order, splits around the array', () => {
    const e = listEnvelopeOf('{"kind":"SecretList","apiVersion":"v1","metadata":{"resourceVersion":"42","continue":"tok","remainingItemCount":7},"items":[]}', 'items');
    assert.equal(e.prefix, '{"kind":"SecretList","apiVersion":"v1","metadata":{"resourceVersion":"42"},"items":');
    assert.equal(e.suffix, '}');
    assert.equal(e.continue, 'tok');
    assert.equal(e.resourceVersion, '42');
    const t = listEnvelopeOf('{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":"5"},"columnDefinitions":[{"name":"Name"}],"rows":[]}', 'rows');
    assert.equal(t.prefix, '{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":"5"},"columnDefinitions":[{"name":"Name"}],"rows":');
    assert.equal(t.continue, undefined);
  });
});

describe('which LISTs can be offloaded, and the targets of their pieces', () => {
  const classify = (url: string, accept = 'application/json') => classifyRequest('GET', url, { accept });
  const eligibility = (url: string, accept?: string) => offloadEligibility(classify(url, accept), accept);

  it('whole-collection LISTs in JSON or Table; not pages, watches or single objects', () => {
    for (const url of ['/api/v1/secrets', '/api/v1/namespaces/a/secrets?labelSelector=x%3Dy', '/api/v1/secrets?resourceVersion=0&limit=500']) {
      assert.ok(eligibility(url) && 'form' in eligibility(url)!, url);
    }
    for (const url of ['/api/v1/secrets?limit=10', '/api/v1/secrets?continue=abc', '/api/v1/secrets?watch=1', '/api/v1/namespaces/a/secrets/b']) {
      assert.equal(eligibility(url), undefined, url);
    }
    const table = eligibility('/api/v1/secrets', 'application/json;as=Table;v=v1;g=meta.k8s.io');
    assert.ok(table && 'form' in table);
    assert.equal(table.form.accept, 'application/json;as=Table;v=v1;g=meta.k8s.io');
    assert.equal(table.form.watchable, false);
  });

  it('protobuf-only clients are refused with the reason; protobuf-or-JSON clients are served JSON', () => {
    assert.deepEqual(eligibility('/api/v1/secrets', 'application/vnd.kubernetes.protobuf'), {
      refusal: 'its client accepts only protobuf, and listgate assembles lists in JSON (add application/json to Accept)',
    });
    const both = eligibility('/api/v1/secrets', 'application/vnd.kubernetes.protobuf, application/json');
    assert.ok(both && 'form' in both);
    assert.equal(both.form.accept, 'application/json');
  });

  it('pages are consistent reads (or at an exact version), with the client\'s other parameters as written', () => {
    const e = eligibility('/api/v1/secrets?resourceVersion=0&limit=500&labelSelector=app%20in%20(a%2Cb)');
    assert.ok(e && 'form' in e);
    assert.equal(pageTarget('/api/v1/secrets?resourceVersion=0&limit=500&labelSelector=app%20in%20(a%2Cb)', e.form, { limit: 7 }), '/api/v1/secrets?labelSelector=app%20in%20(a%2Cb)&limit=7');
    assert.equal(pageTarget('/api/v1/secrets?resourceVersion=0', e.form, { limit: 7, continue: 'a+b/=' }), '/api/v1/secrets?limit=7&continue=a%2Bb%2F%3D');
    const exact = eligibility('/api/v1/secrets?resourceVersion=12&resourceVersionMatch=Exact');
    assert.ok(exact && 'form' in exact);
    assert.equal(exact.form.watchable, false);
    assert.equal(pageTarget('/api/v1/secrets?resourceVersion=12&resourceVersionMatch=Exact', exact.form, { limit: 3 }), '/api/v1/secrets?resourceVersion=12&resourceVersionMatch=Exact&limit=3');
    assert.equal(
      watchTarget('/api/v1/secrets?resourceVersion=0&limit=500&fieldSelector=type%3DOpaque', { resourceVersion: '0', watch: false, allowWatchBookmarks: false }),
      '/api/v1/secrets?fieldSelector=type%3DOpaque&watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&resourceVersion=0',
    );
  });
});

describe('the page plan', () => {
  const view = (over: Partial<LevelView>): LevelView => ({
    name: 'workload', exempt: false, guaranteedBytes: 0, ceilingBytes: 1000, maxCeilingBytes: 1000, inUseBytes: 0, heldBytes: 0,
    heldOverBytes: 0, freeBytes: 1000, queuedBytes: 0, queuedRequests: 0, leases: 0, ...over,
  });
  const estimate = { estimatedBytes: 4000, objects: 400 };
  const perObject = (bytes: number) => (limit: number) => limit * bytes;

  it('pages fit what the level can take now: at most half of it, at least an eighth', () => {
    assert.deepEqual(planPages({ estimate, pageBytes: perObject(10), view: view({}) }), { limit: 50, bytes: 500 });
    assert.deepEqual(planPages({ estimate, pageBytes: perObject(10), view: view({ freeBytes: 300 }) }), { limit: 30, bytes: 300 });
    assert.deepEqual(planPages({ estimate, pageBytes: perObject(10), view: view({ freeBytes: 0 }) }), { limit: 12, bytes: 120 });
  });

  it('no page when one object is more than the level can ever hold', () => {
    const plan = planPages({ estimate, pageBytes: perObject(1500), view: view({}) });
    assert.ok('refusal' in plan);
    assert.match(plan.refusal, /a page of one object is estimated at .+, more than priority level workload can ever hold/);
  });

  it('a streaming list when the upstream serves them and it costs less than a page', () => {
    const plan = { limit: 50, bytes: 500 };
    assert.equal(chooseOffload({ pageBytes: perObject(10), streamBytes: 100 }, plan, true), 'watch');
    assert.equal(chooseOffload({ pageBytes: perObject(10), streamBytes: 100 }, plan, false), 'pages');
    assert.equal(chooseOffload({ pageBytes: perObject(10), streamBytes: 900 }, plan, true), 'pages');
    assert.equal(chooseOffload({ pageBytes: perObject(10) }, plan, true), 'pages');
  });
});
