/**
 * The memory model: a LIST's modeled bytes (body × the calibration factor) are held from assembly until
 * the write completes or the client goes away, and passing oomLimitBytes kills the simulated apiserver
 * (connections dropped, watches included), counts the kill, and serves again after restartDelayMs.
 * Scaled-down version of the calibration case: the limit is 4.25 unpaginated etcd LISTs, so 4 fit and the
 * 5th kills; 8 cache LISTs fit and 16 kill; 16 paginated LISTs never kill. These run without the garbage
 * hold (gcHoldMs 0), which has its own tests on an injected clock.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { request, type RequestOptions } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { createMemoryModel, MEMORY_FACTORS } from '../../src/simulator/memory-model.js';
import { fetchSim, openWatch, startTestSimulator, type TestSimulator } from '../support/simulator-fixture.js';

const ETCD = MEMORY_FACTORS.json.etcd;
const CACHE = MEMORY_FACTORS.json.cache;

const SEED = { namespaces: 0, secrets: 40, secretSize: 256 * 1024, configmaps: 0, pods: 0, deployments: 0 };
const LIST = '/api/v1/namespaces/default/secrets';

interface Held {
  /** Resolves when the response headers arrive; the body is not read until `drain`. */
  started: Promise<void>;
  /** Reads the rest of the body; resolves true if it arrived complete, false if the connection died. */
  drain(): Promise<boolean>;
  destroy(): void;
}

/** A LIST whose client does not read the body: the server's write stalls, like a slow client's. */
function holdList(t: TestSimulator, path: string): Held {
  const options: RequestOptions = { host: '127.0.0.1', port: t.port, path, ca: t.caPem, cert: t.admin.certPem, key: t.admin.keyPem, agent: false };
  const req = request(options);
  const response = new Promise<IncomingMessage | undefined>((resolve) => {
    req.once('response', resolve);
    req.once('error', () => resolve(undefined));
  });
  req.end();
  return {
    started: response.then(() => undefined),
    async drain() {
      const res = await response;
      if (!res) return false;
      return new Promise((resolve) => {
        res.on('error', () => resolve(false));
        res.on('close', () => resolve(res.complete));
        res.resume();
      });
    },
    destroy: () => req.destroy(),
  };
}

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('memory model', { timeout: 60_000 }, () => {
  let bodyBytes = 0;
  let t: TestSimulator;
  before(async () => {
    const probe = await startTestSimulator({ seed: SEED });
    bodyBytes = (await fetchSim(probe, LIST)).body.length;
    await probe.close();
    t = await startTestSimulator({ seed: SEED, oomLimitBytes: Math.floor(bodyBytes * ETCD * 4.25), restartDelayMs: 1500, gcHoldMs: 0 });
  });
  after(() => t.close());

  const inflight = (): number => t.sim.stats.inflightResponseBytes();

  it(`prices a LIST at body × ${ETCD} from etcd and × ${CACHE} from the watch cache (kube-apiserver 1.32.6), back to 0 when written`, async () => {
    assert.ok(bodyBytes > 40 * 256 * 1024, `the list body holds every payload (${bodyBytes} bytes)`);
    const etcd = await fetchSim(t, LIST);
    assert.equal(etcd.body.length, bodyBytes);
    assert.equal(t.sim.stats.peakInflightResponseBytes(), Math.ceil(bodyBytes * ETCD));
    await until('the completed write to release its bytes', () => inflight() === 0);
    const cache = holdList(t, `${LIST}?resourceVersion=0`);
    await cache.started;
    assert.equal(inflight(), Math.ceil(bodyBytes * CACHE));
    cache.destroy();
    await until('the aborted LIST to release its bytes', () => inflight() === 0);
  });

  it('holds the bytes while a slow client reads and releases them exactly once when it goes away', async () => {
    const held = holdList(t, LIST);
    await held.started;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(inflight(), Math.ceil(bodyBytes * ETCD), 'still held: the write has not completed');
    held.destroy();
    await until('release after abort', () => inflight() === 0);
    await fetchSim(t, LIST);
    await until('the completed write to release its bytes', () => inflight() === 0);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(inflight(), 0, 'no double release drove the gauge negative');
  });

  it('never dies of 16 concurrent paginated LISTs', async () => {
    const pages = Array.from({ length: 16 }, () => holdList(t, `${LIST}?limit=5`));
    await Promise.all(pages.map((p) => p.started));
    assert.equal(t.sim.stats.oomKills(), 0);
    assert.ok(inflight() < bodyBytes * ETCD * 4.25);
    pages.forEach((p) => p.destroy());
    await until('paginated releases', () => inflight() === 0);
  });

  it('is OOM-killed by the 5th concurrent etcd LIST: drops every connection, counts, restarts with its data', async () => {
    const CM = '/api/v1/namespaces/default/configmaps';
    const rv = ((await fetchSim(t, CM)).json as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    const watch = await openWatch(t, `${CM}?watch=1&resourceVersion=${rv}`);
    await fetchSim(t, CM, { method: 'POST', body: { metadata: { name: 'before-the-kill' } } });
    assert.equal((await watch.next()).type, 'ADDED');
    const four = Array.from({ length: 4 }, () => holdList(t, LIST));
    await Promise.all(four.map((h) => h.started));
    assert.equal(inflight(), 4 * Math.ceil(bodyBytes * ETCD));
    assert.equal(t.sim.stats.oomKills(), 0, 'four fit under the limit');

    const fifth = holdList(t, LIST);
    await watch.ended;
    assert.equal(t.sim.stats.oomKills(), 1);
    assert.deepEqual(await Promise.all([fifth, ...four].map((h) => h.drain())), [false, false, false, false, false], 'every LIST was cut off');
    assert.equal(inflight(), 0);
    await assert.rejects(fetchSim(t, LIST), /ECONNREFUSED|ECONNRESET|socket hang up/, 'nothing listens while the process is down');

    let after: Awaited<ReturnType<typeof fetchSim>> | undefined;
    for (let i = 0; i < 100 && !after; i++) {
      after = await fetchSim(t, LIST).catch(() => undefined);
      if (!after) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(after?.status, 200, 'serving again on the same port');
    assert.equal((after?.json as { items: unknown[] }).items.length, 40, 'the store survived');
    assert.match((await fetchSim(t, '/metrics')).text, /^simulator_oom_kills_total 1$/m);
    const resumed = await openWatch(t, `${CM}?watch=1&resourceVersion=${rv}`);
    await resumed.ended;
    assert.equal(resumed.events[0]?.type, 'ERROR', 'the restarted watch cache cannot resume old watches');
  });

  it('survives 8 concurrent watch-cache LISTs and dies of 16', async () => {
    const eight = Array.from({ length: 8 }, () => holdList(t, `${LIST}?resourceVersion=0`));
    await Promise.all(eight.map((h) => h.started));
    assert.equal(t.sim.stats.oomKills(), 1, 'eight cache LISTs fit');
    const more = Array.from({ length: 8 }, () => holdList(t, `${LIST}?resourceVersion=0`));
    await until('the second kill', () => t.sim.stats.oomKills() === 2);
    const complete = await Promise.all(eight.map((h) => h.drain()));
    assert.ok(complete.every((c) => !c), 'the LISTs in flight were cut off');
    await Promise.all(more.map((h) => h.drain()));
  });
});

describe('memory model: garbage after a response', () => {
  it('keeps an ended LIST\'s bytes counted, decaying over the hold, so the next one can pass the limit', () => {
    let now = 0;
    const kills: number[] = [];
    // The simulator resets its model when it is killed; so does this one.
    const model = createMemoryModel({
      limitBytes: 1000,
      gcHoldMs: 1000,
      now: () => now,
      onOom: (wanted) => {
        kills.push(wanted);
        model.reset();
      },
    });
    model.acquire(700)!.release();
    assert.equal(model.inflight(), 700, 'garbage until the collector runs');
    now = 500;
    assert.equal(model.inflight(), 350);
    assert.equal(model.acquire(700), undefined, 'the second LIST on top of the first one\'s garbage: killed');
    assert.deepEqual(kills, [700]);
    now = 600;
    assert.equal(model.inflight(), 0, 'the kill took the garbage with it');
    const again = model.acquire(700)!;
    again.release();
    now = 1700;
    assert.equal(model.inflight(), 0, 'collected after the hold');
    assert.ok(model.acquire(900), 'room again');
  });
});
