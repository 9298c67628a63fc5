/**
 * A watcher that stops reading, as the watch cache treats it: live events wait in a small input buffer;
 * once that is full the dispatcher gives the watcher a bounded time (100 ms, on the simulator's injected
 * timers) and then closes it, counted in apiserver_terminated_watchers_total. A watcher that reads again
 * before the time is up keeps its stream. The watched secret carries 2 MiB, so each update (a new label)
 * is a 2.8 MB event and the loopback socket buffers fill after a dozen or two.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import type { Schedule } from '../../src/simulator/watch-sink.js';
import { eventually } from '../support/gateway-fixture.js';
import { fetchSim, startTestSimulator, type TestSimulator } from '../support/simulator-fixture.js';

interface FakeTimer {
  fn: () => void;
  ms: number;
  cancelled: boolean;
}

interface PausedWatch {
  res: IncomingMessage;
  /** Reads until `marker` shows up in the stream (then pauses again); rejects if the stream ends first. */
  readUntil(marker: string): Promise<void>;
  ended: Promise<void>;
}

function openPausedWatch(t: TestSimulator, path: string): Promise<PausedWatch> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: t.port, path, ca: t.caPem, cert: t.admin.certPem, key: t.admin.keyPem, agent: false }, (res) => {
      res.pause();
      const ended = new Promise<void>((done) => {
        res.once('end', done);
        res.once('close', done);
        res.once('error', () => done());
      });
      resolve({
        res,
        ended,
        readUntil: (marker) =>
          new Promise<void>((found, lost) => {
            let tail = '';
            const onData = (chunk: Buffer): void => {
              const text = tail + chunk.toString('latin1');
              if (text.includes(marker)) {
                res.off('data', onData);
                res.pause(); // what comes next waits for the next readUntil
                found();
              }
              tail = text.slice(-marker.length);
            };
            res.on('data', onData);
            res.resume();
            void ended.then(() => lost(new Error(`the watch ended before ${marker}`)));
          }),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('watch backpressure', () => {
  const timers: FakeTimer[] = [];
  const schedule: Schedule = (fn, ms) => {
    const timer = { fn, ms, cancelled: false };
    timers.push(timer);
    return () => (timer.cancelled = true);
  };
  let t: TestSimulator;
  let round = 0;
  before(async () => (t = await startTestSimulator({ seed: { namespaces: 0, secrets: 1, secretSize: 2 * 1024 * 1024, configmaps: 0, pods: 0, deployments: 0 }, schedule })));
  after(async () => t.close());

  const currentRv = async (): Promise<string> => ((await fetchSim(t, '/api/v1/secrets?limit=1')).json as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  const labelSecret = async (label: string): Promise<void> => {
    const r = await fetchSim(t, '/api/v1/namespaces/default/secrets/secret-0', {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: { metadata: { labels: { round: label } } },
    });
    assert.equal(r.status, 200, r.text);
  };
  /** Writes big updates until the watcher's input buffer is full and the dispatcher starts its wait. */
  const fillUntilBlocked = async (): Promise<FakeTimer> => {
    const before = timers.length;
    for (let i = 0; i < 200 && timers.length === before; i++) {
      round += 1;
      await labelSecret(`r${round}`);
    }
    const timer = timers[before];
    assert.ok(timer, 'the watcher blocked within 200 updates of 2.8 MB');
    return timer;
  };
  const terminated = async (): Promise<number> => {
    const m = /^apiserver_terminated_watchers_total\{resource="secrets"\} (\d+)$/m.exec((await fetchSim(t, '/metrics')).text);
    return m ? Number(m[1]) : 0;
  };

  it('closes a watcher that leaves its input buffer full past the dispatch timeout', async () => {
    const watch = await openPausedWatch(t, `/api/v1/secrets?watch=1&resourceVersion=${await currentRv()}`);
    const timer = await fillUntilBlocked();
    assert.equal(timer.ms, 100);
    assert.equal(await terminated(), 0);
    timer.fn();
    watch.res.resume();
    await watch.ended;
    assert.equal(await terminated(), 1);
  });

  it('keeps a watcher that reads again before the timeout, and delivers what it missed', async () => {
    const watch = await openPausedWatch(t, `/api/v1/secrets?watch=1&resourceVersion=${await currentRv()}`);
    const timer = await fillUntilBlocked();
    const lastFilled = `"round":"r${round}"`;
    await watch.readUntil(lastFilled);
    await eventually(() => timer.cancelled, 5000, 'the drained buffer to cancel the wait');
    timer.fn(); // a timer that fires late finds the buffer drained
    await labelSecret('after-catch-up');
    await watch.readUntil('"round":"after-catch-up"');
    assert.equal(await terminated(), 1, 'only the first watcher was closed');
    watch.res.destroy();
  });
});
