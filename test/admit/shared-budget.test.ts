/**
 * One budget shared by replicas through a real Redis (a redis-server child of this test), decided by
 * the same budget code as a single gateway, on injected time that the Redis scripts read too: a lease
 * one replica holds is counted by the others; the levels' shares and limits and the hold-over hold over
 * all of them; a lease released once is gone once; a replica that stops renewing loses its leases after
 * the lease TTL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BudgetOutcome, BudgetSettings } from '../../src/admit/budget.js';
import { startRedisServer, type RedisServer } from '../../bench/lib/redis-server.js';
import { createManualClock, type ManualClock } from './support/manual-clock.js';
import { level, redisHoldings, startReplica, type Replica } from './support/shared-stack.js';

const req = (bytes: number, lvl = 'work', flow = 'user:a') => ({ level: lvl, flow, key: `k${Math.random()}`, bytes });

function leaseOf(o: BudgetOutcome) {
  assert.ok(o.decision === 'admitted' || o.decision === 'queued' || o.decision === 'exempt', `expected a lease, got ${JSON.stringify(o)}`);
  return o.lease;
}

describe('a budget shared through Redis', () => {
  let redis: RedisServer;
  let n = 0;
  const open: Replica[] = [];
  before(async () => {
    redis = await startRedisServer();
  });
  after(async () => {
    await Promise.all(open.map((r) => r.close()));
    await redis.stop();
  });

  /** Two replicas on a fresh key prefix and a fresh clock. */
  async function pair(budget: Partial<BudgetSettings> = {}, names = ['a', 'b']): Promise<{ clock: ManualClock; prefix: string; replicas: Replica[] }> {
    const clock = createManualClock(1_700_000_000_000);
    const prefix = `t${n++}:`;
    const settings: BudgetSettings = { budgetBytes: 1000, levels: [level('work', 1)], maxRetryAfterSeconds: 32, initialHoldTimeMs: 1000, holdOverMs: 0, ...budget };
    const replicas = [];
    for (const name of names) replicas.push(await startReplica({ name, redis, clock, budget: settings, shared: { keyPrefix: prefix } }));
    open.push(...replicas);
    return { clock, prefix, replicas };
  }

  it('counts the leases of every replica: the second waits for the first to release', async () => {
    const { prefix, replicas: [a, b] } = await pair();
    assert.equal(a!.store.state().mode, 'shared');
    const first = leaseOf(await a!.budget.admit(req(600)));
    const second = b!.budget.admit(req(600));
    // B's own view had room; Redis refused, and B's request waits in B's queue. (A renewal on the same
    // connection is answered after the take: by then B has decided.)
    await b!.store.tick();
    assert.equal(b!.budget.level('work')!.queuedRequests, 1);
    assert.equal((await redisHoldings(redis, prefix)).bytes, 600);
    first.release();
    const got = await second;
    assert.equal(got.decision, 'queued', 'woken by the release announced on the channel');
    const held = await redisHoldings(redis, prefix);
    assert.deepEqual({ leases: held.leases, bytes: held.bytes, b: held.byReplica.b }, { leases: 1, bytes: 600, b: 600 });
  });

  it("holds the levels' shares and limits over all replicas", async () => {
    // system: 0.5 guaranteed; work: 0.25 guaranteed; 0.25 unguaranteed: work may hold 0.5, system 0.75.
    const { replicas: [a, b] } = await pair({ levels: [level('system', 0.5), level('work', 0.25)] });
    leaseOf(await a!.budget.admit(req(300, 'work')));
    leaseOf(await b!.budget.admit(req(200, 'work')));
    // work is at its ceiling (0.5 of 1000) across the two replicas; system's guarantee is untouched.
    const refused = await b!.budget.admit({ ...req(100, 'work'), signal: AbortSignal.abort() });
    assert.equal(refused.decision, 'aborted', 'no room for work: the request would have waited');
    assert.equal(b!.budget.level('work')!.freeBytes, 0);
    leaseOf(await a!.budget.admit(req(500, 'system')));
    const over = await b!.budget.admit({ ...req(1, 'system'), signal: AbortSignal.abort() });
    assert.equal(over.decision, 'aborted', 'the whole budget is leased');
  });

  it('counts an ended lease as held over on every replica until it has decayed', async () => {
    const { clock, replicas: [a, b] } = await pair({ holdOverMs: 1000 });
    const lease = leaseOf(await a!.budget.admit(req(800)));
    lease.release();
    await a!.store.tick();
    const waiting = b!.budget.admit(req(500));
    await b!.store.tick();
    assert.equal(b!.budget.level('work')!.queuedRequests, 1, 'A’s 800 bytes are held over: 200 free');
    clock.advance(200);
    await b!.store.tick();
    assert.equal(b!.budget.level('work')!.queuedRequests, 1, 'after 200 ms, 640 bytes are held over: still no room for 500');
    clock.advance(200);
    const got = await waiting;
    assert.equal(got.decision, 'queued', 'after 400 ms only 480 bytes are held over: admitted');
  });

  it('releases a lease once, however often it is released', async () => {
    const { prefix, replicas: [a] } = await pair();
    const lease = leaseOf(await a!.budget.admit(req(400)));
    const other = leaseOf(await a!.budget.admit(req(100)));
    assert.equal(lease.release(), true);
    assert.equal(lease.release(), false);
    await a!.store.tick();
    assert.deepEqual(await redisHoldings(redis, prefix).then((h) => [h.leases, h.bytes]), [1, 100]);
    other.release();
    await a!.store.tick();
    assert.deepEqual(await redisHoldings(redis, prefix).then((h) => [h.leases, h.bytes]), [0, 0]);
  });

  it('drops the leases of a replica that stops renewing them after the lease TTL', async () => {
    const { clock, prefix, replicas: [a, b] } = await pair({}, ['a', 'b']);
    leaseOf(await a!.budget.admit(req(900)));
    a!.crash();
    const waiting = b!.budget.admit(req(500));
    await b!.store.tick();
    assert.equal(b!.budget.level('work')!.queuedRequests, 1);
    clock.advance(9_000);
    await b!.store.tick();
    assert.equal((await redisHoldings(redis, prefix)).byReplica.a, 900, 'still within the TTL (10 s)');
    clock.advance(1_001);
    await b!.store.tick();
    assert.equal((await waiting).decision, 'queued', 'the expired lease gave its bytes back');
    const held = await redisHoldings(redis, prefix);
    assert.equal(held.byReplica.a ?? 0, 0);
    assert.equal(b!.store.state().replicas, 1, 'the silent replica no longer counts');
  });
});
