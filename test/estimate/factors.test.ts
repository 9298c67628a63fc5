import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseListOptions } from '../../src/k8s/list-options.js';
import { BUILT_IN_PROFILES } from '../../src/estimate/factors.js';
import { resolveListServing } from '../../src/estimate/list-serving.js';
import { parseMinorVersion, resolveFactors } from '../../src/estimate/resolve-factors.js';

describe('resolveFactors', () => {
  it('prices an unknown upstream with the dearest profile: the factors measured on kube-apiserver 1.32.6', () => {
    const f = resolveFactors();
    assert.equal(f.upstreamVersion, undefined);
    assert.deepEqual(f.profile.amplification.json, { etcd: 6.0, cache: 2.4 });
    assert.deepEqual(f.profile.amplification.protobuf, { etcd: 4.4, cache: 1.3 });
    assert.match(f.profile.source, /1\.32\.6 \(CALIBRATION\.md; the storm-kube bench\)/);
  });

  it('prices a pre-1.31 upstream with the factors measured on 1.26', () => {
    assert.deepEqual(resolveFactors({}, 'v1.26.15').profile.amplification.json, { etcd: 4.5, cache: 1.75 });
  });

  const versions: Array<[string | undefined, string]> = [
    ['v1.26.15', '1.0'],
    ['1.30', '1.0'],
    ['v1.31.0', '1.31'],
    ['1.32+', '1.31'],
    ['v1.33.1-eks', '1.33'],
    ['1.34', '1.34'],
    ['1.40', '1.34'],
    ['not-a-version', '1.31'],
  ];
  for (const [version, profile] of versions) {
    it(`upstream ${version} → profile from ${profile}`, () => {
      assert.equal(resolveFactors({}, version).profile.fromVersion, profile);
    });
  }

  it('reads /version objects', () => {
    assert.deepEqual(parseMinorVersion({ major: '1', minor: '29+' }), [1, 29]);
  });

  it('overlays a configured profile on the built-in one of the same version, field by field', () => {
    const f = resolveFactors({ versions: { '1.31': { amplification: { json: { etcd: 3.9 } } } } }, '1.32.4');
    assert.deepEqual(f.profile.amplification.json, { etcd: 3.9, cache: 2.4 });
    assert.equal(f.profile.consistentListFromCache, true);
    assert.match(f.profile.source, /configured for 1\.31/);
  });

  it('starts a configured profile at its own version and ends it at the next built-in one', () => {
    const settings = { versions: { '1.28': { consistentListFromCache: true, source: 'measured here' } } };
    assert.equal(resolveFactors(settings, '1.29').profile.source, 'measured here');
    assert.equal(resolveFactors(settings, '1.29').profile.amplification.json.etcd, 4.5, 'the 1.26 numbers below 1.31');
    assert.equal(resolveFactors(settings, '1.27').profile.consistentListFromCache, false);
    assert.equal(resolveFactors(settings, '1.33').profile.fromVersion, '1.33');
  });

  it('lets configuration pin the version and override the scalar factors', () => {
    const f = resolveFactors({ upstreamVersion: '1.34', encodingRatio: { protobuf: 0.6 }, watchBytes: 1024 }, '1.26');
    assert.equal(f.upstreamVersion, '1.34');
    assert.equal(f.profile.paginatedListFromCache, true);
    assert.equal(f.encodingRatio.protobuf, 0.6);
    assert.equal(f.encodingRatio.json, 1);
    assert.equal(f.watchBytes, 1024);
  });

  it('keeps every built-in profile sourced', () => {
    for (const p of BUILT_IN_PROFILES) assert.ok(p.source.length > 20, p.fromVersion);
  });
});

describe('resolveListServing (cacher shouldDelegateList)', () => {
  const old = BUILT_IN_PROFILES[0]!;
  const clfc = BUILT_IN_PROFILES[1]!;
  const snap = BUILT_IN_PROFILES[3]!;
  const rows: Array<[string, typeof old, 'etcd' | 'cache', boolean, ('cache' | 'etcd')?]> = [
    ['', old, 'etcd', true],
    ['', clfc, 'cache', true, 'cache'],
    ['', clfc, 'etcd', true, 'etcd'],
    ['', clfc, 'etcd', true],
    ['limit=5', clfc, 'etcd', true],
    ['limit=5', clfc, 'cache', true, 'cache'],
    ['resourceVersion=7&resourceVersionMatch=NotOlderThan&limit=5', clfc, 'cache', true],
    ['resourceVersion=7&resourceVersionMatch=NotOlderThan&limit=5', old, 'etcd', true],
    ['limit=5', snap, 'cache', true],
    ['resourceVersion=0', old, 'cache', false],
    ['resourceVersion=0&limit=5', old, 'cache', false],
    ['resourceVersion=0&limit=5', snap, 'cache', false],
    ['resourceVersion=7', old, 'cache', true],
    ['resourceVersion=7&limit=5', old, 'etcd', true],
    ['resourceVersion=7&resourceVersionMatch=Exact', old, 'etcd', true],
    ['resourceVersion=7&resourceVersionMatch=Exact', snap, 'cache', true],
    ['resourceVersion=7&resourceVersionMatch=NotOlderThan', old, 'cache', true],
    ['limit=5&continue=x', clfc, 'etcd', true],
    ['limit=5&continue=x', snap, 'cache', true],
  ];
  for (const [query, profile, source, limitHonoured, consistentReads] of rows) {
    const seen = consistentReads ? ` (consistent reads seen from ${consistentReads})` : '';
    it(`${query || '(none)'} on ${profile.fromVersion}${seen} → ${source}${limitHonoured ? '' : ', limit ignored'}`, () => {
      const s = resolveListServing(parseListOptions(new URLSearchParams(query)), profile, consistentReads);
      assert.equal(s.source, source);
      assert.equal(s.limitHonoured, limitHonoured);
      assert.ok(s.reason.length > 0);
    });
  }
});
