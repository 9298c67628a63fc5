/**
 * The bounds on TokenReviews (createReviewLimiter): per client address, concurrency and a token bucket on
 * an injected clock, refused at once with a Retry-After; in total, a bounded queue past which reviews
 * are dropped; the number of client addresses tracked is bounded.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createReviewLimiter, ReviewThrottledError } from '../../src/auth/review-limiter.js';

const generous = { concurrent: 1000, perSecond: 100_000 };

function gate(): { wait: Promise<void>; open(): void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

describe('review limiter', () => {
  it('bounds reviews in flight per client address, and only for that address', async () => {
    const limiter = createReviewLimiter({ ...generous, perClientConcurrent: 2, perClientPerSecond: 100 }, { now: () => 0 });
    const g = gate();
    const running = [limiter.run('10.0.0.1', () => g.wait), limiter.run('10.0.0.1', () => g.wait)];
    await assert.rejects(limiter.run('10.0.0.1', () => Promise.resolve()), (err: unknown) => err instanceof ReviewThrottledError && err.scope === 'client' && err.retryAfterSeconds === 1);
    await limiter.run('10.0.0.2', () => Promise.resolve());
    g.open();
    await Promise.all(running);
    await limiter.run('10.0.0.1', () => Promise.resolve());
    limiter.stop();
  });

  it('refills a client address by its rate per second', async () => {
    let clock = 0;
    const limiter = createReviewLimiter({ ...generous, perClientConcurrent: 100, perClientPerSecond: 4 }, { now: () => clock });
    const runs = async (n: number) => {
      let ok = 0;
      for (let i = 0; i < n; i++) ok += await limiter.run('c', () => Promise.resolve(1)).catch(() => 0);
      return ok;
    };
    assert.equal(await runs(10), 4, 'a full bucket');
    clock += 500;
    assert.equal(await runs(10), 2, 'half a second refills half');
    clock += 10_000;
    assert.equal(await runs(10), 4, 'never more than the bucket');
    const err = await limiter.run('c', () => Promise.resolve(1)).catch((e: unknown) => e);
    assert.ok(err instanceof ReviewThrottledError && err.retryAfterSeconds >= 1);
    limiter.stop();
  });

  it('drops reviews past the total bound and its queue, whatever their addresses', async () => {
    const limiter = createReviewLimiter({ concurrent: 2, perSecond: 1000, perClientConcurrent: 10, perClientPerSecond: 1000 });
    const g = gate();
    let ran = 0;
    const outcomes = Array.from({ length: 10 }, (_, i) =>
      limiter
        .run(`10.0.0.${i}`, async () => {
          ran++;
          await g.wait;
        })
        .then(
          () => 'ran',
          (err: unknown) => (err instanceof ReviewThrottledError && err.scope === 'total' ? 'dropped' : String(err)),
        ),
    );
    // Two in flight, two queued (the queue is as long as the concurrency): the other six are dropped at once.
    assert.deepEqual(await Promise.all(outcomes.slice(4)), Array(6).fill('dropped'));
    g.open();
    assert.deepEqual(await Promise.all(outcomes.slice(0, 4)), Array(4).fill('ran'));
    assert.equal(ran, 4);
    limiter.stop();
  });

  it('tracks a bounded number of client addresses, forgetting the least recently seen', async () => {
    const limiter = createReviewLimiter({ ...generous, perClientConcurrent: 1, perClientPerSecond: 1 }, { now: () => 0, maxClients: 100 });
    for (let i = 0; i < 150; i++) await limiter.run(`c${i}`, () => Promise.resolve());
    assert.equal(limiter.clients, 100);
    // c149 was seen last: its bucket is empty (one review a second, the clock stands still).
    await assert.rejects(limiter.run('c149', () => Promise.resolve()), ReviewThrottledError);
    // c0 was forgotten: it starts again with a full bucket.
    await limiter.run('c0', () => Promise.resolve());
    assert.equal(limiter.clients, 100);
    limiter.stop();
  });
});
