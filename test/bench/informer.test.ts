/**
 * The storm's informer-style client behaves like client-go's reflector over its REST client, against a
 * real HTTPS server on loopback: 429 + Retry-After retried (counted) until the LIST succeeds, then a
 * watch from the list's resourceVersion; after 10 retries the reflector's jittered back-off; a reset GET
 * retried after 1 s. Sleeps are injected and recorded, so nothing waits.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createClientAgent } from '../../bench/lib/https-client.js';
import { startInformer, type Informer } from '../../bench/lib/informer.js';
import { createCA, issueServingCert } from '../../src/certs/pki.js';

type Answer = 'too-many' | 'ok' | 'reset' | 'stitched';

describe('informer-style client', () => {
  const ca = createCA('informer-test-ca');
  const serving = issueServingCert(ca, { ipAddresses: ['127.0.0.1'] });
  let server: Server;
  let port: number;
  let script: Answer[] = [];
  const seen: string[] = [];
  const agents: Array<ReturnType<typeof createClientAgent>> = [];

  before(async () => {
    server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
      seen.push(req.url ?? '');
      if ((req.url ?? '').includes('watch=true')) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.flushHeaders();
        return; // held open like a watch
      }
      const answer = script.shift() ?? 'too-many';
      if (answer === 'reset') return req.socket.destroy();
      if (answer === 'too-many') {
        res.writeHead(429, { 'Retry-After': '3', 'Content-Type': 'application/json' });
        return res.end('{"kind":"Status","code":429}');
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      if (answer === 'stitched') {
        // As the gateway writes a list it stitched from a streaming list: items first (each with its own,
        // older resourceVersion), the list's metadata last, far past the first 4 KiB.
        const item = (i: number) => JSON.stringify({ metadata: { name: `s${i}`, resourceVersion: String(7 + i), labels: { a: 'b' } }, data: { k: 'x'.repeat(1000) } });
        return res.end(`{"kind":"SecretList","apiVersion":"v1","items":[${Array.from({ length: 20 }, (_, i) => item(i)).join(',')}],"metadata":{"resourceVersion":"99"}}`);
      }
      res.end('{"kind":"SecretList","apiVersion":"v1","metadata":{"resourceVersion":"42"},"items":[]}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    for (const a of agents) a.destroy();
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });

  function start(answers: Answer[], sleeps: number[]): Informer {
    script = answers;
    seen.length = 0;
    const agent = createClientAgent({ caPem: ca.certPem }, { maxSockets: 2 });
    agents.push(agent);
    return startInformer({
      id: 0,
      target: { name: 'test', host: '127.0.0.1', port },
      agent,
      path: '/api/v1/secrets',
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
      random: () => 0.5,
    });
  }

  it('retries 429s after their Retry-After, lists from the cache first, then watches from the list', async () => {
    const sleeps: number[] = [];
    const informer = start(['too-many', 'too-many', 'ok'], sleeps);
    await informer.synced;
    while (!seen.some((u) => u.includes('watch=true'))) await new Promise((r) => setTimeout(r, 5));
    await informer.stop();
    assert.deepEqual(sleeps, [3000, 3000]);
    assert.equal(informer.stats.tooManyRequests, 2);
    assert.equal(informer.stats.retries, 2);
    assert.equal(informer.stats.listRequests, 3);
    assert.equal(informer.stats.listsCompleted, 1);
    assert.equal(informer.stats.backoffs, 0);
    assert.ok(informer.stats.syncedAtMs !== undefined);
    assert.equal(seen[0], '/api/v1/secrets?resourceVersion=0');
    assert.equal(seen.at(-1), '/api/v1/secrets?watch=true&resourceVersion=42&allowWatchBookmarks=true');
  });

  it("watches from a stitched list's own resourceVersion, written after its items, not from an item's", async () => {
    const informer = start(['stitched'], []);
    await informer.synced;
    while (!seen.some((u) => u.includes('watch=true'))) await new Promise((r) => setTimeout(r, 5));
    await informer.stop();
    assert.equal(seen.at(-1), '/api/v1/secrets?watch=true&resourceVersion=99&allowWatchBookmarks=true');
  });

  it('gives up after 10 retries and backs off like the reflector (800 ms, jittered, doubling)', async () => {
    const sleeps: number[] = [];
    const informer = start(Array<Answer>(22).fill('too-many').concat('ok'), sleeps);
    await informer.synced;
    await informer.stop();
    assert.equal(informer.stats.backoffs, 2);
    assert.equal(informer.stats.retries, 20);
    assert.equal(informer.stats.listRequests, 23);
    // 10 × Retry-After, back-off 800 × (1 + 0.5), 10 × Retry-After, back-off 1600 × 1.5.
    assert.deepEqual(sleeps, [...Array<number>(10).fill(3000), 1200, ...Array<number>(10).fill(3000), 2400]);
  });

  it('retries a LIST whose connection was reset after 1 s, as client-go does for a GET', async () => {
    const sleeps: number[] = [];
    const informer = start(['reset', 'ok'], sleeps);
    await informer.synced;
    await informer.stop();
    assert.deepEqual(sleeps, [1000]);
    assert.equal(informer.stats.connectionErrors, 1);
    assert.equal(informer.stats.retries, 1);
    assert.equal(informer.stats.listsCompleted, 1);
  });
});
