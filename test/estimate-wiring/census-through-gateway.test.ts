/**
 * The gateway's census against the simulator, on a clock the test moves: cluster-wide counts follow
 * objects created and deleted behind the gateway's back at the next refresh (the /metrics scrape), not
 * before; a namespace's count comes from a background `limit=1` probe started by a LIST through the
 * gateway, and is probed again once stale; and nothing the census sends is expensive — the simulator's
 * request log shows only /metrics, /version and `limit=N` consistent reads (never resourceVersion=0).
 */
import assert from 'node:assert/strict';
import { CONSISTENT_PROBE_PATH } from '../../src/estimate/upstream-discovery.js';
import { after, before, describe, it } from 'node:test';
import { createManualClock } from '../admit/support/manual-clock.js';
import { fetchSim } from '../support/simulator-fixture.js';
import { sample, SIMULATOR_ESTIMATOR, startWiringStack, type WiringStack } from './wiring-stack.js';

const REFRESH_MS = 60_000;
const STALE_MS = 180_000;

describe('the census through the gateway', () => {
  let stack: WiringStack;
  const clock = createManualClock();
  before(async () => {
    // 30 secrets round-robin over default, ns-0 and ns-1: 10 each.
    stack = await startWiringStack({
      seed: { namespaces: 2, secrets: 30, configmaps: 6, pods: 3 },
      estimator: { ...SIMULATOR_ESTIMATOR, census: { refreshInterval: `${REFRESH_MS}ms`, staleAfter: `${STALE_MS}ms` } },
      clock,
    });
  });
  after(async () => stack.close());

  const clusterCount = async () => sample(await stack.opsText('/metrics'), 'listgate_census_objects', 'resource="secrets",source="metrics"');
  const secret = (namespace: string, name: string) =>
    fetchSim(stack.sim, `/api/v1/namespaces/${namespace}/secrets`, { method: 'POST', body: { apiVersion: 'v1', kind: 'Secret', metadata: { name }, data: { k: 'dg==' } } });
  /** Resolves once `check` holds: the upstream reads the clock starts are real requests on loopback. */
  const eventually = async (check: () => Promise<boolean>, what: string): Promise<void> => {
    for (let i = 0; i < 500; i++) {
      if (await check()) return;
      await new Promise((r) => setImmediate(r));
    }
    throw new Error(`${what}: never`);
  };
  const scrapes = () => stack.censusRequests().filter((p) => p === '/metrics').length;

  it('is ready once the first /metrics scrape is in', async () => {
    await eventually(async () => (await fetch(`http://127.0.0.1:${stack.opsPort}/readyz`)).status === 200, 'ready');
    assert.match(await stack.opsText('/readyz?verbose'), /\[\+\]census ok/);
    assert.equal(await clusterCount(), 30);
  });

  it('keeps cluster-wide counts right at the next refresh, and not before, as objects are created and deleted', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await secret('ns-0', `added-${i}`)).status, 201);
    const before = scrapes();
    clock.advance(REFRESH_MS - 1);
    assert.equal(scrapes(), before, 'no scrape before the interval');
    assert.equal(await clusterCount(), 30, 'the count of the last scrape holds until the next');
    clock.advance(1);
    await eventually(async () => (await clusterCount()) === 35, 'the count after 5 creates');
    for (let i = 0; i < 3; i++) assert.equal((await fetchSim(stack.sim, `/api/v1/namespaces/ns-0/secrets/added-${i}`, { method: 'DELETE' })).status, 200);
    clock.advance(REFRESH_MS);
    await eventually(async () => (await clusterCount()) === 32, 'the count after 3 deletes');
  });

  it('counts a namespace with a background probe started by a LIST, and probes again once it is stale', async () => {
    const nsEstimate = async () => (await stack.opsJson(`/debug/estimate?path=${encodeURIComponent('/api/v1/namespaces/ns-1/secrets')}`)).json;
    const before = await nsEstimate();
    // No probe of ns-1 yet: the cluster-wide count (from /metrics or the cold sample) stands in.
    assert.equal(before.objects, await clusterCount(), 'the cluster-wide count stands in');
    assert.ok((before.reasons as string[]).some((r) => r.includes('namespace count unknown')), JSON.stringify(before.reasons));
    // A selector's answer teaches the census nothing: only the probe can count the namespace.
    const list = '/api/v1/namespaces/ns-1/secrets?labelSelector=app%3Dapp-1';
    assert.equal((await stack.send(list)).status, 200);
    await eventually(async () => (await nsEstimate()).objects === 10, 'the probed count of ns-1');
    assert.equal(((await nsEstimate()).sources as { count: string }).count, 'probe');

    for (const name of ['late-1', 'late-2']) assert.equal((await secret('ns-1', name)).status, 201);
    assert.equal((await stack.send(list)).status, 200);
    assert.equal((await nsEstimate()).objects, 10, 'a fresh count is not probed again');
    clock.advance(STALE_MS + 1);
    assert.equal((await stack.send(list)).status, 200);
    await eventually(async () => (await nsEstimate()).objects === 12, 'the count probed again once stale');
  });

  it('sends nothing expensive: /metrics, /version, the one-object consistent LIST that tells where consistent reads are served, and limit=N consistent reads', () => {
    const seen = stack.censusRequests();
    const probes = seen.filter((p) => p !== '/metrics' && p !== '/version' && p !== CONSISTENT_PROBE_PATH);
    assert.ok(seen.filter((p) => p === '/metrics').length >= 3, `scraped every interval: ${seen.join(', ')}`);
    assert.ok(probes.length >= 2, `the namespace was probed: ${seen.join(', ')}`);
    for (const path of probes) {
      assert.match(path, /^\/api(s\/[^/]+)?\/v1\/(namespaces\/[^/]+\/)?[a-z]+\?limit=\d+$/, path);
      assert.doesNotMatch(path, /resourceVersion/);
    }
    const forwarded = stack.sim.sim.stats.requests().filter((r) => r.path.includes('labelSelector'));
    assert.equal(forwarded.length, 3, 'the LISTs themselves went through the forwarding path');
  });
});
