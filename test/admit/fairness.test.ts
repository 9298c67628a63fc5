/**
 * Fairness within one level, on injected time: a heavy flow keeps ten large LISTs waiting at all times
 * (a relist storm) while a light flow sends a small LIST every 100 ms. With fair queuing by bytes the
 * light flow's wait stays bounded by about one heavy lease's hold time, while the heavy flow still gets
 * the rest of the level.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createBudget, type BudgetOutcome } from '../../src/admit/budget.js';
import { createManualClock, flush } from './support/manual-clock.js';

describe('fairness across flows in one level', () => {
  it("a light flow's wait stays bounded while a heavy flow storms the same level", async () => {
    const clock = createManualClock();
    const budget = createBudget(
      {
        budgetBytes: 1000,
        levels: [{ name: 'work', exempt: false, share: 1, limit: 1, queue: { length: 100, lengthPerFlow: 50, maxWaitMs: 60_000 } }],
        maxRetryAfterSeconds: 32,
        initialHoldTimeMs: 400,
      },
      { now: clock.now, timers: clock.timers },
    );
    // A lease is held for as long as its response takes: 1 ms per byte.
    const hold = (o: BudgetOutcome) => {
      if (o.decision !== 'admitted' && o.decision !== 'queued') return;
      const lease = o.lease;
      clock.timers.set(() => lease.release(), lease.bytes);
    };
    const lightWaits: number[] = [];
    let heavyGranted = 0;
    let heavyOutstanding = 0;
    const sendHeavy = () => {
      heavyOutstanding++;
      void budget.admit({ level: 'work', flow: 'user:storm', key: 'storm', bytes: 400 }).then((o) => {
        heavyOutstanding--;
        if (o.decision !== 'rejected') heavyGranted++;
        hold(o);
      });
    };
    const sendLight = () => {
      const sentAt = clock.now();
      void budget.admit({ level: 'work', flow: 'user:light', key: 'light', bytes: 50 }).then((o) => {
        assert.notEqual(o.decision, 'rejected');
        lightWaits.push(clock.now() - sentAt);
        hold(o);
      });
    };

    for (let t = 0; t < 20_000; t += 10) {
      while (heavyOutstanding < 10) sendHeavy();
      if (t % 100 === 0) sendLight();
      clock.advance(10);
      await flush();
    }
    assert.ok(lightWaits.length >= 195, `light requests served: ${lightWaits.length}`);
    const worst = Math.max(...lightWaits);
    assert.ok(worst <= 450, `light flow waited up to ${worst} ms`);
    // The heavy flow still uses the level: about 2 leases of 400 ms at a time over 20 s.
    assert.ok(heavyGranted >= 80, `heavy requests served: ${heavyGranted}`);
  });

  it('control: the same small requests sent inside the storm’s own flow wait behind it', async () => {
    // The same storm, but the light requests arrive as a second heavy flow's: they wait like the storm does.
    const clock = createManualClock();
    const budget = createBudget(
      { budgetBytes: 1000, levels: [{ name: 'work', exempt: false, share: 1, limit: 1, queue: { length: 100, lengthPerFlow: 50, maxWaitMs: 60_000 } }], maxRetryAfterSeconds: 32, initialHoldTimeMs: 400 },
      { now: clock.now, timers: clock.timers },
    );
    const waits: number[] = [];
    let outstanding = 0;
    for (let t = 0; t < 5_000; t += 10) {
      while (outstanding < 10) {
        outstanding++;
        void budget.admit({ level: 'work', flow: 'user:storm', key: 'storm', bytes: 400 }).then((o) => {
          outstanding--;
          if (o.decision === 'admitted' || o.decision === 'queued') clock.timers.set(() => o.lease.release(), 400);
        });
      }
      if (t % 100 === 0) {
        const sentAt = clock.now();
        void budget.admit({ level: 'work', flow: 'user:storm', key: 'storm', bytes: 50 }).then((o) => {
          waits.push(clock.now() - sentAt);
          if (o.decision === 'admitted' || o.decision === 'queued') clock.timers.set(() => o.lease.release(), 50);
        });
      }
      clock.advance(10);
      await flush();
    }
    assert.ok(Math.max(...waits) > 1_000, `in the storm's own flow a small request waits behind it: ${Math.max(...waits)} ms`);
  });
});
