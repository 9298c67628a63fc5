/**
 * The metrics listgate reads from the upstream's /metrics, read with listgate's own parser: they parse; `apiserver_storage_objects{resource}` counts the served resources (what the census reads);
 * `apiserver_cache_list_total` and `apiserver_storage_list_total` count a LIST where it was served (the
 * watch cache for resourceVersion=0, etcd for an exact read, and for a consistent read whichever
 * `consistentListFromCache` says: from the cache it also counts an etcd read of the current revision and
 * `apiserver_watch_cache_consistent_read_total`);
 * `process_resident_memory_bytes` and `go_memstats_heap_inuse_bytes` are there for the adaptive budget.
 * A 1.32 server has no `apiserver_resource_size_estimate_bytes` (1.34+): a gateway starting cold on it
 * knows counts, not sizes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readStorageMetrics } from '../../src/estimate/apiserver-metrics.js';
import { parseMetricsText, type MetricSample } from '../../src/estimate/prometheus-text.js';
import { listRv, send, type ContractUpstream } from './upstream.js';

const DEPLOYMENTS = '/apis/apps/v1/deployments';

async function scrape(up: ContractUpstream): Promise<MetricSample[]> {
  const res = await send(up, '/metrics');
  assert.equal(res.status, 200);
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4; charset=utf-8/);
  const parsed = parseMetricsText(res.text);
  // The families listgate reads parse in full (the simulator's Node.js process metrics may write `Nan`).
  const unparsed = res.text.split('\n').filter((line) => /^(apiserver|process|go)_/.test(line) && parseMetricsText(line).skipped > 0);
  assert.deepEqual(unparsed, [], "the apiserver's, process and Go metrics parse");
  return parsed.samples;
}

/** The value of the one sample of `name` with these labels (0 when there is none yet). */
function value(samples: readonly MetricSample[], name: string, labels: Record<string, string>): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.ok(found.length <= 1, `one ${name} sample for ${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
}

type Series = readonly [name: string, labels: Record<string, string>];
const CACHE: Series = ['apiserver_cache_list_total', { index: '', resource_prefix: '/deployments' }];
const STORAGE: Series = ['apiserver_storage_list_total', { resource: 'deployments.apps' }];
const CONSISTENT: Series = ['apiserver_watch_cache_consistent_read_total', { fallback: 'false', resource: '/deployments', success: 'true' }];

export function metricsContract(upstream: () => ContractUpstream): void {
  describe('the metrics listgate reads', () => {
    it('parses, counts the stored resources, has the memory gauges, and no size estimate on 1.32', async () => {
      const up = upstream();
      const samples = await scrape(up);
      const { counts, sizes } = readStorageMetrics(samples);
      for (const [group, resource] of [['', 'configmaps'], ['', 'secrets'], ['', 'namespaces'], ['', 'pods'], ['apps', 'deployments']]) {
        const count = counts.find((c) => c.group === group && c.resource === resource);
        assert.ok(count && Number.isInteger(count.count) && count.count >= 0, `apiserver_storage_objects for ${group}/${resource}`);
      }
      assert.ok(!samples.some((s) => s.name === 'apiserver_resource_size_estimate_bytes'), 'no apiserver_resource_size_estimate_bytes on 1.32');
      assert.deepEqual(sizes, []);
      assert.ok(value(samples, 'process_resident_memory_bytes', {}) > 1024 ** 2);
      assert.ok(value(samples, 'go_memstats_heap_inuse_bytes', {}) > 0);
    });

    it('counts each LIST where it was served: the watch cache, etcd, and a consistent read as the upstream serves it', async () => {
      const up = upstream();
      const before = await scrape(up);
      assert.equal((await send(up, `${DEPLOYMENTS}?resourceVersion=0`)).status, 200);
      const cached = await scrape(up);
      assert.equal(value(cached, ...CACHE) - value(before, ...CACHE), 1, 'resourceVersion=0: the watch cache');
      assert.equal(value(cached, ...STORAGE), value(before, ...STORAGE));

      const rv = await listRv(up, DEPLOYMENTS);
      const afterRv = await scrape(up);
      assert.equal((await send(up, `${DEPLOYMENTS}?resourceVersion=${rv}&resourceVersionMatch=Exact`)).status, 200);
      const exact = await scrape(up);
      assert.equal(value(exact, ...STORAGE) - value(afterRv, ...STORAGE), 1, 'an exact read: etcd');
      assert.equal(value(exact, ...CACHE), value(afterRv, ...CACHE));

      assert.equal((await send(up, DEPLOYMENTS)).status, 200);
      const consistent = await scrape(up);
      const delta = (series: Series): number => value(consistent, ...series) - value(exact, ...series);
      // From the watch cache, a consistent read still asks etcd for its current revision (a one-key LIST).
      const expected = up.consistentListFromCache ? [1, 1, 1] : [0, 1, 0];
      assert.deepEqual([delta(CACHE), delta(STORAGE), delta(CONSISTENT)], expected, 'a consistent read: [cache, storage, consistent from cache]');
    });
  });
}
