import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPageChains, pageShape } from '../../src/estimate/page-chains.js';
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
