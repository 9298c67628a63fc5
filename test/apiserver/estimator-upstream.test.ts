/**
 * The estimator's reading of a real kube-apiserver 1.32.6: its version and where it serves consistent
 * LISTs — from the watch cache on etcd 3.5 (progress notifications), from etcd on Debian's etcd 3.4.23
 * (without them) — and, cold, a sample of the Secrets' real sizes before the first LIST is priced
 * (1.32 publishes counts but no size metric).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createEstimator, type Estimator } from '../../src/estimate/create-estimator.js';
import { inputOf } from '../estimate/estimate-fixture.js';
import { requesterFor } from '../estimate/sim-upstream.js';
import { seedSecrets } from '../support/apiserver/cluster-objects.js';
import { startKubeApiserver, type KubeApiserver } from '../support/apiserver/kube-apiserver.js';

const DEBIAN_ETCD = '/usr/bin/etcd';

function estimatorFor(kube: KubeApiserver): { estimator: Estimator; close(): void } {
  const upstream = requesterFor(kube);
  const estimator = createEstimator({ upstream, registry: new Registry(), now: Date.now });
  return { estimator, close: () => upstream.close() };
}

describe('the estimator on kube-apiserver 1.32.6 with etcd 3.5', () => {
  let kube: KubeApiserver;
  let e: ReturnType<typeof estimatorFor>;
  before(async () => {
    kube = await startKubeApiserver();
    await seedSecrets(kube, { namespace: 'default', count: 24, dataBytes: 200 * 1024 });
    e = estimatorFor(kube);
  });
  after(async () => {
    e?.close();
    await kube?.stop();
  });

  it('finds the version and that consistent LISTs come from the watch cache', async () => {
    const found = await e.estimator.discover();
    assert.match(found.version ?? '', /^v1\.32\.6/);
    assert.equal(found.consistentReads, 'cache');
    assert.equal(e.estimator.factors().profile.fromVersion, '1.31');
    const estimate = e.estimator.estimate(inputOf('GET', '/api/v1/secrets'));
    assert.equal(estimate.source, 'cache', estimate.reasons.join('\n'));
  });

  it('samples the sizes of a resource it knows nothing of before pricing its first LIST', async () => {
    const input = inputOf('GET', '/api/v1/namespaces/default/secrets');
    const cold = e.estimator.estimate(input);
    assert.equal(cold.sizeSource, 'default', 'nothing known before: 1.32 has no size metric');
    await e.estimator.prepare(input);
    const sampled = e.estimator.estimate(input);
    const list = await kube.request('/api/v1/namespaces/default/secrets');
    const items = (list.json as { items: unknown[] }).items;
    const truth = items.reduce((sum: number, item) => sum + Buffer.byteLength(JSON.stringify(item)), 0) / items.length;
    assert.equal(sampled.sizeSource, 'sample', sampled.reasons.join('\n'));
    assert.equal(sampled.confidence, 'medium');
    assert.ok(Math.abs(sampled.averageObjectBytes / truth - 1) < 0.02, `sampled ${sampled.averageObjectBytes} B per Secret, measured ${truth}`);
    assert.ok(sampled.averageObjectBytes > 200 * 1024, 'the base64 of 200 KiB of data, not the 16 KiB default');
    assert.ok(sampled.marginBytes! > 0 && sampled.reasons.some((r) => /uncertainty margin/.test(r)), sampled.reasons.join('\n'));
  });
});

describe('the estimator on kube-apiserver 1.32.6 with etcd 3.4.23 (no progress notifications)', () => {
  let kube: KubeApiserver;
  let e: ReturnType<typeof estimatorFor>;
  before(async () => {
    assert.ok(existsSync(DEBIAN_ETCD), `Debian's etcd 3.4 (apt-get install etcd-server) is expected at ${DEBIAN_ETCD}`);
    kube = await startKubeApiserver({ etcd: { binary: DEBIAN_ETCD, extraFlags: ['--logger=zap'] } });
    e = estimatorFor(kube);
  });
  after(async () => {
    e?.close();
    await kube?.stop();
  });

  it('finds that consistent LISTs are read from etcd, and prices them so', async () => {
    const found = await e.estimator.discover();
    assert.equal(found.consistentReads, 'etcd');
    const estimate = e.estimator.estimate(inputOf('GET', '/api/v1/secrets'));
    assert.equal(estimate.source, 'etcd', estimate.reasons.join('\n'));
    assert.ok(estimate.reasons.some((r) => /etcd without progress notifications/.test(r)), estimate.reasons.join('\n'));
  });
});
