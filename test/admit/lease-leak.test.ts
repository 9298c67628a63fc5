/**
 * Leak test: thousands of LISTs through the gateway with random client aborts (while queued, while the
 * response streams) and upstream resets (the simulator is OOM-killed whenever too many of them reach it
 * at once: every connection reset, then it is down for a second), some exempt; admission on a tight
 * budget so requests also queue, time out, are offloaded and rejected, and clients give up on those that
 * take more than 2 s. Afterwards every lease has been released exactly once: nothing is in use or
 * queued, and leases granted equal leases released.
 */
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { startE2EStack, type E2EStack } from '../support/e2e-stack.js';
import { eventually, metric, userAgent } from './support/admission-stack.js';

/** mulberry32: a small seeded PRNG, so a failing run can be repeated. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Ending = 'complete' | 'aborted' | 'error' | 'status';

const CLIENT_TIMEOUT_MS = 2_000;

describe('leases under random aborts and upstream resets', () => {
  let stack: E2EStack;
  before(async () => {
    stack = await startE2EStack({
      seed: { secrets: 20, secretSize: 8 * 1024, namespaces: 2, configmaps: 0, pods: 0 },
      oomLimitBytes: 3 * 1024 ** 2,
      admission: { budget: '32Mi', smallRequestBytes: '1Ki', initialHoldTime: '50ms', holdOver: '1s', levels: [
        { name: 'exempt', exempt: true },
        { name: 'catch-all', share: 0.5, queue: { length: 16, lengthPerFlow: 8, maxWait: '300ms' } },
      ], flowSchemas: [
        { name: 'exempt', level: 'exempt', subjects: { groups: ['system:masters'] } },
        { name: 'catch-all', level: 'catch-all' },
      ] },
    });
  });
  after(async () => {
    await stack.close();
  });

  it('thousands of requests later, every lease is back', async (t) => {
    const random = seeded(20_260_101);
    const user = userAgent(stack, 'user', 24);
    const admin = userAgent(stack, 'admin', 4);
    const paths = ['/api/v1/secrets', '/api/v1/secrets?resourceVersion=0', '/api/v1/namespaces/ns-0/secrets', '/api/v1/namespaces/ns-1/secrets?limit=5'];
    const endings: Record<Ending, number> = { complete: 0, aborted: 0, error: 0, status: 0 };
    const statuses = new Map<number, number>();
    const TOTAL = 2000;
    let sent = 0;

    const one = (): Promise<void> =>
      new Promise((resolve) => {
        const path = paths[Math.floor(random() * paths.length)]!;
        const agent = random() < 0.1 ? admin : user;
        const abortAfter = random() < 0.35 ? random() * 40 : undefined;
        const settle = (how: Ending) => {
          endings[how] += 1;
          resolve();
        };
        const req = request(`${stack.gatewayUrl}${path}`, { agent, headers: { Accept: 'application/json' } }, (res) => {
          statuses.set(res.statusCode ?? 0, (statuses.get(res.statusCode ?? 0) ?? 0) + 1);
          res.on('data', () => undefined);
          res.on('end', () => settle(res.statusCode === 200 ? 'complete' : 'status'));
          res.on('error', () => undefined);
          res.on('close', () => {
            if (!res.complete) settle('error');
          });
        });
        let aborted = false;
        const abort = () => {
          aborted = true;
          req.destroy();
        };
        req.on('error', () => settle(aborted ? 'aborted' : 'error'));
        if (abortAfter !== undefined) setTimeout(abort, abortAfter);
        // A client's own request timeout: an offloaded LIST whose pages the budget keeps refusing can
        // wait ~30 s before its 503; the client gives up first, as kubectl's --request-timeout would.
        const patience = setTimeout(abort, CLIENT_TIMEOUT_MS);
        req.once('close', () => clearTimeout(patience));
        req.end();
      });

    const started = performance.now();
    await Promise.all(
      Array.from({ length: 24 }, async () => {
        while (sent < TOTAL) {
          sent += 1;
          await one();
        }
      }),
    );
    user.destroy();
    admin.destroy();

    const ops = stack.opsUrl;
    assert.equal(await eventually(() => metric(ops, 'listgate_admission_in_use_bytes'), 0, 10_000), 0, 'no bytes leased');
    assert.equal(await metric(ops, 'listgate_admission_leases'), 0, 'no lease held');
    assert.equal(await metric(ops, 'listgate_admission_queued_requests'), 0, 'nothing queued');
    const granted =
      (await metric(ops, 'listgate_admission_queue_wait_seconds_count', { result: 'admitted' })) +
      (await metric(ops, 'listgate_admission_queue_wait_seconds_count', { result: 'queued' }));
    const released = await metric(ops, 'listgate_admission_lease_hold_seconds_count');
    assert.ok(granted > 100, `leases granted: ${granted}; endings ${JSON.stringify(endings)}, statuses ${JSON.stringify(Object.fromEntries(statuses))}, ${stack.sim.stats.oomKills()} OOM kills`);
    assert.equal(released, granted, 'every lease granted was released once');

    // Every path was taken: client aborts, upstream resets (OOM kills), queueing, 429s, exempt leases, offloads.
    assert.ok(endings.aborted > 200, JSON.stringify(endings));
    assert.ok(stack.sim.stats.oomKills() >= 1, 'the simulator was OOM-killed at least once');
    assert.ok((statuses.get(429) ?? 0) > 0, `429s: ${JSON.stringify([...statuses])}`);
    assert.ok((await metric(ops, 'listgate_admission_queue_wait_seconds_count', { result: 'queued' })) > 0, 'some waited in the queue');
    assert.ok((await metric(ops, 'listgate_requests_total', { decision: 'exempt' })) > 0, 'some were exempt');
    assert.ok((await metric(ops, 'listgate_requests_total', { decision: 'offload' })) > 0, 'some were offloaded');
    t.diagnostic(
      `${TOTAL} requests in ${Math.round(performance.now() - started)} ms: ${JSON.stringify(endings)}, statuses ${JSON.stringify(Object.fromEntries(statuses))}, ` +
        `${granted} leases granted and released, ${stack.sim.stats.oomKills()} OOM kills`,
    );
  });
});
