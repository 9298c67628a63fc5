import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPageChains, MAX_SEGMENTS, pageShape } from '../../src/estimate/page-chains.js';
import { createClock } from './estimate-fixture.js';

const SHAPE = pageShape({ group: '', resource: 'secrets', limit: 2, encoding: 'json', as: 'object' });

describe('page chains', () => {
  it('sums a chain along its tokens and reports it once, when the last page arrives', () => {
    const pages = createPageChains({ now: createClock().now });
    assert.equal(pages.add({ shape: SHAPE, next: 'a', remaining: 3, bytes: 200, items: 2 }), undefined);
    assert.deepEqual(pages.pagePosition(SHAPE, 'a'), { index: 1, itemsBefore: 2, bytesBefore: 200, remaining: 3 });
    assert.equal(pages.add({ shape: SHAPE, requested: 'a', next: 'b', remaining: 1, bytes: 300, items: 2 }), undefined);
    assert.deepEqual(pages.add({ shape: SHAPE, requested: 'b', bytes: 50, items: 1 }), { bytes: 550, items: 5, pages: 3 });
    assert.equal(pages.pagePosition(SHAPE, 'b'), undefined, 'a finished chain is gone');
    assert.deepEqual(pages.pagePosition(SHAPE, undefined)?.learned, { bytes: 100, samples: 1 });
  });

  it('places the next page from an announced token before the page was added, and trusts only added bytes', () => {
    const table: Array<{ name: string; order: Array<'expect' | 'add'>; want: { index: number; approximate: boolean; total: boolean } }> = [
      { name: 'announced, then added: exact', order: ['expect', 'add'], want: { index: 1, approximate: false, total: true } },
      { name: 'announced only: place known, bytes not', order: ['expect'], want: { index: 1, approximate: true, total: false } },
      { name: 'added, then a late announcement: the added page wins', order: ['add', 'expect'], want: { index: 1, approximate: false, total: true } },
    ];
    for (const row of table) {
      const pages = createPageChains({ now: createClock().now });
      for (const step of row.order) {
        if (step === 'expect') pages.expect({ shape: SHAPE, next: 'a', remaining: 1, items: 2 });
        else pages.add({ shape: SHAPE, next: 'a', remaining: 1, bytes: 200, items: 2 });
      }
      const at = pages.pagePosition(SHAPE, 'a');
      assert.deepEqual({ index: at?.index, itemsBefore: at?.itemsBefore, remaining: at?.remaining }, { index: row.want.index, itemsBefore: 2, remaining: 1 }, row.name);
      assert.equal(at?.approximate === true, row.want.approximate, row.name);
      assert.equal(at?.bytesBefore, row.want.approximate ? 0 : 200, `${row.name}: a first page never seen: no bytes guessed`);
      const totals = pages.add({ shape: SHAPE, requested: 'a', bytes: 50, items: 1 });
      assert.equal(totals !== undefined, row.want.total, `${row.name}: a chain with unknown bytes is no sample`);
    }
    // Once a first page was learned, an announced one is guessed at what it held before.
    const pages = createPageChains({ now: createClock().now });
    pages.add({ shape: SHAPE, next: 'a', remaining: 1, bytes: 300, items: 2 });
    pages.add({ shape: SHAPE, requested: 'a', bytes: 50, items: 1 });
    pages.expect({ shape: SHAPE, next: 'b', remaining: 1, items: 2 });
    assert.deepEqual(pages.pagePosition(SHAPE, 'b'), { index: 1, itemsBefore: 2, bytesBefore: 300, remaining: 1, approximate: true, learned: { bytes: 50, samples: 1 } });
  });

  it('re-anchors the last whole chain to a list that changed: the slice counted from the start and from the end', () => {
    // Last chain: 2 small pages (100 B per item), then 1 page of 2 big objects (1000 B each): 6 items.
    const table: Array<{ name: string; remaining: number[]; want: Array<{ bytes: number; shifted: boolean } | undefined> }> = [
      { name: 'unchanged: the pages as they were', remaining: [4, 2], want: [{ bytes: 100, shifted: false }, { bytes: 1000, shifted: false }] },
      // One small object added in front: pages s s | s s | s B | B. Page 3 is priced as the larger of its
      // slice from the start (B B) and from the end (s B): never below what it holds.
      { name: 'one object added before the big ones', remaining: [5, 3], want: [{ bytes: 100, shifted: true }, { bytes: 1000, shifted: true }] },
      // One small object deleted: pages s s | s B | B. Page 2 from the end is s B: the big one it now holds.
      { name: 'one object deleted before the big ones', remaining: [3, 1], want: [{ bytes: 550, shifted: true }, { bytes: 1000, shifted: true }] },
    ];
    for (const row of table) {
      const pages = createPageChains({ now: createClock().now });
      pages.add({ shape: SHAPE, next: 'a', remaining: 4, bytes: 200, items: 2 });
      pages.add({ shape: SHAPE, requested: 'a', next: 'b', remaining: 2, bytes: 200, items: 2 });
      assert.ok(pages.add({ shape: SHAPE, requested: 'b', bytes: 2000, items: 2 }));
      pages.add({ shape: SHAPE, next: 'x1', remaining: row.remaining[0], bytes: 200, items: 2 });
      const second = pages.pagePosition(SHAPE, 'x1', 2);
      pages.add({ shape: SHAPE, requested: 'x1', next: 'x2', remaining: row.remaining[1], bytes: 200, items: 2 });
      const third = pages.pagePosition(SHAPE, 'x2', 2);
      assert.deepEqual([second?.anchored, third?.anchored], row.want, row.name);
    }
    assert.equal(createPageChains({ now: createClock().now }).pagePosition(SHAPE, undefined, 2)?.anchored, undefined, 'no whole chain yet');
  });

  it('ignores chains whose first page it never saw, and tokens of another query', () => {
    const pages = createPageChains({ now: createClock().now });
    assert.equal(pages.add({ shape: SHAPE, requested: 'x', bytes: 1, items: 1 }), undefined);
    pages.add({ shape: SHAPE, next: 'a', bytes: 1, items: 1 });
    const other = pageShape({ group: '', resource: 'secrets', namespace: 'n', limit: 2, encoding: 'json', as: 'object' });
    assert.equal(pages.pagePosition(other, 'a'), undefined);
  });

  it('forgets unfinished chains after their time to live and beyond its capacity', () => {
    const clock = createClock();
    const pages = createPageChains({ now: clock.now, ttlMs: 1000, maxChains: 2 });
    pages.add({ shape: SHAPE, next: 'old', bytes: 1, items: 1 });
    clock.advance(2000);
    pages.add({ shape: SHAPE, next: 'b', bytes: 1, items: 1 });
    assert.equal(pages.pagePosition(SHAPE, 'old'), undefined);
    pages.add({ shape: SHAPE, next: 'c', bytes: 1, items: 1 });
    pages.add({ shape: SHAPE, next: 'd', bytes: 1, items: 1 });
    assert.equal(pages.pagePosition(SHAPE, 'b'), undefined);
    assert.equal(pages.pagePosition(SHAPE, 'd')?.index, 1);
  });
});

describe('page chains: bounded work and memory', () => {
  /** One chain of `n` pages of one item each, read the way the gateway reads it: position, announce, add. */
  const walk = (n: number) => {
    const pages = createPageChains({ now: createClock().now });
    const shape = pageShape({ group: '', resource: 'secrets', limit: 1, encoding: 'json', as: 'object' });
    let token: string | undefined;
    let maxSegments = 0;
    for (let i = 0; i < n; i++) {
      const next = i === n - 1 ? undefined : `t${i}`;
      pages.pagePosition(shape, token, 1);
      if (next) pages.expect({ shape, requested: token, next, remaining: n - i - 1, items: 1 });
      pages.add({ shape, ...(token ? { requested: token } : {}), ...(next ? { next, remaining: n - i - 1 } : {}), bytes: 100 + (i % 7), items: 1 });
      maxSegments = Math.max(maxSegments, pages.stats().segments);
      token = next;
    }
    return { pages, shape, maxSegments, ...pages.stats() };
  };

  it('does the same work per page for 2,000 and 8,000 pages, and holds a bounded profile', () => {
    const short = walk(2_000);
    const long = walk(8_000);
    const perPage = (w: { operations: number }, n: number) => w.operations / n;
    assert.ok(perPage(long, 8_000) <= perPage(short, 2_000) * 1.25, `operations per page: ${perPage(short, 2_000).toFixed(2)} at 2k, ${perPage(long, 8_000).toFixed(2)} at 8k`);
    assert.ok(perPage(long, 8_000) < 20, `a small constant: ${perPage(long, 8_000).toFixed(2)}`);
    assert.ok(long.maxSegments <= 2 * MAX_SEGMENTS, `at most ${long.maxSegments} segments held while walking`);
    assert.equal(long.openChains, 0);
  });

  it('prices a page of the next walk from the coarsened profile of the last one', () => {
    const { pages, shape } = walk(5_000);
    // The next walk, at its 2,500th item: the slice it covers was ~103 bytes per item last time.
    pages.add({ shape, next: 'n0', remaining: 4_999, bytes: 100, items: 1 });
    let token = 'n0';
    for (let i = 1; i < 2_500; i++) {
      pages.add({ shape, requested: token, next: `n${i}`, remaining: 4_999 - i, bytes: 100 + (i % 7), items: 1 });
      token = `n${i}`;
    }
    const at = pages.pagePosition(shape, token, 1);
    assert.equal(at?.index, 2_500);
    assert.ok(at?.anchored && at.anchored.bytes >= 100 && at.anchored.bytes <= 106, `anchored at ${at?.anchored?.bytes}`);
    assert.equal(at.anchored.shifted, false);
  });
});
