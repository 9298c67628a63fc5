import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { storageSizeSeeds } from '../../src/estimate/apiserver-metrics.js';
import { DEFAULT_FACTORS } from '../../src/estimate/factors.js';
import { createSelectivityModel, selectorShape } from '../../src/estimate/selectivity-model.js';
import { createSizeModel } from '../../src/estimate/size-model.js';
import { createClock } from './estimate-fixture.js';

const SECRETS = { group: '', resource: 'secrets' };

describe('size model', () => {
  it('falls back from learned to configured seed to metric seed to the default', () => {
    const clock = createClock();
    const m = createSizeModel({ now: clock.now, defaultObjectBytes: 999 });
    assert.deepEqual(m.averageBytes('', 'secrets'), { bytes: 999, source: 'default', samples: 0 });
    m.seed([{ ...SECRETS, bytes: 3000, source: 'metrics' }]);
    assert.equal(m.averageBytes('', 'secrets').source, 'metrics');
    m.seed([{ ...SECRETS, bytes: 2500, source: 'config' }]);
    m.seed([{ ...SECRETS, bytes: 4000, source: 'metrics' }]); // never replaces the operator's seed
    assert.deepEqual(m.averageBytes('', 'secrets'), { bytes: 2500, source: 'config', samples: 0 });
    m.observe({ ...SECRETS, bytes: 10_000, items: 10, encoding: 'json' });
    assert.deepEqual(m.averageBytes('', 'secrets'), { bytes: 1000, source: 'resource', samples: 1 });
  });

  it('learns an exponentially weighted average that follows a change', () => {
    const m = createSizeModel({ now: createClock().now, alpha: 0.5 });
    m.observe({ ...SECRETS, bytes: 1000, items: 1, encoding: 'json' });
    m.observe({ ...SECRETS, bytes: 3000, items: 1, encoding: 'json' });
    assert.equal(m.averageBytes('', 'secrets').bytes, 2000);
    for (let i = 0; i < 20; i++) m.observe({ ...SECRETS, bytes: 6000, items: 2, encoding: 'json' });
    assert.ok(Math.abs(m.averageBytes('', 'secrets').bytes - 3000) < 1);
  });

  it('splits a namespace off only when it differs materially and has enough samples', () => {
    const m = createSizeModel({ now: createClock().now, minNamespaceSamples: 3, materialDifference: 0.25 });
    m.observe({ ...SECRETS, bytes: 2000 * 100, items: 100, encoding: 'json' }); // cluster-wide
    m.observe({ ...SECRETS, namespace: 'helm', bytes: 200_000 * 2, items: 2, encoding: 'json' });
    m.observe({ ...SECRETS, namespace: 'helm', bytes: 200_000 * 2, items: 2, encoding: 'json' });
    assert.equal(m.averageBytes('', 'secrets', 'helm').source, 'resource', 'two samples are not enough');
    m.observe({ ...SECRETS, namespace: 'helm', bytes: 200_000 * 2, items: 2, encoding: 'json' });
    assert.deepEqual(m.averageBytes('', 'secrets', 'helm'), { bytes: 200_000, source: 'namespace', samples: 3 });
    // Namespaced observations don't move the resource average once a cluster-wide list was seen.
    assert.equal(m.averageBytes('', 'secrets').bytes, 2000);
    for (let i = 0; i < 5; i++) m.observe({ ...SECRETS, namespace: 'quiet', bytes: 2100 * 4, items: 4, encoding: 'json' });
    assert.equal(m.averageBytes('', 'secrets', 'quiet').source, 'resource', '5 % apart is not material');
  });

  it('prices a namespace with no samples of its own at no less than the largest page seen', () => {
    const table: Array<{ name: string; slices: Array<{ bytes: number; items: number; as?: 'Table' }>; want: { bytes: number; source: string } }> = [
      { name: 'no page seen: the resource average', slices: [], want: { bytes: 2000, source: 'resource' } },
      { name: 'pages of small objects: the average still', slices: [{ bytes: 1500 * 50, items: 50 }], want: { bytes: 2000, source: 'resource' } },
      { name: 'a page of 1 MB objects: its per-item bytes', slices: [{ bytes: 3000 * 50, items: 50 }, { bytes: 1_000_000 * 6, items: 6 }], want: { bytes: 1_000_000, source: 'ceiling' } },
      { name: 'Table rows say nothing of the objects', slices: [{ bytes: 900_000 * 6, items: 6, as: 'Table' }], want: { bytes: 2000, source: 'resource' } },
    ];
    for (const row of table) {
      const m = createSizeModel({ now: createClock().now });
      m.observe({ ...SECRETS, bytes: 2000 * 100, items: 100, encoding: 'json' });
      for (const slice of row.slices) m.observeSlice({ ...SECRETS, ...slice, encoding: 'json' });
      const got = m.averageBytes('', 'secrets', 'releases');
      assert.deepEqual({ bytes: got.bytes, source: got.source }, row.want, row.name);
      assert.equal(m.averageBytes('', 'secrets').bytes, 2000, `${row.name}: a slice never moves the average`);
    }
    const m = createSizeModel({ now: createClock().now, minNamespaceSamples: 1 });
    m.observe({ ...SECRETS, bytes: 2000 * 100, items: 100, encoding: 'json' });
    m.observeSlice({ ...SECRETS, bytes: 1_000_000 * 6, items: 6, encoding: 'json' });
    m.observe({ ...SECRETS, namespace: 'ns-2', bytes: 2100 * 10, items: 10, encoding: 'json' });
    assert.equal(m.averageBytes('', 'secrets', 'ns-2').bytes, 2000, 'a namespace of its own samples is priced by them, not the ceiling');
  });

  it('lets namespaced observations teach the resource until a cluster-wide list is seen', () => {
    const m = createSizeModel({ now: createClock().now });
    m.observe({ ...SECRETS, namespace: 'a', bytes: 5000, items: 5, encoding: 'json' });
    assert.deepEqual(m.averageBytes('', 'secrets', 'b'), { bytes: 1000, source: 'resource', samples: 1 });
  });

  it('normalises protobuf to the JSON-equivalent size with the configured ratio', () => {
    const m = createSizeModel({ now: createClock().now, encodingRatio: { ...DEFAULT_FACTORS.encodingRatio, protobuf: 0.5 } });
    m.observe({ ...SECRETS, bytes: 50_000, items: 100, encoding: 'protobuf' });
    assert.equal(m.averageBytes('', 'secrets').bytes, 1000);
    m.observe({ ...SECRETS, bytes: 100_000, items: 100, encoding: 'json' });
    assert.equal(m.averageBytes('', 'secrets').bytes, 1000, 'the same objects in either encoding give one value');
  });

  it('learns Table and PartialObjectMetadata items and list envelopes apart from the objects', () => {
    const m = createSizeModel({ now: createClock().now });
    m.observe({ ...SECRETS, bytes: 100_000, items: 100, encoding: 'json', envelopeBytes: 90 });
    m.observe({ ...SECRETS, bytes: 30_000, items: 100, encoding: 'json', as: 'Table', envelopeBytes: 1500 });
    m.observe({ ...SECRETS, bytes: 40_000, items: 100, encoding: 'json', as: 'PartialObjectMetadataList' });
    assert.equal(m.averageBytes('', 'secrets').bytes, 1000);
    assert.equal(m.convertedBytes('', 'secrets', 'Table')?.bytes, 300);
    assert.equal(m.convertedBytes('', 'secrets', 'PartialObjectMetadata')?.bytes, 400);
    assert.equal(m.envelopeBytes('', 'secrets', 'Table'), 1500);
    assert.equal(m.envelopeBytes('', 'secrets', 'object'), 90);
    assert.equal(m.envelopeBytes('', 'configmaps', 'object'), undefined);
    const entries = m.entries().map((e) => `${e.resource}/${e.as}=${e.bytes}`).sort();
    assert.deepEqual(entries, ['secrets/PartialObjectMetadata=400', 'secrets/Table=300', 'secrets/object=1000']);
  });

  it('ignores empty observations', () => {
    const m = createSizeModel({ now: createClock().now, defaultObjectBytes: 7 });
    m.observe({ ...SECRETS, bytes: 0, items: 0, encoding: 'json' });
    assert.equal(m.averageBytes('', 'secrets').source, 'default');
  });

  it('seeds from the storage size metric: protobuf for built-in groups, JSON for custom resources', () => {
    const seeds = storageSizeSeeds(
      [
        { group: '', resource: 'secrets', objects: 10, bytes: 7500 },
        { group: 'example.com', resource: 'widgets', objects: 4, bytes: 4000 },
      ],
      { encodingRatio: DEFAULT_FACTORS.encodingRatio },
    );
    assert.deepEqual(seeds.map((s) => [s.resource, s.bytes]), [['secrets', 1000], ['widgets', 1000]]);
    const asJson = storageSizeSeeds([{ group: '', resource: 'secrets', objects: 10, bytes: 7500 }], { encodingRatio: DEFAULT_FACTORS.encodingRatio, storageEncoding: 'json' });
    assert.equal(asJson[0]!.bytes, 750);
  });
});

describe('selectivity model', () => {
  it('keys selectors by shape, not values or order', () => {
    assert.equal(selectorShape({ fieldSelector: 'spec.nodeName=node-1' }), selectorShape({ fieldSelector: 'spec.nodeName=node-2' }));
    assert.equal(selectorShape({ labelSelector: 'a=1,tier in (x,y)' }), selectorShape({ labelSelector: 'tier in (z), a=2' }));
    assert.notEqual(selectorShape({ labelSelector: 'a=1' }), selectorShape({ labelSelector: 'a!=1' }));
    assert.notEqual(selectorShape({ labelSelector: 'a=1' }), selectorShape({ fieldSelector: 'a=1' }));
  });

  it('answers only after enough samples, with the learned share', () => {
    const s = createSelectivityModel({ minSamples: 2, alpha: 0.5 });
    const q = { labelSelector: 'app=x' };
    s.observe({ group: '', resource: 'pods', selectors: q, matched: 10, rangeCount: 100 });
    assert.equal(s.share('', 'pods', q), undefined);
    s.observe({ group: '', resource: 'pods', selectors: { labelSelector: 'app=y' }, matched: 30, rangeCount: 100 });
    assert.deepEqual(s.share('', 'pods', { labelSelector: 'app=z' }), { share: 0.2, samples: 2 });
    assert.equal(s.share('', 'secrets', q), undefined, 'per resource');
  });
});
