import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLearningLocks, type LearningLock } from '../../src/admit/learning-locks.js';
import { createManualClock, flush } from './support/manual-clock.js';

describe('learning locks: one low-confidence LIST at a time per resource', () => {
  it('lets the first through, the next one after it, and other resources at once', async () => {
    const clock = createManualClock();
    const locks = createLearningLocks({ timers: clock.timers });
    const first = (await locks.acquire('/secrets', { waitMs: 10_000 })) as LearningLock;
    const other = await locks.acquire('/configmaps', { waitMs: 10_000 });
    assert.equal(typeof other, 'object', 'another resource is not held up');
    const got: { second?: unknown } = {};
    void locks.acquire('/secrets', { waitMs: 10_000 }).then((o) => (got.second = o));
    await flush();
    assert.equal(got.second, undefined);
    assert.equal(locks.waiting(), 1);
    first.release();
    first.release();
    await flush();
    assert.equal(typeof got.second, 'object', 'handed on when the first ends');
    assert.equal(locks.waiting(), 0);
    assert.equal(locks.held(), 2);
  });

  it('gives up after the wait, or when the client leaves, and forgets the waiter', async () => {
    const clock = createManualClock();
    const locks = createLearningLocks({ timers: clock.timers });
    const held = (await locks.acquire('/secrets', { waitMs: 1_000 })) as LearningLock;
    const timedOut = locks.acquire('/secrets', { waitMs: 1_000 });
    const controller = new AbortController();
    const left = locks.acquire('/secrets', { waitMs: 60_000, signal: controller.signal });
    clock.advance(1_000);
    assert.equal(await timedOut, 'timeout');
    controller.abort();
    assert.equal(await left, 'aborted');
    assert.equal(locks.waiting(), 0);
    held.release();
    assert.equal(locks.held(), 0, 'nobody was woken: both waiters had left');
    assert.equal(clock.pending(), 0, 'no timer left behind');
  });
});
