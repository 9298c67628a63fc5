import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFairQueue } from '../../src/admit/fair-queue.js';

const order = (q: ReturnType<typeof createFairQueue<string>>) => {
  const out: string[] = [];
  for (let e = q.shift(); e; e = q.shift()) out.push(e.item);
  return out;
};

describe('fair queue by bytes', () => {
  it('interleaves a heavy and a light flow by bytes, not by arrival', () => {
    const q = createFairQueue<string>();
    for (let i = 0; i < 4; i++) q.push('heavy', 100, `h${i}`);
    for (let i = 0; i < 4; i++) q.push('light', 10, `l${i}`);
    // The light flow's four requests (40 bytes) all finish before the heavy flow's second one.
    assert.deepEqual(order(q), ['l0', 'l1', 'l2', 'l3', 'h0', 'h1', 'h2', 'h3']);
  });

  it('a flow that has just had a large lease waits behind flows that had little', () => {
    const q = createFairQueue<string>();
    q.charge('heavy', 1000);
    q.push('heavy', 10, 'h');
    q.push('light', 10, 'l');
    assert.equal(q.shift()?.item, 'l');
  });

  it('equal flows alternate', () => {
    const q = createFairQueue<string>();
    for (const f of ['a', 'b']) for (let i = 0; i < 3; i++) q.push(f, 50, `${f}${i}`);
    assert.deepEqual(order(q), ['a0', 'b0', 'a1', 'b1', 'a2', 'b2']);
  });

  it('clients returning at their time go first, in order', () => {
    const q = createFairQueue<string>();
    q.push('a', 1, 'new');
    q.push('b', 500, 'back1', { returning: true });
    q.push('c', 500, 'back2', { returning: true });
    assert.equal(q.returningBytes, 1000);
    assert.deepEqual(order(q), ['back1', 'back2', 'new']);
    assert.equal(q.returningBytes, 0);
  });

  it('a request leaving unserved refunds its flow: the next one moves up', () => {
    const q = createFairQueue<string>();
    const first = q.push('heavy', 100, 'h0');
    q.push('heavy', 100, 'h1');
    q.push('light', 150, 'l0');
    assert.equal(q.remove(first), true);
    assert.equal(q.remove(first), false);
    assert.equal(q.length, 2);
    assert.equal(q.bytes, 250);
    assert.deepEqual(order(q), ['h1', 'l0']);
  });

  it('a large lease counts only until the work is done: then its flow stands level with the others', () => {
    const q = createFairQueue<string>();
    q.charge('heavy', 1000);
    q.charge('light', 10);
    q.advance(1010); // both leases released
    q.push('heavy', 10, 'h');
    q.push('light', 10, 'l');
    assert.deepEqual(order(q), ['h', 'l'], 'arrival order again: no stale penalty');
  });

  it('virtual time never runs past a waiting request: a newcomer does not fall behind the backlog', () => {
    const q = createFairQueue<string>();
    q.push('heavy', 400, 'h0');
    q.push('heavy', 400, 'h1');
    q.advance(10_000);
    q.push('light', 50, 'l');
    assert.deepEqual(order(q), ['l', 'h0', 'h1']);
  });

  it('forgets the history of idle flows, however many come and go without ever queueing', () => {
    const q = createFairQueue<string>();
    for (let i = 0; i < 10_000; i++) {
      q.charge(`user:${i}`, 10);
      q.advance((i + 1) * 10);
    }
    assert.ok(q.trackedFlows <= 300, `flows kept: ${q.trackedFlows}`);
  });

  it('counts per flow and clears', () => {
    const q = createFairQueue<string>();
    q.push('a', 1, 'x');
    q.push('a', 1, 'y', { returning: true });
    q.push('b', 1, 'z');
    assert.equal(q.flowLength('a'), 2);
    assert.equal(q.flowLength('b'), 1);
    assert.deepEqual(q.clear().sort(), ['x', 'y', 'z']);
    assert.equal(q.length, 0);
    assert.equal(q.peek(), undefined);
  });
});
