import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PriorityLevelSettings } from '../../src/admit/admission-settings.js';
import { createBudget, type BudgetOutcome } from '../../src/admit/budget.js';
import { createHoldOver } from '../../src/admit/hold-over.js';
import { createManualClock, flush } from './support/manual-clock.js';

describe('hold-over: what an ended lease leaves in the apiserver until its collector runs', () => {
  it('decays linearly to nothing over the hold time, per level', () => {
    const h = createHoldOver({ holdMs: 10_000 });
    h.add('work', 1000, 0);
    h.add('work', 500, 4_000);
    h.add('system', 200, 0);
    const rows: Array<[number, number, number]> = [
      [4_000, 600 + 500, 120],
      [6_500, 350 + 375, 70],
      [10_000, 200, 0],
      [14_000, 0, 0],
    ];
    for (const [t, work, system] of rows) {
      assert.ok(Math.abs(h.bytes('work', t) - work) < 1e-6, `work at ${t}: ${h.bytes('work', t)}`);
      assert.ok(Math.abs(h.bytes('system', t) - system) < 1e-6, `system at ${t}`);
    }
    assert.equal(h.nextChangeAt(14_000), undefined, 'nothing held: no wake needed');
  });

  it('holds nothing with a hold time of 0', () => {
    const h = createHoldOver({ holdMs: 0 });
    h.add('work', 1000, 0);
    assert.equal(h.bytes('work', 0), 0);
    assert.equal(h.nextChangeAt(0), undefined);
  });
});

describe('budget with a hold-over', () => {
  const work: PriorityLevelSettings = { name: 'work', exempt: false, share: 1, limit: 1, queue: { length: 10, lengthPerFlow: 10, maxWaitMs: 60_000 } };
  const setup = (holdOverMs: number) => {
    const clock = createManualClock();
    const budget = createBudget({ budgetBytes: 1000, levels: [work], maxRetryAfterSeconds: 32, initialHoldTimeMs: 1000, holdOverMs }, { now: clock.now, timers: clock.timers });
    return { clock, budget };
  };
  const req = (bytes: number) => ({ level: 'work', flow: 'user:a', key: `k${bytes}${Math.random()}`, bytes });

  it('does not hand an ended lease\'s bytes to the next request until they have decayed', async () => {
    const { clock, budget } = setup(8_000);
    const first = await budget.admit(req(800));
    assert.equal(first.decision, 'admitted');
    (first as Extract<BudgetOutcome, { lease: unknown }>).lease.release();
    assert.equal(budget.level('work')!.heldOverBytes, 800);
    const got: { next?: BudgetOutcome } = {};
    void budget.admit(req(800)).then((o) => (got.next = o));
    await flush();
    assert.equal(got.next, undefined, 'the garbage of the first LIST still counts: the second waits');
    clock.advance(4_000);
    await flush();
    assert.equal(got.next, undefined, 'half decayed (400 held over): 800 does not fit yet');
    clock.advance(3_000);
    await flush();
    assert.equal((got.next as BudgetOutcome | undefined)?.decision, 'queued', 'admitted once 1000 − held over ≥ 800, woken by the decay');
    assert.ok(budget.level('work')!.heldOverBytes < 200);
  });

  it('gives the bytes back at once without a hold-over', async () => {
    const { budget } = setup(0);
    const first = await budget.admit(req(800));
    (first as Extract<BudgetOutcome, { lease: unknown }>).lease.release();
    assert.equal((await budget.admit(req(800))).decision, 'admitted');
  });

  it('forgets held-over bytes on shutdown', async () => {
    const { budget } = setup(8_000);
    await budget.admit(req(500));
    assert.equal(budget.releaseAll(), 1);
    assert.equal(budget.level('work')!.heldOverBytes, 0);
  });
});
