import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Bottleneck from 'bottleneck';
import { createCensus, type CensusOptions, type ProbeResult } from '../../src/estimate/census.js';
import { createProbeLimiter } from '../../src/estimate/census-probe.js';
import type { StorageSize } from '../../src/estimate/apiserver-metrics.js';
import { createUpstreamFetch } from '../../src/estimate/upstream-fetch.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator-fixture.js';
import { createClock } from './estimate-fixture.js';
import { listsSeen, requesterFor } from './sim-upstream.js';

// 4 workload namespaces (default, ns-0, ns-1, ns-2) with 10 secrets each.
const SEED = { namespaces: 3, secrets: 40, configmaps: 8, pods: 4, deployments: 2 };

describe('census against the simulator', () => {
  let t: TestSimulator;
  let upstream: ReturnType<typeof requesterFor>;
  before(async () => {
    t = await startTestSimulator({ seed: SEED });
    upstream = requesterFor(t);
  });
  after(async () => {
    upstream.close();
    await t.close();
  });

  const build = (over: Partial<CensusOptions> = {}) => {
    const clock = createClock();
    const probes: ProbeResult[] = [];
    const errors: string[] = [];
    const sizes: StorageSize[][] = [];
    const census = createCensus({
      sources: ['metrics', 'probe', 'response'],
      limiter: createProbeLimiter({ minTimeMs: 0 }),
      ...createUpstreamFetch(upstream),
      now: clock.now,
      refreshIntervalMs: 30_000,
      staleAfterMs: 120_000,
      conservative: { unknownCount: 5000, staleMultiplier: 2 },
      onProbe: (r) => probes.push(r),
      onError: (_err, what) => errors.push(what),
      onStorageSizes: (s) => sizes.push(s),
      ...over,
    });
    return { census, clock, probes, errors, sizes };
  };

  it('reads cluster-wide counts from the apiserver metrics, and no sizes from a 1.32 apiserver', async () => {
    const { census, sizes } = build();
    assert.ok((await census.refreshMetrics()) >= 5);
    assert.deepEqual(census.count('', 'secrets'), { count: 40, ageSeconds: 0, source: 'metrics', scope: 'cluster', conservative: false });
    assert.equal(census.count('apps', 'deployments').count, 2);
    assert.deepEqual(sizes.flat(), [], '1.32 has no apiserver_resource_size_estimate_bytes');
  });

  it('reads storage sizes from a 1.34 apiserver (the simulator\'s 1.34 profile publishes the size metric)', async () => {
    const v134 = await startTestSimulator({ seed: SEED, version: '1.34' });
    const upstream134 = requesterFor(v134);
    try {
      const { census, sizes } = build(createUpstreamFetch(upstream134));
      assert.ok((await census.refreshMetrics()) >= 5);
      assert.equal(census.count('', 'secrets').count, 40);
      const secrets = sizes[0]!.find((s) => s.resource === 'secrets');
      assert.equal(secrets?.objects, 40);
      assert.ok(secrets!.bytes > 40 * 1024, 'the secrets carry 1 KiB payloads');
    } finally {
      upstream134.close();
      await v134.close();
    }
  });

  it('counts a namespace with one limit=1 consistent read, never resourceVersion=0', async () => {
    const { census, probes } = build();
    const c = await census.probe({ group: '', version: 'v1', resource: 'secrets', namespace: 'ns-1' });
    assert.deepEqual({ count: c.count, source: c.source, scope: c.scope }, { count: 10, source: 'probe', scope: 'namespace' });
    const cluster = await census.probe({ group: 'apps', version: 'v1', resource: 'deployments' });
    assert.equal(cluster.count, 2);
    assert.deepEqual(probes, ['ok', 'ok']);
    const seen = [...listsSeen(t, '/api/v1/namespaces/ns-1/secrets'), ...listsSeen(t, '/apis/apps/v1/deployments')];
    assert.deepEqual(seen, ['/api/v1/namespaces/ns-1/secrets?limit=1', '/apis/apps/v1/deployments?limit=1']);
    for (const path of seen) assert.doesNotMatch(path, /resourceVersion/);
  });

  it('counts an empty collection as zero', async () => {
    const { census } = build();
    const c = await census.probe({ group: '', version: 'v1', resource: 'secrets', namespace: 'kube-system' });
    assert.equal(c.count, 0);
    assert.equal(c.source, 'probe');
  });

  it('keeps one probe in flight per key, and none again within the refresh interval', async () => {
    const { census, probes, clock } = build();
    const target = { group: '', version: 'v1', resource: 'configmaps', namespace: 'ns-0' };
    const results = await Promise.all(Array.from({ length: 5 }, () => census.probe(target)));
    assert.ok(results.every((r) => r.count === 2));
    assert.equal(listsSeen(t, '/api/v1/namespaces/ns-0/configmaps').length, 1);
    assert.deepEqual([...probes].sort(), ['deduplicated', 'deduplicated', 'deduplicated', 'deduplicated', 'ok']);
    await census.probe(target);
    assert.equal(probes.at(-1), 'recent');
    clock.advance(30_000);
    await census.probe(target);
    assert.equal(listsSeen(t, '/api/v1/namespaces/ns-0/configmaps').length, 2);
  });

  it('honours the limiter: probes start minTime apart, and a full queue drops probes', async () => {
    const starts: number[] = [];
    const fetch = createUpstreamFetch(upstream);
    const { census } = build({
      limiter: new Bottleneck({ maxConcurrent: 1, minTime: 80 }),
      fetchJson: (path) => {
        starts.push(performance.now());
        return fetch.fetchJson(path);
      },
    });
    const namespaces = ['default', 'ns-0', 'ns-1', 'ns-2'];
    await Promise.all(namespaces.map((namespace) => census.probe({ group: '', version: 'v1', resource: 'pods', namespace })));
    assert.equal(starts.length, 4);
    for (let i = 1; i < starts.length; i++) assert.ok(starts[i]! - starts[i - 1]! >= 75, `probe ${i} started ${starts[i]! - starts[i - 1]!} ms after the previous one`);

    const dropping = build({ limiter: createProbeLimiter({ maxConcurrent: 1, minTimeMs: 50, queueLimit: 1 }) });
    const all = await Promise.all(namespaces.map((namespace) => dropping.census.probe({ group: '', version: 'v1', resource: 'secrets', namespace })));
    assert.ok(dropping.probes.includes('dropped'), dropping.probes.join());
    const dropped = all.filter((c) => c.conservative);
    assert.ok(dropped.length >= 1 && dropped.every((c) => c.count === 5000 && c.source === 'unknown'));
  });

  it('prices a stale count conservatively until a refresh probes it again', async () => {
    const { census, clock } = build();
    const target = { group: '', version: 'v1', resource: 'secrets', namespace: 'ns-2' };
    await census.probe(target);
    clock.advance(121_000);
    const stale = census.count('', 'secrets', 'ns-2');
    assert.deepEqual({ count: stale.count, conservative: stale.conservative, age: stale.ageSeconds }, { count: 20, conservative: true, age: 121 });
    const fresh = await census.refresh(target);
    assert.deepEqual({ count: fresh.count, conservative: fresh.conservative, age: fresh.ageSeconds }, { count: 10, conservative: false, age: 0 });
  });

  it('uses sources in the configured order, and never one that is not configured', async () => {
    const ordered = build({ sources: ['response', 'metrics'] });
    await ordered.census.refreshMetrics();
    ordered.census.observe({ group: '', resource: 'secrets', count: 39 });
    assert.equal(ordered.census.count('', 'secrets').source, 'response');

    const probeOnly = build({ sources: ['probe'] });
    const before = t.sim.stats.requests().length;
    assert.equal(await probeOnly.census.refreshMetrics(), 0);
    probeOnly.census.observe({ group: '', resource: 'secrets', count: 39 });
    assert.equal(t.sim.stats.requests().length, before);
    assert.equal(probeOnly.census.count('', 'secrets').source, 'unknown');
  });

  it('answers with the freshest count, whatever its source; on a tie the preferred one', () => {
    const table: Array<{ steps: Array<{ source: 'metrics' | 'probe' | 'response'; count: number; after: number }>; want: { source: string; count: number } }> = [
      { steps: [{ source: 'metrics', count: 100, after: 0 }, { source: 'response', count: 104, after: 10_000 }], want: { source: 'response', count: 104 } },
      { steps: [{ source: 'response', count: 104, after: 0 }, { source: 'metrics', count: 108, after: 10_000 }], want: { source: 'metrics', count: 108 } },
      { steps: [{ source: 'probe', count: 7, after: 0 }, { source: 'response', count: 9, after: 1 }], want: { source: 'response', count: 9 } },
      { steps: [{ source: 'response', count: 9, after: 0 }, { source: 'metrics', count: 8, after: 0 }], want: { source: 'metrics', count: 8 } },
    ];
    for (const row of table) {
      const { census, clock } = build({ fetchJson: undefined, fetchText: undefined });
      for (const step of row.steps) {
        clock.advance(step.after);
        census.observe({ group: '', resource: 'configmaps', count: step.count, source: step.source });
      }
      const c = census.count('', 'configmaps');
      assert.deepEqual({ source: c.source, count: c.count }, row.want, JSON.stringify(row.steps));
    }
  });

  it('reports a failed probe and keeps the count unknown', async () => {
    const { census, probes, errors } = build();
    const c = await census.probe({ group: 'example.com', version: 'v1', resource: 'widgets' });
    assert.deepEqual(probes, ['error']);
    assert.match(errors[0]!, /census probe \/apis\/example.com\/v1\/widgets\?limit=1/);
    assert.equal(c.source, 'unknown');
  });

  it('refuses to probe names that are not plain path segments', async () => {
    const { census } = build();
    const before = t.sim.stats.requests().length;
    const c = await census.probe({ group: '', version: 'v1', resource: 'secrets', namespace: '../../x' });
    assert.equal(c.source, 'unknown');
    assert.equal(t.sim.stats.requests().length, before);
  });
});
