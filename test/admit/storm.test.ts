/**
 * The storm from the Kubernetes API-streaming blog, scaled to the simulator: 12 concurrent clients each
 * listing the whole collection of 60 secrets of 256 KiB (~21 MB of JSON, ~90 MiB of modeled apiserver
 * memory each), 4 of them `kubectl get --raw` (which retries 429s by itself), 8 informer-style (list
 * then watch, retrying 429s after Retry-After as client-go does). The simulator is OOM-killed
 * above 600 MiB (seven such LISTs at once); the gateway runs the demo's admission (a budget of half the OOM limit).
 * Through listgate every client completes, the simulator is never killed, and the leases sampled during
 * the storm never exceed the budget; the same 12 LISTs sent straight to the simulator kill it.
 * (The 16-client storm at full size is `npm run bench`'s storm.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { abortableSleep, startInformer } from '../../bench/lib/informer.js';
import { fetchOnce } from '../../bench/lib/https-client.js';
import { startE2EStack, type E2EStack } from '../support/e2e-stack.js';
import { eventually, metric, sampleLeases, userAgent } from './support/admission-stack.js';

const Mi = 1024 ** 2;
const OOM_LIMIT = 600 * Mi;
const BUDGET = OOM_LIMIT / 2;

describe('the storm: 12 clients listing every secret at once', () => {
  let stack: E2EStack;
  before(async () => {
    // The simulator presents 1.32 (no object size metric): the cold gateway samples the secrets' sizes.
    stack = await startE2EStack({ seed: { secrets: 60, secretSize: 256 * 1024, namespaces: 4, configmaps: 0, pods: 0 }, oomLimitBytes: OOM_LIMIT });
  });
  after(async () => {
    await stack.close();
  });

  it('through listgate: every client completes, no OOM kill, leases never above the budget', async (t) => {
    const started = performance.now();
    assert.equal(await metric(stack.opsUrl, 'listgate_admission_budget_bytes'), BUDGET, 'the demo budget: half the OOM limit');
    const sampler = sampleLeases(stack.opsUrl);
    const url = new URL(stack.gatewayUrl);
    const agent = userAgent(stack);
    const informers = Array.from({ length: 8 }, (_, id) =>
      startInformer({ id, target: { name: 'listgate', host: url.hostname, port: Number(url.port) }, agent, path: '/api/v1/secrets', sleep: abortableSleep }),
    );
    const kubectls = Array.from({ length: 4 }, () => stack.kubectl(['get', '--raw', '/api/v1/secrets'], { timeoutMs: 90_000 }));
    const results = await Promise.all(kubectls);
    await Promise.all(informers.map((i) => i.synced));
    await Promise.all(informers.map((i) => i.stop()));
    agent.destroy();
    const maxLeased = await sampler.stop();

    for (const r of results) {
      assert.equal(r.code, 0, r.stderr);
      assert.equal((JSON.parse(r.stdout) as { items: unknown[] }).items.length, 60);
    }
    for (const i of informers) {
      assert.ok(i.stats.syncedAtMs !== undefined && i.stats.listsCompleted >= 1, `informer ${i.stats.id} synced: ${JSON.stringify(i.stats)}`);
      assert.equal(i.stats.backoffs, 0, `informer ${i.stats.id} never ran out of retries`);
    }
    assert.equal(stack.sim.stats.oomKills(), 0);
    assert.ok(stack.sim.stats.peakInflightResponseBytes() <= OOM_LIMIT, `simulator peak ${stack.sim.stats.peakInflightResponseBytes()}`);
    assert.ok(maxLeased > 0 && maxLeased <= BUDGET, `leased at most ${maxLeased} of ${BUDGET}`);
    // The storm was real: some clients were told to come back (429), came back, and every one completed.
    const rejected = await metric(stack.opsUrl, 'listgate_admission_rejections_total');
    const retried = informers.reduce((n, i) => n + i.stats.tooManyRequests, 0);
    assert.ok(rejected > 0, 'admission rejected part of the storm');
    assert.equal(await metric(stack.opsUrl, 'listgate_requests_total', { verb: 'list', resource: 'secrets', code: '429' }), rejected);
    assert.ok((await metric(stack.opsUrl, 'listgate_requests_total', { verb: 'list', resource: 'secrets', code: '200' })) >= 12);
    assert.equal(await eventually(() => metric(stack.opsUrl, 'listgate_admission_in_use_bytes'), 0), 0, 'every lease returned');
    t.diagnostic(
      `storm through listgate: ${Math.round(performance.now() - started)} ms; leased at most ${Math.round(maxLeased / Mi)} MiB of ${BUDGET / Mi} MiB; ` +
        `simulator peak ${Math.round(stack.sim.stats.peakInflightResponseBytes() / Mi)} MiB of ${OOM_LIMIT / Mi} MiB; 429s ${rejected}; informer retries ${retried}`,
    );
  });

  it('straight to the simulator, the same storm crosses its OOM limit', async () => {
    const agent = userAgent(stack, 'admin', 12);
    const url = new URL(stack.upstreamUrl);
    const target = { name: 'simulator', host: url.hostname, port: Number(url.port) };
    const outcomes = await Promise.allSettled(Array.from({ length: 12 }, () => fetchOnce({ target, path: '/api/v1/secrets', agent, keepBytes: 0 })));
    agent.destroy();
    assert.ok(stack.sim.stats.oomKills() >= 1, 'the simulator was OOM-killed');
    assert.ok(outcomes.some((o) => o.status === 'rejected'), 'clients saw their connections reset');
  });
});
