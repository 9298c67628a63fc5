/**
 * A shared budget while its Redis is away: killed (connections refused at once), paused (SIGSTOP: a
 * Redis that accepts and answers nothing) and restarted empty. Each replica falls back at once to its
 * share of the budget (budget ÷ the replicas it last saw), never above what the others held when last
 * seen, answers every request within the command timeout, and rejoins with the leases it holds: counted
 * once, those released meanwhile not at all, and within its share until the other replicas are back.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import type { BudgetOutcome, BudgetSettings } from '../../src/admit/budget.js';
import { startRedisServer, type RedisServer } from '../../bench/lib/redis-server.js';
import { createManualClock, type ManualClock } from './support/manual-clock.js';
import { level, redisHoldings, startReplica, type Replica } from './support/shared-stack.js';

const req = (bytes: number, signal?: AbortSignal) => ({ level: 'work', flow: 'user:a', key: `k${Math.random()}`, bytes, ...(signal ? { signal } : {}) });

function leaseOf(o: BudgetOutcome) {
  assert.ok(o.decision === 'admitted' || o.decision === 'queued', `expected a lease, got ${JSON.stringify(o)}`);
  return o.lease;
}

/** Waits for the replica's connection to be back, then for its rejoin (a renewal tick asks for it). */
async function rejoined(r: Replica): Promise<void> {
  if (r.commands.status !== 'ready') await once(r.commands, 'ready');
  await r.store.tick();
  assert.equal(r.store.state().mode, 'shared', `${r.name} rejoined: ${JSON.stringify(r.store.state().lastError)}`);
}

describe('a shared budget while Redis is away', () => {
  let redis: RedisServer;
  let n = 0;
  const open: Replica[] = [];
  before(async () => {
    redis = await startRedisServer();
  });
  after(async () => {
    redis.resume();
    await Promise.all(open.map((r) => r.close()));
    await redis.stop();
  });

  async function pair(shared: Record<string, number> = {}): Promise<{ clock: ManualClock; prefix: string; a: Replica; b: Replica }> {
    const clock = createManualClock(1_700_000_000_000);
    const prefix = `o${n++}:`;
    const budget: BudgetSettings = { budgetBytes: 1000, levels: [level('work', 1)], maxRetryAfterSeconds: 32, initialHoldTimeMs: 1000, holdOverMs: 0 };
    const a = await startReplica({ name: 'a', redis, clock, budget, shared: { keyPrefix: prefix, ...shared } });
    const b = await startReplica({ name: 'b', redis, clock, budget, shared: { keyPrefix: prefix, ...shared } });
    open.push(a, b);
    return { clock, prefix, a, b };
  }

  it('killed: falls back at once to budget ÷ replicas, then rejoins counting each lease once', async () => {
    const { prefix, a, b } = await pair();
    const held = leaseOf(await a.budget.admit(req(300)));
    await b.store.tick();
    assert.equal(b.store.state().replicas, 2);
    await redis.kill();

    // B's first take finds no connection: it falls back and admits against its half, 500 bytes.
    const b1 = leaseOf(await b.budget.admit(req(250)));
    assert.equal(b.store.state().mode, 'fallback');
    assert.equal(b.store.state().share, 0.5);
    assert.match(b.store.state().lastError ?? '', /./, 'the reason is kept');
    const b2 = leaseOf(await b.budget.admit(req(200)));
    const over = await b.budget.admit(req(100, AbortSignal.abort()));
    assert.equal(over.decision, 'aborted', '450 of its 500 held: 100 more would wait');
    // A too: 300 of its 500 held, and what B held when A last saw it (nothing) still counts.
    const a2 = leaseOf(await a.budget.admit(req(200)));
    assert.equal(a.store.state().mode, 'fallback');
    b1.release();

    await redis.restart();
    await rejoined(b);
    await rejoined(a);
    await b.store.tick();
    assert.equal(b.store.state().share, 1, 'both back: sharing the whole budget again');
    const h = await redisHoldings(redis, prefix);
    assert.deepEqual({ leases: h.leases, byReplica: h.byReplica }, { leases: 3, byReplica: { a: 500, b: 200 } }, 'every lease held, once; the one released meanwhile not at all');
    for (const l of [held, a2, b2]) l.release();
    await a.store.tick();
    await b.store.tick();
    assert.equal((await redisHoldings(redis, prefix)).leases, 0);
  });

  it('restarted without one of the replicas: a rejoined replica keeps within its share until a lease TTL has passed', async () => {
    const { clock, prefix, a, b } = await pair();
    const mine = leaseOf(await b.budget.admit(req(400)));
    await a.store.tick();
    await redis.kill();
    a.crash();
    await redis.restart();
    await rejoined(b);
    // A restarted Redis is empty: the replica that has not come back may still hold its leases.
    assert.deepEqual(await redisHoldings(redis, prefix).then((h) => h.byReplica), { b: 400 });
    assert.equal(b.store.state().share, 0.5);
    const waiting = await b.budget.admit(req(200, AbortSignal.abort()));
    assert.equal(waiting.decision, 'aborted', '400 of its 500 held: 200 more would wait');
    clock.advance(10_001);
    await b.store.tick();
    assert.equal(b.store.state().share, 1, 'a lease TTL later, a replica that held anything would have renewed it');
    leaseOf(await b.budget.admit(req(500)));
    mine.release();
  });

  it('paused: a take that Redis does not answer within the command timeout falls back, and what Redis did meanwhile is replaced on rejoin', async () => {
    const { prefix, a } = await pair({ commandTimeoutMs: 100 });
    const kept = leaseOf(await a.budget.admit(req(100)));
    redis.pause();
    // The request is answered from the replica's share; the take Redis has not read yet waits in its socket.
    const got = leaseOf(await a.budget.admit(req(200)));
    assert.equal(a.store.state().mode, 'fallback');
    assert.match(a.store.state().lastError ?? '', /timed? ?out/i);
    const third = leaseOf(await a.budget.admit(req(150)));
    third.release();
    redis.resume();
    await a.store.tick();
    assert.equal(a.store.state().mode, 'shared');
    const h = await redisHoldings(redis, prefix);
    assert.deepEqual({ leases: h.leases, bytes: h.bytes }, { leases: 2, bytes: 300 }, 'the late take counted once, the released lease not at all');
    got.release();
    kept.release();
    await a.store.tick();
    assert.equal((await redisHoldings(redis, prefix)).leases, 0);
  });
});
