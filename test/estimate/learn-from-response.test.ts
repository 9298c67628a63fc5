import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { estimateRequest } from '../../src/estimate/estimate-list-memory.js';
import { createEstimatorMetrics } from '../../src/estimate/estimator-metrics.js';
import { learnFromResponse } from '../../src/estimate/learn-from-response.js';
import { createPageChains } from '../../src/estimate/page-chains.js';
import type { ResponseObservation } from '../../src/estimate/observe-response.js';
import { resolveFactors } from '../../src/estimate/resolve-factors.js';
import { ACCEPT, createModels, inputOf } from './estimate-fixture.js';

const observed = (o: Partial<ResponseObservation>): ResponseObservation => ({
  wireBytes: 0, decodedBytes: 10_128, format: 'json', items: 10, itemBytes: 9_991, complete: true, ...o,
});

function setup() {
  const m = createModels();
  const registry = new Registry();
  const metrics = createEstimatorMetrics(registry, { census: m.census, sizes: m.sizes });
  const factors = resolveFactors();
  const pages = createPageChains({ now: m.clock.now });
  const estimate = (url: string, accept: string = ACCEPT.json) => estimateRequest(inputOf('GET', url, accept), { ...m, pages, factors });
  const learn = (url: string, seen: ResponseObservation, status = 200, accept: string = ACCEPT.json) => {
    const input = inputOf('GET', url, accept);
    const e = estimateRequest(input, { ...m, pages, factors });
    return learnFromResponse({ input, estimate: e, status, observed: seen }, { ...m, pages, metrics });
  };
  return { ...m, registry, metrics, estimate, learn };
}

describe('learnFromResponse', () => {
  it('counts a complete list, learns the item size with its separators, and the envelope', () => {
    const s = setup();
    const learned = s.learn('/api/v1/namespaces/a/secrets', observed({}));
    assert.deepEqual({ count: learned.count, itemBytes: learned.itemBytes }, { count: 10, itemBytes: 1000 });
    assert.equal(s.census.count('', 'secrets', 'a').count, 10);
    assert.equal(s.census.count('', 'secrets', 'a').source, 'response');
    assert.equal(s.sizes.averageBytes('', 'secrets', 'a').bytes, 1000);
    assert.equal(s.sizes.envelopeBytes('', 'secrets', 'object'), 128);
  });

  it('counts a first page from remainingItemCount, not a continued page', () => {
    const s = setup();
    assert.equal(s.learn('/api/v1/secrets?limit=10', observed({ continue: 'x', remainingItemCount: 90 })).count, 100);
    assert.equal(s.learn('/api/v1/secrets?limit=10&continue=x', observed({ continue: 'y', remainingItemCount: 80 })).count, undefined);
    assert.equal(s.census.count('', 'secrets').count, 100);
  });

  it('learns a paginated collection once its chain is complete, and prices pages from what the chain showed', () => {
    const s = setup();
    s.census.observe({ group: '', resource: 'secrets', count: 30, source: 'metrics' });
    const page = (items: number, perItem: number, next?: string, remaining?: number) =>
      observed({ items, itemBytes: items * perItem - (items - 1), decodedBytes: items * perItem + 200, ...(next ? { continue: next, remainingItemCount: remaining } : {}) });
    const chain = () => {
      const first = s.learn('/api/v1/secrets?limit=10', page(10, 1000, 'c1', 20));
      const second = s.learn('/api/v1/secrets?limit=10&continue=c1', page(10, 1000, 'c2', 10));
      const last = s.estimate('/api/v1/secrets?limit=10&continue=c2');
      const lastLearned = s.learn('/api/v1/secrets?limit=10&continue=c2', page(10, 5000));
      return { first, second, last, lastLearned };
    };
    const cold = chain();
    assert.equal(cold.first.itemBytes, undefined, 'one page is not a sample of the collection');
    assert.equal(cold.second.itemBytes, undefined);
    assert.equal(cold.lastLearned.itemBytes, 70_000 / 30, 'the finished chain is');
    assert.equal(s.sizes.averageBytes('', 'secrets').bytes, 70_000 / 30);
    assert.ok(cold.last.reasons.some((r) => /page 3, 10 objects, 10 left in the list's snapshot/.test(r)), cold.last.reasons.join('\n'));

    // Again: the first page is priced as it was seen, the last as the rest of the collection.
    assert.equal(s.estimate('/api/v1/secrets?limit=10').responseBytes, 128 + 10 * 1000);
    s.learn('/api/v1/secrets?limit=10', page(10, 1000, 'd1', 20));
    s.learn('/api/v1/secrets?limit=10&continue=d1', page(10, 1000, 'd2', 10));
    const last = s.estimate('/api/v1/secrets?limit=10&continue=d2');
    assert.equal(last.responseBytes, 128 + 10 * 5000);
    assert.equal(last.sizeSource, 'page');
    assert.ok(last.reasons.some((r) => /the rest of the list: 10 items after 20/.test(r)), last.reasons.join('\n'));
    assert.equal(s.estimate('/api/v1/secrets?limit=10&continue=unknown').sizeSource, 'resource', 'a chain never seen: the average');
  });

  it('learns a selector share against a fresh count, and never a count from a selector answer', () => {
    const s = setup();
    s.census.observe({ group: '', resource: 'pods', namespace: 'a', count: 40, source: 'probe' });
    const learned = s.learn('/api/v1/namespaces/a/pods?labelSelector=app%3Dweb', observed({}));
    assert.equal(learned.share, 0.25);
    assert.equal(learned.count, undefined);
    assert.equal(s.census.count('', 'pods', 'a').count, 40);
    s.learn('/api/v1/namespaces/a/pods?labelSelector=app%3Ddb', observed({}));
    assert.equal(s.selectivity.share('', 'pods', { labelSelector: 'app=other' })?.share, 0.25);
  });

  it('learns a selector answer for its selector shape, never into the resource or namespace average', () => {
    // A whole-range selector keeps small secrets; the collection also holds 1 MiB releases.
    const cases: Array<{ url: string; perItem: number; items: number; ns?: string; selector: string }> = [
      { url: '/api/v1/secrets?labelSelector=app%3Dapp-1', perItem: 2_800, items: 10, selector: 'app=app-2' },
      { url: '/api/v1/namespaces/releases/secrets?labelSelector=owner%3Dhelm', perItem: 1_400_000, items: 4, ns: 'releases', selector: 'owner=other' },
      { url: '/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-1', perItem: 5_000, items: 8, selector: '' },
    ];
    for (const c of cases) {
      const s = setup();
      const resource = c.url.includes('pods') ? 'pods' : 'secrets';
      s.census.observe({ group: '', resource, count: 40, source: 'probe' });
      if (c.ns) s.census.observe({ group: '', resource, namespace: c.ns, count: 40, source: 'probe' });
      s.learn(`/api/v1/${resource}`, observed({ items: 40, itemBytes: 40 * 50_000 - 39, decodedBytes: 40 * 50_000 + 100 }));
      const seen = observed({ items: c.items, itemBytes: c.items * c.perItem - (c.items - 1), decodedBytes: c.items * c.perItem + 100 });
      s.learn(c.url, seen);
      s.learn(c.url, seen);
      assert.equal(s.sizes.averageBytes('', resource).bytes, 50_000, `${c.url}: the resource average is the unselected list's`);
      assert.equal(s.sizes.averageBytes('', resource, c.ns).bytes, 50_000, `${c.url}: and the namespace's`);
      const e = s.estimate(c.url);
      assert.equal(e.sizeSource, 'selector', c.url);
      assert.ok(Math.abs(e.responseBytes / seen.decodedBytes - 1) < 0.05, `${c.url}: ${e.responseBytes} vs ${seen.decodedBytes}`);
      if (c.selector) {
        const other = s.estimate(c.url.replace(/labelSelector=[^&]*/, `labelSelector=${encodeURIComponent(c.selector)}`));
        assert.equal(other.sizeSource, 'selector', 'the same shape with another value shares what was learned');
      }
      assert.equal(s.estimate(`/api/v1/${resource}`).sizeSource, 'resource');
    }
  });

  it('prices a cold start no lower than the evidence: pages already sent, the largest page, small objects\' rows', () => {
    const s = setup();
    s.census.observe({ group: '', resource: 'configmaps', count: 300, source: 'metrics' });
    s.sizes.seed([{ group: '', resource: 'configmaps', bytes: 240, source: 'metrics' }]);
    const rows = (n: number, perItem: number, next?: string, remaining?: number) =>
      observed({ items: n, itemBytes: n * perItem - (n - 1), decodedBytes: n * perItem + 300, ...(next ? { continue: next, remainingItemCount: remaining } : {}) });
    // Table rows of small objects, nothing learned: at least the object (rows carry the metadata).
    const first = s.estimate('/api/v1/configmaps?limit=100', ACCEPT.table);
    assert.ok(first.responseBytes >= 100 * 240, `${first.responseBytes}`);
    s.learn('/api/v1/configmaps?limit=100', rows(100, 310, 'c1', 200), 200, ACCEPT.table);
    const second = s.estimate('/api/v1/configmaps?limit=100&continue=c1', ACCEPT.table);
    assert.ok(second.responseBytes >= 100 * 310, `the second page at least the first's rows: ${second.responseBytes}`);
    assert.ok(second.reasons.some((r) => /sizes not learned yet/.test(r)), second.reasons.join('\n'));

    // A page of big objects raises what an unsampled namespace is priced at.
    s.census.observe({ group: '', resource: 'secrets', count: 60, source: 'metrics' });
    s.census.observe({ group: '', resource: 'secrets', namespace: 'releases', count: 6, source: 'probe' });
    s.learn('/api/v1/secrets', observed({ items: 60, itemBytes: 60 * 2000 - 59, decodedBytes: 60 * 2000 + 100 }));
    const before = s.estimate('/api/v1/namespaces/releases/secrets');
    s.learn('/api/v1/secrets?limit=50', rows(50, 2000, 's1', 6));
    s.learn('/api/v1/secrets?limit=50&continue=s1', rows(6, 1_400_000));
    const after = s.estimate('/api/v1/namespaces/releases/secrets');
    assert.equal(before.sizeSource, 'resource');
    assert.equal(after.sizeSource, 'ceiling');
    assert.ok(after.responseBytes >= 6 * 1_400_000, `${after.responseBytes}`);
  });

  it('learns Table rows apart from the objects', () => {
    const s = setup();
    s.learn('/api/v1/pods', observed({ itemBytes: 2991, decodedBytes: 4000 }), 200, ACCEPT.table);
    assert.equal(s.sizes.convertedBytes('', 'pods', 'Table')?.bytes, 300);
    assert.equal(s.sizes.averageBytes('', 'pods').source, 'default');
  });

  it('learns nothing from errors, broken streams, unread formats, or requests that are not LISTs', () => {
    const s = setup();
    assert.deepEqual(s.learn('/api/v1/secrets', observed({}), 500), {});
    assert.deepEqual(s.learn('/api/v1/secrets', observed({ complete: false })), {});
    assert.deepEqual(s.learn('/api/v1/secrets', observed({ format: 'other' })), {});
    assert.deepEqual(s.learn('/api/v1/namespaces/a/secrets/one', observed({})), {});
    assert.equal(s.census.count('', 'secrets').source, 'unknown');
    assert.equal(s.sizes.averageBytes('', 'secrets').source, 'default');
  });

  it('records the error ratio and exposes the census and size model as metrics', async () => {
    const s = setup();
    s.census.observe({ group: 'apps', resource: 'deployments', count: 7, source: 'metrics' });
    s.census.observe({ group: 'apps', resource: 'deployments', namespace: 'a', count: 2, source: 'probe' });
    s.clock.advance(5000);
    const learned = s.learn('/apis/apps/v1/deployments', observed({}));
    s.metrics.countProbe('dropped');
    const text = await s.registry.metrics();
    assert.match(text, new RegExp(`listgate_estimate_error_ratio_sum\\{resource="deployments.apps"\\} ${learned.errorRatio}`));
    assert.match(text, /listgate_estimate_error_ratio_count\{resource="deployments.apps"\} 1/);
    assert.match(text, /listgate_census_age_seconds\{resource="deployments.apps",source="metrics"\} 5/);
    assert.match(text, /listgate_census_objects\{resource="deployments.apps",source="response"\} 10/);
    assert.doesNotMatch(text, /source="probe"/, 'namespaced counts are left out of the label set');
    assert.match(text, /listgate_census_probes_total\{result="dropped"\} 1/);
    assert.match(text, /listgate_size_model_bytes\{resource="deployments.apps",representation="object",source="resource"\} 1000/);
  });
});
