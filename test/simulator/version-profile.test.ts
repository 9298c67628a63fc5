/**
 * The simulator's version profiles: by default it presents itself as kube-apiserver 1.32 (a real v1.32.6
 * publishes apiserver_storage_objects and the LIST counters, but not the 1.34 size metrics); the 1.34
 * profile reports 1.34 and adds apiserver_resource_objects and apiserver_resource_size_estimate_bytes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fetchSim, startTestSimulator, type TestSimulator } from '../support/simulator-fixture.js';

const SEED = { namespaces: 1, secrets: 6, secretSize: 2048, configmaps: 2, pods: 2, deployments: 1 };

describe('version profile 1.32 (the default)', () => {
  let t: TestSimulator;
  before(async () => (t = await startTestSimulator({ seed: SEED })));
  after(async () => t.close());

  it('reports 1.32 in /version and the OpenAPI info', async () => {
    const v = (await fetchSim(t, '/version')).json as { major: string; minor: string; gitVersion: string };
    assert.deepEqual([v.major, v.minor, v.gitVersion], ['1', '32', 'v1.32.6']);
    const spec = (await fetchSim(t, '/openapi/v3/api/v1')).json as { info: { version: string } };
    assert.equal(spec.info.version, 'v1.32.6');
  });

  it('publishes the 1.32 metrics and not the 1.34 size metrics', async () => {
    assert.equal((await fetchSim(t, '/api/v1/secrets')).status, 200);
    assert.equal((await fetchSim(t, '/api/v1/secrets?limit=2')).status, 200);
    assert.equal((await fetchSim(t, '/apis/apps/v1/deployments?resourceVersion=0')).status, 200);
    const text = (await fetchSim(t, '/metrics')).text;
    for (const re of [
      /^apiserver_storage_objects\{resource="secrets"\} 6$/m,
      /^apiserver_storage_objects\{resource="deployments\.apps"\} 1$/m,
      /^apiserver_storage_list_total\{resource="secrets"\} 2$/m,
      /^apiserver_cache_list_total\{index="",resource_prefix="\/deployments"\} 1$/m,
      /^# TYPE apiserver_watch_cache_consistent_read_total counter$/m,
      /^go_memstats_heap_inuse_bytes [1-9]/m,
      /^process_resident_memory_bytes [1-9]/m,
      /^kubernetes_feature_enabled\{name="WatchList",stage="BETA"\} 1$/m,
    ]) {
      assert.match(text, re);
    }
    assert.doesNotMatch(text, /apiserver_resource_size_estimate_bytes/);
    assert.doesNotMatch(text, /apiserver_resource_objects/);
  });
});

describe('version profile 1.34', () => {
  let t: TestSimulator;
  before(async () => (t = await startTestSimulator({ seed: SEED, version: '1.34' })));
  after(async () => t.close());

  it('reports 1.34 and publishes the object count and size estimate per group and resource', async () => {
    const v = (await fetchSim(t, '/version')).json as { minor: string; gitVersion: string };
    assert.equal(v.minor, '34');
    assert.match(v.gitVersion, /^v1\.34\.\d+$/);
    const text = (await fetchSim(t, '/metrics')).text;
    assert.match(text, /^apiserver_resource_objects\{group="",resource="secrets"\} 6$/m);
    const size = /^apiserver_resource_size_estimate_bytes\{group="",resource="secrets"\} (\d+)$/m.exec(text);
    assert.ok(size, 'the size metric is published');
    assert.ok(Number(size[1]) > 6 * 2048, `six secrets of 2 KiB payload take more than 12 KiB: ${size[1]}`);
    assert.match(text, /^apiserver_storage_objects\{resource="secrets"\} 6$/m);
  });
});
