import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRetryCalendar } from '../../src/admit/retry-calendar.js';

const t0 = 1_000_000;

describe('retry calendar', () => {
  it('gives large rejected requests distinct return seconds, in order, from the earliest plausible one', () => {
    const cal = createRetryCalendar({ maxSeconds: 32 });
    const seconds = Array.from({ length: 6 }, (_, i) => cal.schedule({ key: `k${i}`, level: 'l', bytes: 100, earliestSeconds: 2.2, bytesPerSecond: 100, now: t0 }));
    assert.deepEqual(seconds, [3, 4, 5, 6, 7, 8]);
  });

  it("packs small requests into a second up to the level's drain per second", () => {
    const cal = createRetryCalendar({ maxSeconds: 32 });
    const seconds = Array.from({ length: 5 }, () => cal.schedule({ key: 'k', level: 'l', bytes: 40, earliestSeconds: 0, bytesPerSecond: 100, now: t0 }));
    assert.deepEqual(seconds, [1, 1, 2, 2, 3]);
  });

  it('levels have their own seconds; the cap holds when every second is taken', () => {
    const cal = createRetryCalendar({ maxSeconds: 3 });
    const a = [1, 2, 3, 4].map(() => cal.schedule({ key: 'k', level: 'a', bytes: 10, earliestSeconds: 1, bytesPerSecond: 10, now: t0 }));
    const b = cal.schedule({ key: 'k', level: 'b', bytes: 10, earliestSeconds: 1, bytesPerSecond: 10, now: t0 });
    assert.deepEqual(a, [1, 2, 3, 3]);
    assert.equal(b, 1);
  });

  it('a client returning within its window claims its ticket once; the bytes are held back until then', () => {
    const cal = createRetryCalendar({ maxSeconds: 32, earlyMs: 500, graceMs: 2000 });
    assert.equal(cal.schedule({ key: 'jane GET /api/v1/secrets', level: 'l', bytes: 70, earliestSeconds: 3, bytesPerSecond: 100, now: t0 }), 3);
    assert.equal(cal.heldBytes('l', t0 + 2000), 0, 'not yet due');
    assert.equal(cal.claim('jane GET /api/v1/secrets', t0 + 2000), undefined, 'too early to claim');
    assert.equal(cal.heldBytes('l', t0 + 2600), 70);
    assert.equal(cal.nextChangeAt(t0), t0 + 2500);
    assert.equal(cal.claim('someone else', t0 + 3000), undefined);
    const ticket = cal.claim('jane GET /api/v1/secrets', t0 + 3000);
    assert.equal(ticket?.dueAt, t0 + 3000);
    assert.equal(cal.heldBytes('l', t0 + 3000), 0);
    assert.equal(cal.claim('jane GET /api/v1/secrets', t0 + 3000), undefined);
  });

  it('an unclaimed ticket expires after its grace period and frees what it held', () => {
    const cal = createRetryCalendar({ maxSeconds: 32, earlyMs: 500, graceMs: 2000 });
    cal.schedule({ key: 'k', level: 'l', bytes: 70, earliestSeconds: 1, bytesPerSecond: 100, now: t0 });
    assert.equal(cal.heldBytes('l', t0 + 2900), 70);
    assert.equal(cal.heldBytes('l', t0 + 3100), 0);
    assert.equal(cal.claim('k', t0 + 3100), undefined);
    assert.equal(cal.size, 0);
  });
});
