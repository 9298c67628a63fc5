/**
 * The graceful shutdown against a real upstream on loopback: readiness fails first while the listener
 * still serves (with `Connection: close`), then new connections are refused, a watch ends cleanly after
 * the event in progress (a terminated chunked body, never a reset), a slow request in flight completes,
 * the shutdown hooks run after the drain, and what outlives the drain timeout is cut.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { parseConfig } from '../../src/config/config.js';
import { startGateway, type RunningGateway } from '../../src/serve.js';
import { eventually, gatewayRequest, testConfigDocument } from '../support/gateway-fixture.js';
import { createGatewayTestPki, type GatewayTestPki } from '../support/gateway-pki.js';
import { startTestUpstream, type TestUpstream } from '../support/gateway-upstream.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const event = (n: number) => `${JSON.stringify({ type: 'ADDED', object: { kind: 'ConfigMap', metadata: { name: `cm-${n}` } } })}\n`;

interface WatchClient {
  res: IncomingMessage;
  text(): string;
  /** Resolves when the response ends: `complete` says whether it ended cleanly (terminating chunk). */
  ended: Promise<{ complete: boolean; error?: string }>;
}

function openWatch(port: number, pki: GatewayTestPki, path: string): Promise<WatchClient> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca: pki.gatewayCa.certPem, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      const ended = new Promise<{ complete: boolean; error?: string }>((done) => {
        res.on('end', () => done({ complete: res.complete }));
        res.on('error', (err) => done({ complete: false, error: err.message }));
        res.on('aborted', () => done({ complete: false, error: 'aborted' }));
      });
      resolve({ res, text: () => text, ended });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('graceful shutdown', () => {
  let pki: GatewayTestPki;
  let upstream: TestUpstream;
  let watchPhase = 'idle';
  let upstreamWatchClosed = false;
  const slowDelay = { ms: 600 };

  before(async () => {
    pki = createGatewayTestPki();
    upstream = await startTestUpstream(pki, (req: IncomingMessage, res: ServerResponse) => {
      if (req.url === '/readyz') return void res.end('ok');
      if (req.url?.includes('watch=1')) {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
        res.write(event(0));
        res.once('close', () => (upstreamWatchClosed = true));
        void (async () => {
          await eventually(() => watchPhase === 'split', 5000, 'the test to ask for a split event');
          const e = event(1);
          res.write(e.slice(0, 20)); // half an event …
          watchPhase = 'half-sent';
          await eventually(() => watchPhase === 'finish', 5000, 'the test to ask for the rest');
          res.write(e.slice(20)); // … its rest, then one the client must not see
          res.write(event(2));
        })();
        return;
      }
      if (req.url?.startsWith('/slow')) {
        const timer = setTimeout(() => res.end('{"kind":"ConfigMapList","items":[]}'), slowDelay.ms);
        res.once('close', () => clearTimeout(timer));
        return;
      }
      res.end('{"kind":"APIVersions"}');
    });
  });
  after(async () => {
    await upstream.close();
    pki.cleanup();
  });

  const start = (shutdown: Record<string, string>): Promise<RunningGateway> => {
    const doc = { ...testConfigDocument({ pki, upstreamUrl: upstream.url }), shutdown };
    return startGateway({ config: parseConfig(doc, { baseDir: pki.dir }), logger: pino({ level: 'silent' }) });
  };

  it('fails readiness, then refuses connections, ends the watch at an event boundary and lets the slow request finish', async () => {
    const gateway = await start({ readinessGracePeriod: '1s', drainTimeout: '5s' });
    const hookRan: number[] = [];
    gateway.app.shutdownHooks.add('leases', () => void hookRan.push(performance.now()));
    assert.equal((await fetch(`http://127.0.0.1:${gateway.opsPort}/readyz`)).status, 200);

    const watch = await openWatch(gateway.port, pki, '/api/v1/namespaces/a/configmaps?watch=1');
    await eventually(() => watch.text() === event(0), 3000, 'the first event');
    watchPhase = 'split';
    await eventually(() => watchPhase === 'half-sent' && watch.text().length > event(0).length, 3000, 'half an event at the client');
    const slow = gatewayRequest(gateway, pki, { path: '/slow/api/v1/configmaps' });
    await sleep(50);

    const shutdown = gateway.shutdown();
    const readyz = await fetch(`http://127.0.0.1:${gateway.opsPort}/readyz`);
    assert.equal(readyz.status, 503, 'readiness fails first');
    assert.match(await readyz.text(), /\[-\]shutdown failed: the gateway is shutting down/);
    const during = await gatewayRequest(gateway, pki, { path: '/api' });
    assert.equal(during.status, 200, 'still served during the grace period');
    assert.equal(during.headers.connection, 'close', 'and told to go elsewhere next time');

    const refused = async () => gatewayRequest(gateway, pki, { path: '/api' }).then(() => false, (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED');
    for (let i = 0; i < 100 && !(await refused()); i++) await sleep(50);
    assert.equal(await refused(), true, 'the listener is closed after the grace period');
    assert.equal(watch.text(), event(0) + event(1).slice(0, 20), 'the watch waits for the event in progress');
    watchPhase = 'finish';

    assert.deepEqual(await watch.ended, { complete: true }, 'the watch ends with a terminated chunked body');
    assert.equal(watch.text(), event(0) + event(1), 'whole events only, nothing after the boundary');
    const slowRes = await slow;
    assert.deepEqual([slowRes.status, slowRes.body], [200, '{"kind":"ConfigMapList","items":[]}']);
    const result = await shutdown;
    assert.deepEqual(result, { drained: true, cut: 0 });
    assert.equal(hookRan.length, 1, 'the shutdown hook ran once');
    await eventually(() => upstreamWatchClosed, 2000, 'the upstream watch to be dropped');
    await assert.rejects(fetch(`http://127.0.0.1:${gateway.opsPort}/livez`), 'the ops port closes last');
  });

  it('cuts what outlives the drain timeout, and still runs the hooks', async () => {
    slowDelay.ms = 3000;
    const gateway = await start({ readinessGracePeriod: '0s', drainTimeout: '300ms' });
    let hooks = 0;
    gateway.app.shutdownHooks.add('leases', () => void hooks++);
    const slow = gatewayRequest(gateway, pki, { path: '/slow/api/v1/secrets' });
    await sleep(100);
    const startedAt = performance.now();
    const result = await gateway.shutdown();
    assert.deepEqual(result, { drained: false, cut: 1 });
    assert.ok(performance.now() - startedAt < 1500, 'the drain timeout bounds the shutdown');
    await assert.rejects(slow, 'the request that outlived the drain is cut');
    assert.equal(hooks, 1);
  });
});
