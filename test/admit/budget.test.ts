import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PriorityLevelSettings } from '../../src/admit/admission-settings.js';
import { createBudget, type BudgetOutcome, type BudgetSettings } from '../../src/admit/budget.js';
import { createManualClock, flush } from './support/manual-clock.js';

const level = (name: string, share: number, queue: Partial<PriorityLevelSettings['queue']> = {}, extra: Partial<PriorityLevelSettings> = {}): PriorityLevelSettings => ({
  name,
  exempt: false,
  share,
  limit: 1,
  queue: { length: 10, lengthPerFlow: 10, maxWaitMs: 5_000, ...queue },
  ...extra,
});

const exempt: PriorityLevelSettings = { name: 'exempt', exempt: true, share: 0, limit: 1, queue: { length: 0, lengthPerFlow: 0, maxWaitMs: 0 } };

function setup(levels: PriorityLevelSettings[], over: Partial<BudgetSettings> = {}) {
  const clock = createManualClock();
  const events: string[] = [];
  const budget = createBudget(
    { budgetBytes: 1000, levels, maxRetryAfterSeconds: 32, initialHoldTimeMs: 1000, ...over },
    {
      now: clock.now,
      timers: clock.timers,
      events: {
        granted: (e) => events.push(`granted ${e.level} ${e.decision} ${e.bytes}`),
        released: (e) => events.push(`released ${e.level} ${e.bytes}`),
        rejected: (e) => events.push(`rejected ${e.level} ${e.reason}`),
      },
    },
  );
  return { clock, budget, events };
}

const req = (bytes: number, over: { level?: string; flow?: string; key?: string; signal?: AbortSignal } = {}) => ({
  level: over.level ?? 'work',
  flow: over.flow ?? 'user:a',
  key: over.key ?? `k${Math.random()}`,
  bytes,
  ...(over.signal ? { signal: over.signal } : {}),
});

function leaseOf(o: BudgetOutcome) {
  assert.ok(o.decision === 'admitted' || o.decision === 'queued' || o.decision === 'exempt', `expected a lease, got ${JSON.stringify(o)}`);
  return o.lease;
}

describe('budget: leases', () => {
  it('admits while the budget lasts, queues the rest, and hands the bytes on when a lease ends', async () => {
    const { budget } = setup([level('work', 1)]);
    const a = leaseOf(await budget.admit(req(600)));
    const b = leaseOf(await budget.admit(req(400)));
    assert.equal(budget.inUseBytes(), 1000);
    const got: { third?: BudgetOutcome } = {};
    void budget.admit(req(300)).then((o) => (got.third = o));
    await flush();
    assert.deepEqual(Object.keys(got), [], 'still waiting');
    assert.equal(budget.level('work')?.queuedBytes, 300);
    assert.equal(a.release(), true);
    await flush();
    assert.equal(got.third?.decision, 'queued');
    assert.equal(budget.inUseBytes(), 700);
    assert.equal(a.release(), false, 'a second release does nothing');
    assert.equal(budget.inUseBytes(), 700);
    b.release();
    leaseOf(got.third!).release();
    assert.equal(budget.inUseBytes(), 0);
  });

  it('never lets leases pass the budget, whatever the order of requests and releases', async () => {
    const { budget } = setup([level('work', 1, { length: 1000, lengthPerFlow: 1000, maxWaitMs: 1e9 })]);
    const held: { release(): boolean }[] = [];
    let peak = 0;
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      pending.push(budget.admit(req(50 + ((i * 37) % 400), { flow: `user:${i % 7}` })).then((o) => void held.push(leaseOf(o))));
      peak = Math.max(peak, budget.inUseBytes());
      if (i % 3 === 0 && held.length > 0) held.splice((i * 13) % held.length, 1)[0]!.release();
      await flush();
      peak = Math.max(peak, budget.inUseBytes());
    }
    while (held.length > 0 || budget.level('work')!.queuedRequests > 0) {
      held.shift()?.release();
      await flush();
      peak = Math.max(peak, budget.inUseBytes());
    }
    await Promise.all(pending);
    assert.ok(peak <= 1000, `peak ${peak}`);
    assert.equal(budget.inUseBytes(), 0);
  });

  it('exempt levels never wait, and their leases count', async () => {
    const { budget } = setup([exempt, level('work', 1)]);
    leaseOf(await budget.admit(req(900)));
    const o = await budget.admit(req(5000, { level: 'exempt' }));
    assert.equal(o.decision, 'exempt');
    assert.equal(budget.inUseBytes(), 5900);
    assert.equal(budget.level('work')?.freeBytes, 0);
  });

  it("holds back other levels' unused guarantees and lets a level borrow the pool up to its limit", async () => {
    const { budget } = setup([level('sys', 0.3), level('work', 0.2, {}, { limit: 0.6 })]);
    // work can reach min(0.6, 0.2 + 0.5 pool) = 600; sys keeps its 300.
    assert.equal(budget.level('work')?.freeBytes, 600);
    leaseOf(await budget.admit(req(600)));
    assert.equal(budget.level('work')?.freeBytes, 0);
    assert.equal(budget.level('sys')?.freeBytes, 400);
    leaseOf(await budget.admit(req(400, { level: 'sys' })));
    assert.equal(budget.inUseBytes(), 1000);
  });

  it('releaseAll (shutdown) releases every lease once and answers what waits with Retry-After 1', async () => {
    const { budget } = setup([level('work', 1)]);
    const a = leaseOf(await budget.admit(req(800)));
    const waiting = budget.admit(req(800));
    await flush();
    assert.equal(budget.releaseAll(), 1);
    const o = await waiting;
    assert.equal(o.decision, 'rejected');
    assert.equal(o.decision === 'rejected' && o.reason, 'shutting_down');
    assert.equal(o.decision === 'rejected' && o.retryAfterSeconds, 1);
    assert.equal(a.release(), false);
    assert.equal(budget.inUseBytes(), 0);
    const after = await budget.admit(req(10));
    assert.equal(after.decision === 'rejected' && after.reason, 'shutting_down');
  });

  it('a waiting request whose client goes away leaves the queue without a lease', async () => {
    const { budget } = setup([level('work', 1)]);
    const a = leaseOf(await budget.admit(req(900)));
    const gone = new AbortController();
    const waiting = budget.admit(req(500, { signal: gone.signal }));
    await flush();
    gone.abort();
    assert.equal((await waiting).decision, 'aborted');
    assert.equal(budget.level('work')?.queuedRequests, 0);
    a.release();
    assert.equal(budget.inUseBytes(), 0);
  });

  it('a lower effective budget stops admission until leases drain; it never rises above the configured one', async () => {
    const { budget } = setup([level('work', 1)]);
    const a = leaseOf(await budget.admit(req(500)));
    budget.setEffectiveBudget(400);
    assert.equal(budget.level('work')?.freeBytes, 0);
    const waiting = budget.admit(req(300));
    a.release();
    assert.equal((await waiting).decision, 'queued');
    budget.setEffectiveBudget(5000);
    assert.equal(budget.effectiveBudget(), 1000);
  });

  it('a reload keeps leases and queued requests; a dropped level drains before it goes', async () => {
    const { budget } = setup([level('old', 0.5), level('work', 0.5)]);
    const a = leaseOf(await budget.admit(req(500, { level: 'old' })));
    budget.reconfigure({ budgetBytes: 2000, levels: [level('work', 1)], maxRetryAfterSeconds: 10, initialHoldTimeMs: 1000 });
    assert.equal(budget.inUseBytes(), 500);
    assert.equal(budget.level('old')?.inUseBytes, 500);
    assert.equal(budget.configuredBudget(), 2000);
    assert.equal(budget.effectiveBudget(), 1000, 'the effective budget does not jump up on reload');
    a.release();
    assert.equal(budget.level('old'), undefined);
    assert.equal(budget.inUseBytes(), 0);
  });
});
