/**
 * Admission's reads of the upstream: whether it serves streaming lists (probed against the simulator
 * with the WatchList gate on and off: the end bookmark vs 422; the first-event verdicts of a 1.32 with and
 * without storage support are held to a real apiserver's by test/contract/watch-list.contract.ts), and the
 * adaptive budget's closed loop on the upstream's memory read from its /metrics.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Bottleneck from 'bottleneck';
import { COLLECT_PATH, collectionDue, createAdaptiveBudget, nextEffectiveBudget, readMetric, reclaimableGarbage, type CollectionOutcome } from '../../src/admit/adaptive-budget.js';
import type { AdaptiveSettings } from '../../src/admit/admission-settings.js';
import { createStreamingProbe, probeStreamingLists } from '../../src/admit/streaming-probe.js';
import { createUpstreamFetch, UpstreamFetchError } from '../../src/estimate/upstream-fetch.js';
import { fetchSim, startTestSimulator, type TestSimulator } from '../support/simulator-fixture.js';
import { createManualClock } from './support/manual-clock.js';
import { simRequester } from './support/sim-requester.js';

/** Lets the loops' reads (through their limiter) run until `check` holds. */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !check(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(check(), what);
}

describe('streaming-list probe against the simulator', () => {
  let on: TestSimulator;
  let off: TestSimulator;
  before(async () => {
    [on, off] = await Promise.all([startTestSimulator({ watchList: true }), startTestSimulator({ watchListFeatureGate: false })]);
  });
  after(async () => {
    await Promise.all([on.close(), off.close()]);
  });

  it('the WatchList gate on: the end bookmark, supported; off (1.33 default): 422, unsupported', async () => {
    const a = simRequester(on);
    const b = simRequester(off);
    try {
      assert.equal(await probeStreamingLists(a), 'supported');
      assert.equal(await probeStreamingLists(b), 'unsupported');
      // The probe really is refused with 422 when the gate is off.
      const direct = await fetchSim(off, '/api/v1/namespaces?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan');
      assert.equal(direct.status, 422);
    } finally {
      a.close();
      b.close();
    }
  });

  it('keeps the last clear answer, and configuration overrides the probe', async () => {
    const requester = simRequester(off);
    let mode: 'auto' | 'enabled' | 'disabled' = 'auto';
    const probe = createStreamingProbe({ mode: () => mode, intervalMs: () => 60_000, upstream: requester, limiter: new Bottleneck({ maxConcurrent: 1 }) });
    try {
      assert.equal(probe.state(), 'unknown');
      assert.equal(probe.supported(), false, 'unknown: streaming is not offered');
      assert.equal(await probe.probe(), 'unsupported');
      mode = 'enabled';
      assert.equal(probe.supported(), true);
      assert.equal(probe.state(), 'supported');
      mode = 'disabled';
      assert.equal(probe.supported(), false);
    } finally {
      requester.close();
    }
  });

  it('probes on demand once, then again at its interval on the clock it is given', async () => {
    const clock = createManualClock();
    const seen: string[] = [];
    const requester = simRequester(on);
    const counting = { ...requester, request: (o: Parameters<typeof requester.request>[0]) => (seen.push(o.path), requester.request(o)) };
    const probe = createStreamingProbe({ mode: () => 'auto', intervalMs: () => 600_000, upstream: counting, limiter: new Bottleneck({ maxConcurrent: 1 }), timers: clock.timers });
    try {
      assert.equal(await probe.demand(), 'unknown', 'not started: no probe');
      probe.start();
      assert.equal(await probe.demand(), 'supported');
      assert.equal(seen.length, 1);
      await probe.demand();
      assert.equal(seen.length, 1, 'demand probes only the first time');
      clock.advance(600_000 - 1);
      assert.equal(seen.length, 1, 'not before the interval');
      clock.advance(1);
      await until(() => seen.length === 2, 'again at the interval');
      probe.stop();
      assert.equal(clock.pending(), 0, 'stop leaves no timer behind');
    } finally {
      requester.close();
    }
  });

  it('an unreachable upstream answers unknown, never throws', async () => {
    const requester = simRequester(on);
    await on.close();
    try {
      assert.equal(await probeStreamingLists(requester, { timeoutMs: 2_000 }), 'unknown');
    } finally {
      requester.close();
      on = await startTestSimulator({ watchList: true });
    }
  });
});

describe('adaptive budget', () => {
  const GiB = 1024 ** 3;
  const rows: Array<[string, Parameters<typeof nextEffectiveBudget>[0], number]> = [
    ['above the ceiling: lowered by the excess', { configured: 6 * GiB, current: 6 * GiB, observed: 9 * GiB, slack: 0, leased: 6 * GiB, ceiling: 8 * GiB, minimum: GiB / 2, recoveryFraction: 0.1 }, 5 * GiB],
    ['still above: keeps dropping', { configured: 6 * GiB, current: 5 * GiB, observed: 8.5 * GiB, slack: 0, leased: 5 * GiB, ceiling: 8 * GiB, minimum: GiB / 2, recoveryFraction: 0.1 }, 4.5 * GiB],
    ['never below the minimum', { configured: 6 * GiB, current: GiB, observed: 20 * GiB, slack: 0, leased: GiB, ceiling: 8 * GiB, minimum: GiB / 2, recoveryFraction: 0.1 }, GiB / 2],
    ['below: recovers by a fraction of the budget per step', { configured: 6 * GiB, current: 4 * GiB, observed: 6 * GiB, slack: 0, leased: 4 * GiB, ceiling: 8 * GiB, minimum: GiB / 2, recoveryFraction: 0.1 }, 4.6 * GiB],
    ['…by no more than the headroom', { configured: 6 * GiB, current: 4 * GiB, observed: 7.9 * GiB, slack: 0, leased: 4 * GiB, ceiling: 8 * GiB, minimum: GiB / 2, recoveryFraction: 0.1 }, 4.1 * GiB],
    ['…and never above the configured budget', { configured: 6 * GiB, current: 5.9 * GiB, observed: GiB, slack: 0, leased: 5.9 * GiB, ceiling: 8 * GiB, minimum: GiB / 2, recoveryFraction: 0.5 }, 6 * GiB],
    // The scaled storm's apiserver (test/apiserver/storm.test.ts) rests at ~0.7 GiB of its own: a 1.5 GiB
    // budget under a 1.9 GiB ceiling would let leases take it to 2.2 GiB.
    ["what the leases do not explain (the server's resting heap) comes off the ceiling", { configured: 1.5 * GiB, current: 1.5 * GiB, observed: 0.7 * GiB, slack: 0, leased: 0, ceiling: 1.9 * GiB, minimum: GiB / 4, recoveryFraction: 0.1 }, 1.2 * GiB],
    ['leases already in its memory count once', { configured: 1.5 * GiB, current: 1.2 * GiB, observed: 1.5 * GiB, slack: 0, leased: 0.8 * GiB, ceiling: 1.9 * GiB, minimum: GiB / 4, recoveryFraction: 0.1 }, 1.2 * GiB],
    ["garbage of ended responses the hold-over no longer counts keeps it low until the server collects it", { configured: 1.5 * GiB, current: 1.2 * GiB, observed: 1.6 * GiB, slack: 0, leased: 0, ceiling: 1.9 * GiB, minimum: GiB / 4, recoveryFraction: 0.1 }, 0.3 * GiB],
    ['above the ceiling with reclaimable garbage: only what stays presses', { configured: 1.5 * GiB, current: 0.5 * GiB, observed: 2 * GiB, slack: 0, leased: 0, reclaimable: 1.2 * GiB, ceiling: 1.9 * GiB, minimum: GiB / 4, recoveryFraction: 0.1 }, 0.65 * GiB],
    ['above the ceiling with garbage: what fits, down to the minimum', { configured: 1.5 * GiB, current: 1.2 * GiB, observed: 2 * GiB, slack: 0, leased: 0.2 * GiB, ceiling: 1.9 * GiB, minimum: GiB / 4, recoveryFraction: 0.1 }, GiB / 4],
    ["freed heap Go keeps (idle − released) is reused before the server grows: not counted", { configured: 1.5 * GiB, current: 1.2 * GiB, observed: 1.6 * GiB, slack: 0.9 * GiB, leased: 0, ceiling: 1.9 * GiB, minimum: GiB / 4, recoveryFraction: 0.1 }, 1.2 * GiB],
  ];
  for (const [name, input, expected] of rows) {
    it(name, () => assert.ok(Math.abs(nextEffectiveBudget(input) - expected) < 1, `${nextEffectiveBudget(input)} ≠ ${expected}`));
  }

  it("takes the apiserver's kept heap off what it holds only when the metric is its resident memory", async () => {
    const text = 'process_resident_memory_bytes 1600000000\ngo_memstats_heap_inuse_bytes 1600000000\ngo_memstats_heap_idle_bytes 1000000000\ngo_memstats_heap_released_bytes 200000000\n';
    const effectiveAfterOneRead = async (metric: string): Promise<number> => {
      let effective = 1_500_000_000;
      const loop = createAdaptiveBudget({
        settings: () => ({ enabled: true, metric, ceilingBytes: 2_000_000_000, minimumBytes: 100_000_000, intervalMs: 2_000, recoveryFraction: 0.1, collect: false, collectIntervalMs: 20_000 }),
        configuredBudget: () => 1_500_000_000,
        effectiveBudget: () => effective,
        setEffectiveBudget: (b) => (effective = b),
        leasedBytes: () => 0,
        fetchText: () => Promise.resolve(text),
        limiter: new Bottleneck({ maxConcurrent: 1 }),
      });
      await loop.tick();
      return effective;
    };
    // 1.6 GB resident, 0.8 GB of it kept free heap, nothing leased: 0.8 GB unexplained under a 2 GB ceiling.
    assert.equal(await effectiveAfterOneRead('process_resident_memory_bytes'), 1_200_000_000);
    // The heap in use has no kept heap in it: 1.6 GB unexplained.
    assert.equal(await effectiveAfterOneRead('go_memstats_heap_inuse_bytes'), 400_000_000);
  });

  it("counts garbage as reclaimable only where the server collects it before passing the ceiling (its heap goal fits under it)", async () => {
    // After a storm: 7.0 GB resident, 0.2 GB of it kept free heap, 6.5 GB of heap in use, 6.3 GB allocated
    // of which 1.2 GB was live at the last collection, nothing leased; ceiling 6.56 GB.
    const go = (goal: number) =>
      `process_resident_memory_bytes 7.0e9\ngo_memstats_heap_idle_bytes 0.3e9\ngo_memstats_heap_released_bytes 0.1e9\n` +
      `go_memstats_heap_inuse_bytes 6.5e9\ngo_memstats_heap_alloc_bytes 6.3e9\ngo_gc_heap_live_bytes 1.2e9\ngo_gc_heap_goal_bytes ${goal}\n`;
    const after = async (text: string, leased = 0): Promise<number> => {
      let effective = 4.8e9;
      const loop = createAdaptiveBudget({
        settings: () => ({ enabled: true, metric: 'process_resident_memory_bytes', ceilingBytes: 6.56e9, minimumBytes: 0.8e9, intervalMs: 2_000, recoveryFraction: 0.1, collect: false, collectIntervalMs: 20_000 }),
        configuredBudget: () => 4.8e9,
        effectiveBudget: () => effective,
        setEffectiveBudget: (b) => (effective = b),
        leasedBytes: () => leased,
        fetchText: () => Promise.resolve(text),
        limiter: new Bottleneck({ maxConcurrent: 1 }),
      });
      await loop.tick();
      return effective;
    };
    // GOGC's goal (twice the live heap of a collection made while LISTs were live) is above the ceiling:
    // the heap may grow to it before anything is collected, so the garbage counts: down to the minimum.
    assert.equal(await after(go(7.6e9)), 0.8e9);
    // A goal under the ceiling (a soft memory limit, GOMEMLIMIT): the next allocations collect the 5.1 GB of
    // garbage first. What stays is 0.3 GB outside the heap, 0.2 GB of fragmentation and 1.2 GB live:
    // 1.7 GB off the ceiling leaves 4.86 GB, so the configured 4.8 GB.
    assert.equal(await after(go(6.0e9)), 4.8e9);
    // Leases explain part of what was allocated since the collection: only the rest is reclaimable.
    const reclaimable = reclaimableGarbage(new Map([['go_memstats_heap_alloc_bytes', 6.3e9], ['go_memstats_heap_inuse_bytes', 6.5e9], ['go_gc_heap_live_bytes', 1.2e9], ['go_gc_heap_goal_bytes', 6.0e9]]), { observed: 7.0e9, slack: 0.2e9, leased: 2.1e9, ceiling: 6.56e9 });
    assert.equal(Math.round(reclaimable / 1e6), 3000);
    // Without the Go runtime's metrics nothing is reclaimable.
    assert.equal(reclaimableGarbage(new Map([['go_memstats_heap_alloc_bytes', 6.3e9]]), { observed: 7e9, slack: 0, leased: 0, ceiling: 6.56e9 }), 0);
  });

  it('asks for a collection only while the budget is held back, once per interval, and for more than the server rests at', () => {
    const base = { held: 7e9, resting: 1.5e9, heldBack: true, ceiling: 6.56e9, sinceLastMs: 30_000, intervalMs: 20_000 };
    assert.equal(collectionDue(base), true, 'after a storm: 5.5 GB beyond what the server rests at');
    assert.equal(collectionDue({ ...base, heldBack: false }), false, 'the budget is not held back');
    assert.equal(collectionDue({ ...base, sinceLastMs: 19_999 }), false, 'within the interval of the last');
    assert.equal(collectionDue({ ...base, resting: undefined, sinceLastMs: undefined }), true, 'the first, which says what the server rests at');
    assert.equal(collectionDue({ ...base, held: 1.5e9 + 0.3e9 }), false, 'within 5 % of the ceiling of what it rests at');
    assert.equal(collectionDue({ ...base, held: 1.5e9 + 0.34e9 }), true);
    assert.equal(collectionDue({ ...base, ceiling: 1e9, held: 1.5e9 + 60 * 2 ** 20 }), false, 'never for less than 64 MiB');
  });

  it('after a storm, with nothing leased and a heap goal above the ceiling, asks the server to collect (twice), learns what it rests at, and stops asking when refused', async () => {
    let t = 0;
    // Go's numbers after a storm (goal above the ceiling), and after two collections.
    const stalled = 'process_resident_memory_bytes 7.0e9\ngo_memstats_heap_idle_bytes 0.3e9\ngo_memstats_heap_released_bytes 0.1e9\ngo_memstats_heap_inuse_bytes 6.5e9\ngo_memstats_heap_alloc_bytes 6.3e9\ngo_gc_heap_live_bytes 3.8e9\ngo_gc_heap_goal_bytes 7.6e9\n';
    const collected = 'process_resident_memory_bytes 7.0e9\ngo_memstats_heap_idle_bytes 5.6e9\ngo_memstats_heap_released_bytes 0.1e9\ngo_memstats_heap_inuse_bytes 1.2e9\ngo_memstats_heap_alloc_bytes 1.1e9\ngo_gc_heap_live_bytes 1.1e9\ngo_gc_heap_goal_bytes 2.2e9\n';
    let text = stalled;
    let refuse = false;
    const asked: string[] = [];
    const outcomes: CollectionOutcome[] = [];
    let effective = 4.8e9;
    let settings: AdaptiveSettings = { enabled: true, metric: 'process_resident_memory_bytes', ceilingBytes: 6.56e9, minimumBytes: 0.8e9, intervalMs: 2_000, recoveryFraction: 0.1, collect: true, collectIntervalMs: 20_000 };
    const loop = createAdaptiveBudget({
      settings: () => settings,
      configuredBudget: () => 4.8e9,
      effectiveBudget: () => effective,
      setEffectiveBudget: (b) => (effective = b),
      leasedBytes: () => 0,
      fetchText: (path) => {
        if (path === '/metrics') return Promise.resolve(text);
        asked.push(path);
        if (refuse) return Promise.reject(new UpstreamFetchError(`GET ${path}: 403 forbidden`, 403));
        text = collected;
        return Promise.resolve('');
      },
      limiter: new Bottleneck({ maxConcurrent: 1 }),
      now: () => t,
      onCollection: (o) => outcomes.push(o),
    });
    await loop.tick();
    assert.equal(effective, 0.8e9, 'garbage Go will not collect before the ceiling: the minimum');
    await until(() => outcomes.length === 1, 'the collection');
    assert.deepEqual(asked, [COLLECT_PATH, COLLECT_PATH]);
    assert.deepEqual(outcomes, ['collected']);
    // What the server holds now is what it rests at (1.4 GB); the resident memory is still above the
    // ceiling until Go returns the freed heap, so the budget comes back once it has.
    t += 2_000;
    await loop.tick();
    text = collected.replace('7.0e9', '2.0e9').replace('5.6e9', '0.6e9');
    for (let i = 0; i < 12; i++) {
      t += 2_000;
      await loop.tick();
    }
    assert.equal(effective, 4.8e9, 'the budget recovers');
    assert.equal(asked.length, 2, 'the budget is no longer held back: nothing asked');
    // A new storm's garbage past the interval: asked again; refused, it is not asked again…
    text = stalled;
    refuse = true;
    t += 20_000;
    await loop.tick();
    await until(() => outcomes.length === 2, 'the refused collection');
    assert.deepEqual(outcomes, ['collected', 'forbidden']);
    t += 60_000;
    await loop.tick();
    assert.equal(asked.length, 3);
    // …until the settings change.
    settings = { ...settings };
    refuse = false;
    await loop.tick();
    await until(() => outcomes.length === 3, 'asked again under new settings');
    assert.deepEqual(outcomes, ['collected', 'forbidden', 'collected']);
  });

  it('reads a metric summed over its samples from exposition text', () => {
    const text = '# HELP x y\n# TYPE x gauge\nx{a="1"} 5\nx{a="2"} 7.5\nxx 100\n';
    assert.equal(readMetric(text, 'x'), 12.5);
    assert.equal(readMetric(text, 'missing'), undefined);
  });

  it('reads once per interval on the clock it is given, follows a changed interval, and stops', async () => {
    const clock = createManualClock();
    let reads = 0;
    let settings: AdaptiveSettings = { enabled: true, metric: 'rss', ceilingBytes: 1000, minimumBytes: 10, intervalMs: 2_000, recoveryFraction: 0.5, collect: false, collectIntervalMs: 20_000 };
    let effective = 1000;
    const loop = createAdaptiveBudget({
      settings: () => settings,
      configuredBudget: () => 1000,
      effectiveBudget: () => effective,
      setEffectiveBudget: (b) => (effective = b),
      // Leases explain all the memory read: the budget drops by the excess at each read.
      leasedBytes: () => 1300,
      fetchText: () => (reads++, Promise.resolve('rss 1300\n')),
      limiter: new Bottleneck({ maxConcurrent: 1 }),
      timers: clock.timers,
    });
    loop.start();
    clock.advance(1_999);
    assert.equal(reads, 0);
    clock.advance(1);
    await until(() => effective === 700, 'above the ceiling by 300: down by 300');
    assert.equal(reads, 1);
    await until(() => clock.pending() === 1, 'the next read scheduled');
    settings = { ...settings, intervalMs: 10_000 };
    clock.advance(2_000);
    await until(() => effective === 400, 'the next read, scheduled with the old interval');
    await until(() => clock.pending() === 1, 'the next read scheduled');
    clock.advance(9_999);
    assert.equal(reads, 2, 'then the new interval');
    clock.advance(1);
    await until(() => effective === 100, 'the third read');
    assert.equal(reads, 3);
    loop.stop();
    assert.equal(clock.pending(), 0);
  });

  it("closes the loop on the simulator's /metrics, and a failed read leaves the budget alone", async () => {
    const sim = await startTestSimulator({ seed: { secrets: 20, secretSize: 64 * 1024, namespaces: 1, configmaps: 0, pods: 0 } });
    const requester = simRequester(sim);
    const fetch = createUpstreamFetch(requester);
    // After one LIST the simulator's peak modeled memory is far above a 100-byte ceiling.
    let effective = 1000;
    const settings: AdaptiveSettings = { enabled: true, metric: 'simulator_peak_inflight_response_bytes', ceilingBytes: 100, minimumBytes: 10, intervalMs: 60_000, recoveryFraction: 0.5, collect: false, collectIntervalMs: 20_000 };
    let failing = false;
    const loop = createAdaptiveBudget({
      settings: () => settings,
      configuredBudget: () => 1000,
      effectiveBudget: () => effective,
      setEffectiveBudget: (b) => (effective = b),
      leasedBytes: () => 0,
      fetchText: (path) => (failing ? Promise.reject(new Error('down')) : fetch.fetchText(path)),
      limiter: new Bottleneck({ maxConcurrent: 1 }),
    });
    try {
      await fetchSim(sim, '/api/v1/secrets');
      await loop.tick();
      assert.ok(loop.observed()! > 1_000_000, `the peak read from /metrics: ${loop.observed()}`);
      assert.equal(effective, 10, 'far above the ceiling: down to the minimum');
      failing = true;
      await loop.tick();
      assert.equal(effective, 10);
    } finally {
      requester.close();
      await sim.close();
    }
  });
});
