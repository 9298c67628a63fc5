/**
 * When the simulator's watches send bookmarks (src/simulator/watch-bookmarks.ts), on an injected clock:
 * every interval and once 2 s before the deadline, none after it, and only once the watched resource has
 * moved past the watcher's starting revision. The wire shape is held to a real apiserver's by
 * test/contract/watch.contract.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scheduleBookmarks } from '../../src/simulator/watch-bookmarks.js';
import { createManualClock } from '../admit/support/manual-clock.js';

function harness(opts: { startRv: number; intervalMs: number; timeoutMs: number }) {
  const clock = createManualClock(0);
  const sent: [number, number][] = [];
  const schedule = scheduleBookmarks({
    startRv: opts.startRv,
    intervalMs: opts.intervalMs,
    deadline: opts.timeoutMs,
    now: clock.now,
    timers: clock.timers,
    send: (rv) => sent.push([clock.now(), rv]),
  });
  return { clock, sent, schedule };
}

describe('watch bookmarks', () => {
  it('are due every interval and once 2 s before the deadline, then no more', () => {
    const { clock, sent, schedule } = harness({ startRv: 10, intervalMs: 60_000, timeoutMs: 150_000 });
    schedule.observe(11);
    clock.advance(200_000);
    assert.deepEqual(sent, [[60_000, 11], [120_000, 11], [148_000, 11]]);
    assert.equal(clock.pending(), 0);
  });

  it('carry the newest revision of the resource, and none while it has not moved past the start', () => {
    const { clock, sent, schedule } = harness({ startRv: 10, intervalMs: 1_000, timeoutMs: 10_000 });
    schedule.observe(9);
    clock.advance(2_500);
    assert.deepEqual(sent, [], 'nothing newer than the watcher already has');
    schedule.observe(12);
    schedule.observe(11);
    clock.advance(1_000);
    assert.deepEqual(sent, [[3_000, 12]]);
  });

  it('a watch shorter than 2 s gets none; stop cancels the timer', () => {
    const short = harness({ startRv: 1, intervalMs: 60_000, timeoutMs: 1_500 });
    short.schedule.observe(5);
    assert.equal(short.clock.pending(), 0);
    const stopped = harness({ startRv: 1, intervalMs: 1_000, timeoutMs: 60_000 });
    stopped.schedule.observe(5);
    stopped.schedule.stop();
    stopped.clock.advance(10_000);
    assert.deepEqual(stopped.sent, []);
  });
});
