/**
 * The `estimator:` configuration section: defaults that are the estimator's own, Kubernetes quantities
 * for bytes, durations for intervals, every mistake reported with its key path, and the completed
 * settings driving createEstimator one to one (a seed, a per-version override, the census options).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { ConfigError, parseConfig } from '../../src/config/config.js';
import { createEstimator } from '../../src/estimate/create-estimator.js';
import { DEFAULT_FACTORS } from '../../src/estimate/factors.js';

const BASE = { tls: { certFile: 'c', keyFile: 'k' }, upstream: { server: 'https://127.0.0.1:6443', tokenFile: 't' }, identity: { mode: 'insecure' } };
const parse = (estimator: unknown) => parseConfig({ ...BASE, estimator }, { baseDir: '/etc/listgate' }).estimator;
const issuesOf = (estimator: unknown) => {
  try {
    parse(estimator);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  return [];
};

describe('config: the estimator section', () => {
  it('defaults to the estimator defaults when left out', () => {
    const s = parse(undefined);
    assert.deepEqual(s.census, {
      sources: ['metrics', 'probe', 'response'],
      refreshIntervalMs: 60_000,
      staleAfterMs: 300_000,
      unknownCount: 1000,
      staleMultiplier: 2,
      probes: { maxConcurrent: 2, minTimeMs: 100, queueLimit: 100 },
      storageEncoding: 'auto',
    });
    assert.deepEqual(s.factors?.encodingRatio, DEFAULT_FACTORS.encodingRatio);
    assert.equal(s.factors?.defaultObjectBytes, DEFAULT_FACTORS.defaultObjectBytes);
    assert.equal(s.factors?.upstreamVersion, undefined, 'the version is asked of the upstream unless pinned');
    assert.deepEqual(s.sizes, { seeds: [], alpha: 0.3, minNamespaceSamples: 3, materialDifference: 0.25, sampling: { enabled: true, items: 10, intervalMs: 600_000, waitMs: 5_000 } });
    assert.equal(s.uncertaintyMargin, 1.5);
  });

  const quantities: Array<[unknown, number]> = [
    ['40Ki', 40 * 1024],
    ['1.5Mi', 1.5 * 1024 * 1024],
    ['2k', 2000],
    [2048, 2048],
  ];
  for (const [bytes, expected] of quantities) {
    it(`reads seed bytes ${JSON.stringify(bytes)} as ${expected}`, () => {
      assert.deepEqual(parse({ sizes: { seeds: [{ resource: 'secrets', bytes }] } }).sizes?.seeds, [{ group: '', resource: 'secrets', bytes: expected }]);
    });
  }

  const mistakes: Array<[string, unknown, string, RegExp]> = [
    ['a byte count that is no quantity', { sizes: { seeds: [{ resource: 'secrets', bytes: '40KB' }] } }, 'estimator.sizes.seeds[0].bytes', /byte quantity/],
    ['a seed without a resource', { sizes: { seeds: [{ bytes: 10 }] } }, 'estimator.sizes.seeds[0].resource', /required/],
    ['an unknown census source', { census: { sources: ['etcd'] } }, 'estimator.census.sources[0]', /one of: metrics, probe, response/],
    ['a source twice', { census: { sources: ['probe', 'probe'] } }, 'estimator.census.sources', /twice/],
    ['counts stale before they are refreshed', { census: { refreshInterval: '10m' } }, 'estimator.census.staleAfter', /longer than/],
    ['a version key that is no version', { factors: { versions: { latest: {} } } }, 'estimator.factors.versions.latest', /minor versions/],
    ['an amplification of zero', { factors: { versions: { '1.29': { amplification: { json: { etcd: 0 } } } } } }, 'estimator.factors.versions.1.29.amplification.json.etcd', /./],
    ['an unknown key', { census: { probes: { burst: 3 } } }, 'estimator.census.probes.burst', /unknown key/],
    ['a margin below 1', { uncertaintyMargin: 0.5 }, 'estimator.uncertaintyMargin', /./],
    ['a sample of no items', { sizes: { sampling: { items: 0 } } }, 'estimator.sizes.sampling.items', /./],
  ];
  for (const [what, doc, path, message] of mistakes) {
    it(`refuses ${what}, with its key path`, () => {
      const issues = issuesOf(doc);
      const issue = issues.find((i) => i.path === path);
      assert.ok(issue, `no issue at ${path}: ${JSON.stringify(issues)}`);
      assert.match(issue.message, message);
    });
  }

  it('drives createEstimator one to one: seeds, per-version factors, census options', () => {
    const settings = parse({
      factors: { versions: { '1.31': { amplification: { json: { etcd: 3.9 } }, consistentListFromCache: false, source: 'calibrated here' } } },
      census: { sources: ['probe', 'response'], unknownCount: 77 },
      sizes: { seeds: [{ group: 'apps', resource: 'deployments', bytes: '6Ki' }] },
    });
    const estimator = createEstimator({ settings, registry: new Registry(), now: () => 0, upstreamVersion: 'v1.32.1' });
    const profile = estimator.factors().profile;
    assert.deepEqual([profile.amplification.json.etcd, profile.amplification.json.cache, profile.consistentListFromCache, profile.source], [3.9, 2.4, false, 'calibrated here']);
    assert.deepEqual(estimator.sizes.averageBytes('apps', 'deployments'), { bytes: 6144, source: 'config', samples: 0 });
    assert.deepEqual(estimator.census.count('', 'secrets'), { count: 77, ageSeconds: Number.POSITIVE_INFINITY, source: 'unknown', scope: 'cluster', conservative: true });
  });
});
