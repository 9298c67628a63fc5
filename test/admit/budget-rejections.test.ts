import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PriorityLevelSettings } from '../../src/admit/admission-settings.js';
import { createBudget, type BudgetOutcome } from '../../src/admit/budget.js';
import { createManualClock, flush } from './support/manual-clock.js';

const work = (queue: Partial<PriorityLevelSettings['queue']> = {}): PriorityLevelSettings => ({
  name: 'work',
  exempt: false,
  share: 0.5,
  limit: 1,
  queue: { length: 4, lengthPerFlow: 2, maxWaitMs: 3_000, ...queue },
});

function setup(queue: Partial<PriorityLevelSettings['queue']> = {}) {
  const clock = createManualClock();
  // 1000 bytes, held 1 s on average: the level (ceiling 1000) drains 1000 bytes/s.
  const budget = createBudget({ budgetBytes: 1000, levels: [work(queue)], maxRetryAfterSeconds: 32, initialHoldTimeMs: 1000 }, { now: clock.now, timers: clock.timers });
  return { clock, budget };
}

const req = (bytes: number, flow = 'user:a', key = `k${Math.random()}`) => ({ level: 'work', flow, key, bytes });

function rejected(o: BudgetOutcome) {
  assert.equal(o.decision, 'rejected', JSON.stringify(o));
  return o as Extract<BudgetOutcome, { decision: 'rejected' }>;
}

describe('budget: rejections', () => {
  it('a request above what its level can ever hold is rejected at once, without Retry-After', async () => {
    const { budget } = setup();
    const o = rejected(await budget.admit(req(1001)));
    assert.equal(o.reason, 'too_large');
    assert.equal(o.retryAfterSeconds, undefined);
  });

  it('a request whose projected wait exceeds the maximum is rejected at once, with a Retry-After past that wait', async () => {
    const { budget } = setup({ maxWaitMs: 500 });
    await budget.admit(req(900));
    const o = rejected(await budget.admit(req(800)));
    assert.equal(o.reason, 'wait_exceeded');
    // 700 bytes short at 1000 bytes/s: back in 1 s at the earliest.
    assert.equal(o.retryAfterSeconds, 1);
    assert.equal(o.waitedMs, 0);
  });

  it('rejects when the queue or the flow’s part of it is full', async () => {
    const { budget } = setup({ maxWaitMs: 60_000 });
    await budget.admit(req(1000));
    void budget.admit(req(10, 'user:a'));
    void budget.admit(req(10, 'user:a'));
    assert.equal(rejected(await budget.admit(req(10, 'user:a'))).reason, 'queue_full');
    void budget.admit(req(10, 'user:b'));
    void budget.admit(req(10, 'user:c'));
    assert.equal(rejected(await budget.admit(req(10, 'user:d'))).reason, 'queue_full');
  });

  it('a queued request that is not served within the maximum wait is rejected then', async () => {
    const { budget, clock } = setup({ maxWaitMs: 3_000 });
    await budget.admit(req(900));
    let outcome = undefined as BudgetOutcome | undefined;
    void budget.admit(req(500)).then((o) => (outcome = o));
    clock.advance(2_999);
    await flush();
    assert.equal(outcome, undefined);
    clock.advance(1);
    await flush();
    const o = rejected(outcome!);
    assert.equal(o.reason, 'timeout');
    assert.equal(o.waitedMs, 3_000);
    assert.ok(o.retryAfterSeconds! >= 1);
    assert.equal(budget.level('work')?.queuedRequests, 0);
  });

  it('staggers rejected clients over distinct seconds, capped', async () => {
    const clock = createManualClock();
    const budget = createBudget({ budgetBytes: 1000, levels: [work({ maxWaitMs: 0 })], maxRetryAfterSeconds: 5, initialHoldTimeMs: 1000 }, { now: clock.now, timers: clock.timers });
    await budget.admit(req(1000));
    const seconds: number[] = [];
    for (let i = 0; i < 7; i++) seconds.push(rejected(await budget.admit(req(1000, `user:${i}`))).retryAfterSeconds!);
    assert.deepEqual(seconds, [1, 2, 3, 4, 5, 5, 5]);
  });

  it('a client coming back at its time is served before newcomers, who wait behind the bytes held for it', async () => {
    const { budget, clock } = setup({ maxWaitMs: 0 });
    const first = await budget.admit(req(1000));
    const o = rejected(await budget.admit(req(600, 'user:retry', 'retry GET /api/v1/secrets')));
    assert.equal(o.retryAfterSeconds, 1);
    (first as { lease: { release(): boolean } }).lease.release();
    clock.advance(900);
    // 600 bytes are held for the returning client: a 500-byte newcomer does not fit in the other 400.
    assert.equal(budget.level('work')?.heldBytes, 600);
    assert.equal(rejected(await budget.admit(req(500, 'user:new'))).reason, 'wait_exceeded');
    clock.advance(100);
    const back = await budget.admit(req(600, 'user:retry', 'retry GET /api/v1/secrets'));
    assert.equal(back.decision, 'admitted');
    assert.equal(back.decision === 'admitted' && back.returning, true);
    assert.equal(budget.level('work')?.heldBytes, 0);
  });

  it('preview says what admit would do, and takes nothing', async () => {
    const { budget } = setup({ maxWaitMs: 5_000 });
    assert.equal(budget.preview(req(400)).decision, 'admitted');
    await budget.admit(req(800));
    const p = budget.preview(req(400));
    assert.equal(p.decision, 'queued');
    assert.ok(p.projectedWaitMs! > 0);
    assert.equal(budget.preview(req(5000)).reason, 'too_large');
    assert.equal(budget.inUseBytes(), 800);
    assert.equal(budget.level('work')?.queuedRequests, 0);
  });
});
