/**
 * Three replicas sharing one budget through one Redis, in front of one simulator (scaled down from the
 * shared-budget benchmark, which runs them as processes): an uneven storm of 16 informers (12, 3 and 1
 * per replica) completes with the simulator's in-flight memory within the one budget, through Redis
 * being killed mid-storm and restarted (the replicas fall back to a third each, say so on /readyz?verbose
 * while staying ready, and rejoin), and ends with no lease left in Redis or in any replica; requests
 * spread over the replicas with random client aborts end the same way (thousands of them: the
 * shared-budget benchmark).
 */
import assert from 'node:assert/strict';
import { Agent, request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { abortableSleep, startInformer, type Informer } from '../../bench/lib/informer.js';
import { eventually, metric } from './support/admission-stack.js';
import { startReplicaStack, type ReplicaStack } from './support/replica-stack.js';
import { redisHoldings } from './support/shared-stack.js';

const Mi = 1024 ** 2;
const BUDGET = 20 * Mi;
const OOM_LIMIT = 26 * Mi;
const SPLIT = [12, 3, 1];

describe('three replicas, one budget in Redis', () => {
  let r: ReplicaStack;
  before(async () => {
    r = await startReplicaStack({
      replicas: 3,
      seed: { secrets: 16, secretSize: 32 * 1024, namespaces: 2, configmaps: 0, pods: 0 },
      oomLimitBytes: OOM_LIMIT,
      // The simulator keeps an ended LIST's garbage for 1 s: the hold-over says the same.
      // Pages and namespace LISTs (hundreds of KiB modeled) take leases too: the abort test's requests.
      admission: { budget: BUDGET, smallRequestBytes: '64Ki', initialHoldTime: '200ms', holdOver: '1s' },
    });
  });
  after(async () => {
    await r?.close();
  });

  it('an uneven storm stays within the one budget and completes, through Redis killed and restarted', async (t) => {
    const { stack } = r;
    const agents: Agent[] = [];
    const informers: Informer[] = [];
    let id = 0;
    SPLIT.forEach((clients, replica) => {
      const url = new URL(r.gatewayUrls[replica]!);
      for (let i = 0; i < clients; i++) {
        const agent = new Agent({ keepAlive: true, maxSockets: 2, ca: stack.pki.ca.certPem, cert: stack.pki.user.certPem, key: stack.pki.user.keyPem });
        agents.push(agent);
        informers.push(startInformer({ id: id++, target: { name: `replica-${replica}`, host: url.hostname, port: Number(url.port) }, agent, path: '/api/v1/secrets', sleep: abortableSleep }));
      }
    });
    // Resolves once `n` informers have synced: each sync counts as it happens.
    let synced = 0;
    const waiting: Array<{ n: number; resolve: () => void }> = [];
    for (const i of informers) {
      void i.synced.then(() => {
        synced += 1;
        for (const w of waiting.filter((x) => x.n <= synced)) w.resolve();
      });
    }
    const whenSynced = (n: number) => new Promise<void>((resolve) => (synced >= n ? resolve() : waiting.push({ n, resolve })));

    await whenSynced(1);
    await r.redis.kill();
    const outage = await Promise.all(r.opsUrls.map(async (ops) => {
      const res = await fetch(`${ops}/readyz?verbose`);
      return { status: res.status, text: await res.text() };
    }));
    await whenSynced(5);
    await r.redis.restart();
    await Promise.all(informers.map((i) => i.synced));
    await Promise.all(informers.map((i) => i.stop()));
    for (const a of agents) a.destroy();

    for (const [i, o] of outage.entries()) {
      assert.equal(o.status, 200, `replica ${i} stays ready without Redis`);
      assert.match(o.text, /\[\+\]shared-budget ok: shared budget FALLBACK: Redis 127\.0\.0\.1:\d+ unreachable/, `replica ${i}: ${o.text}`);
    }
    for (const i of informers) assert.ok(i.stats.syncedAtMs !== undefined && i.stats.backoffs === 0, `informer ${i.stats.id}: ${JSON.stringify(i.stats)}`);
    assert.equal(stack.sim.stats.oomKills(), 0);
    const peak = stack.sim.stats.peakInflightResponseBytes();
    assert.ok(peak > 0 && peak <= BUDGET, `the simulator held at most ${peak} bytes in flight, budget ${BUDGET}`);
    for (const ops of r.opsUrls) {
      assert.ok((await metric(ops, 'listgate_shared_budget_fallbacks_total')) >= 1, `${ops} fell back`);
      assert.equal(await eventually(() => metric(ops, 'listgate_shared_budget_fallback'), 0, 10_000), 0, `${ops} rejoined`);
      assert.equal(await eventually(() => metric(ops, 'listgate_admission_leases'), 0), 0, `${ops} holds no lease`);
    }
    const left = await eventually(async () => (await redisHoldings(r.redis, r.keyPrefix)).leases, 0);
    assert.equal(left, 0, 'no lease left in Redis');
    const perReplica = await Promise.all(r.opsUrls.map((ops) => metric(ops, 'listgate_requests_total', { verb: 'list', resource: 'secrets', code: '200' })));
    t.diagnostic(`peak in flight ${Math.round(peak / Mi)} MiB of ${BUDGET / Mi} MiB; LISTs served per replica ${perReplica.join('/')}; readyz during the outage: ${outage[0]!.text.split('\n').find((l) => l.includes('shared-budget'))}`);
    assert.ok(perReplica.every((n) => n >= 1));
  });

  it('requests with random aborts over the replicas leave no lease in Redis', async (t) => {
    const { stack } = r;
    let seed = 20_261_218;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const agents = r.gatewayUrls.map(() => new Agent({ keepAlive: true, maxSockets: 8, ca: stack.pki.ca.certPem, cert: stack.pki.user.certPem, key: stack.pki.user.keyPem }));
    const paths = ['/api/v1/namespaces/ns-0/secrets', '/api/v1/namespaces/ns-1/secrets?limit=3', '/api/v1/secrets?limit=4'];
    const TOTAL = 60;
    let sent = 0;
    let aborted = 0;
    const one = (): Promise<void> =>
      new Promise((resolve) => {
        const replica = Math.floor(random() * agents.length);
        const abortAfter = random() < 0.35 ? random() * 30 : undefined;
        const req = request(`${r.gatewayUrls[replica]}${paths[Math.floor(random() * paths.length)]}`, { agent: agents[replica], headers: { Accept: 'application/json' } }, (res) => {
          res.resume();
          res.on('close', () => resolve());
          res.on('error', () => undefined);
        });
        req.on('error', () => resolve());
        if (abortAfter !== undefined) {
          setTimeout(() => {
            aborted += 1;
            req.destroy();
          }, abortAfter);
        }
        req.end();
      });
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        while (sent < TOTAL) {
          sent += 1;
          await one();
        }
      }),
    );
    for (const a of agents) a.destroy();

    let granted = 0;
    for (const ops of r.opsUrls) {
      assert.equal(await eventually(() => metric(ops, 'listgate_admission_leases'), 0), 0, `${ops} holds no lease`);
      const mine = (await metric(ops, 'listgate_admission_queue_wait_seconds_count', { result: 'admitted' })) + (await metric(ops, 'listgate_admission_queue_wait_seconds_count', { result: 'queued' }));
      assert.equal(await metric(ops, 'listgate_admission_lease_hold_seconds_count'), mine, `${ops}: every lease granted was released once`);
      granted += mine;
    }
    assert.equal(await eventually(async () => (await redisHoldings(r.redis, r.keyPrefix)).leases, 0), 0, 'no lease left in Redis');
    assert.ok(aborted > 10, `aborted ${aborted}`);
    t.diagnostic(`${TOTAL} requests, ${aborted} aborted by the client; ${granted} leases granted and released over the replicas`);
  });
});
