/**
 * The leases of an offloaded LIST's later pages: when the budget refuses a page, the page asks again
 * later, spread over time, so the garbage of the page before it (held over) has decayed by then.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PriorityLevelSettings } from '../../src/admit/admission-settings.js';
import { createBudget, type BudgetOutcome } from '../../src/admit/budget.js';
import { pageLeases } from '../../src/admit/offload-admission.js';
import { createManualClock, flush } from './support/manual-clock.js';

const level = (maxWaitMs: number): PriorityLevelSettings => ({ name: 'work', exempt: false, share: 1, limit: 1, queue: { length: 10, lengthPerFlow: 10, maxWaitMs } });

function setup(maxWaitMs: number) {
  const clock = createManualClock();
  const budget = createBudget({ budgetBytes: 1000, levels: [level(maxWaitMs)], maxRetryAfterSeconds: 32, initialHoldTimeMs: 1000, holdOverMs: 4_000 }, { now: clock.now, timers: clock.timers });
  const nextLease = pageLeases({ budget, timers: clock.timers, level: 'work', flow: 'user:a', key: 'list', bytes: 600, maxRetryAfterSeconds: () => 32 });
  return { clock, budget, nextLease };
}

/** The previous page: 600 bytes leased, read, released (its bytes held over, decaying for 4 s). */
async function pageBefore(budget: ReturnType<typeof createBudget>): Promise<void> {
  const o = await budget.admit({ level: 'work', flow: 'user:a', key: 'list', bytes: 600 });
  assert.equal(o.decision, 'admitted');
  (o as Extract<BudgetOutcome, { lease: unknown }>).lease.release();
}

describe("an offloaded LIST's later pages", () => {
  it('on a level whose queue does not wait, a refused page asks again when the budget says, not ten times at once', async () => {
    const { clock, budget, nextLease } = setup(0);
    await pageBefore(budget);
    const start = clock.now();
    const got: { lease?: unknown } = {};
    void nextLease(new AbortController().signal).then((r) => (got.lease = r));
    await flush();
    assert.equal(got.lease, undefined, 'refused now (600 held over beside 600 asked of 1000), waiting to ask again');
    // Time moves in small steps, as a real queue's zero wait ends within a millisecond or so.
    for (let s = 0; s < 800 && got.lease === undefined; s++) {
      clock.advance(10);
      await flush();
    }
    assert.ok(got.lease !== undefined && !('refused' in (got.lease as object)), `a lease once the held-over bytes decayed: ${JSON.stringify(got.lease)}`);
    const at = clock.now() - start;
    assert.ok(at >= 1000 && at <= 4000, `granted within the hold-over, ${at} ms after the page before`);
  });

  it('gives up after its attempts with the reason, when the level stays full', async () => {
    const { clock, budget, nextLease } = setup(0);
    const held = await budget.admit({ level: 'work', flow: 'user:b', key: 'other', bytes: 900 });
    assert.equal(held.decision, 'admitted');
    const start = clock.now();
    const got: { refusal?: unknown } = {};
    void nextLease(new AbortController().signal).then((r) => (got.refusal = r));
    for (let s = 0; s < 400 && got.refusal === undefined; s++) {
      clock.advance(1000);
      await flush();
    }
    assert.ok(got.refusal && 'refused' in (got.refusal as object), `refused after its attempts: ${JSON.stringify(got.refusal)}`);
    assert.match((got.refusal as { message: string }).message, /^a page got no lease in 10 attempts \(.+\)$/);
    assert.ok(clock.now() - start >= 9000, `the attempts spanned ${clock.now() - start} ms`);
  });
});
