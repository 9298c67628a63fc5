/**
 * Long-running requests travel apart from short ones, over HTTP/1.1 and over HTTP/2 to the upstream:
 * watches held open by the dozen (more than the short lane has slots) leave short requests their own
 * capacity; a lane that stays full answers a request with a 429 Status after `upstream.queueTimeout`
 * (never a silent hang), counts it, and turns the `upstream-capacity` readiness check red.
 * The stand-in upstream holds watches open and holds `/held` GETs until the test releases them.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { eventually, gatewayRequest, startTestGateway, type TestGateway } from '../support/gateway-fixture.js';
import { createGatewayTestPki, type GatewayTestPki } from '../support/gateway-pki.js';
import { startTestUpstream, type TestUpstream } from '../support/gateway-upstream.js';

const WATCH = '/api/v1/namespaces/default/pods?watch=true';
const HELD = '/api/v1/namespaces/default/configmaps/held';
const QUICK = '/api/v1/namespaces/default/configmaps/quick';

interface OpenWatch {
  firstEvent: string;
  close(): void;
}

/** A watch through the gateway, resolved once its first event has arrived (its own client connection). */
function openWatch(gw: { port: number }, pki: GatewayTestPki): Promise<OpenWatch> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: gw.port, path: WATCH, ca: pki.gatewayCa.certPem, agent: false }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`watch answered ${res.statusCode}`));
      res.once('data', (chunk: Buffer) => resolve({ firstEvent: chunk.toString('utf8'), close: () => req.destroy() }));
      res.on('error', () => undefined);
    });
    req.on('error', reject);
    req.end();
  });
}

async function metricValue(gw: TestGateway, series: string): Promise<number | undefined> {
  const text = await gw.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Resolves once `series` reads `value` (the request line, and its metrics, follow the client's close). */
async function metricReaches(gw: TestGateway, series: string, value: number): Promise<void> {
  for (let i = 0; (await metricValue(gw, series)) !== value; i++) {
    if (i > 2000) throw new Error(`${series} never reached ${value}: ${await metricValue(gw, series)}`);
    await new Promise((r) => setImmediate(r));
  }
}

const readyz = async (gw: TestGateway): Promise<{ status: number; text: string }> => {
  const res = await fetch(`http://127.0.0.1:${gw.opsPort}/readyz?verbose`);
  return { status: res.status, text: await res.text() };
};

for (const protocol of ['http1.1', 'http2'] as const) {
  describe(`upstream lanes over ${protocol}`, () => {
    let pki: GatewayTestPki;
    let upstream: TestUpstream;
    const held: ServerResponse[] = [];
    const watches: ServerResponse[] = [];

    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      const url = req.url ?? '';
      if (url.includes('watch=true')) {
        watches.push(res);
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write(`${JSON.stringify({ type: 'ADDED', object: { kind: 'Pod', apiVersion: 'v1', metadata: { name: `pod-${watches.length}` } } })}\n`);
        return;
      }
      if (url === HELD) return void held.push(res);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'quick' } }));
    };
    const releaseHeld = () => {
      for (const res of held.splice(0)) res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"held"}}');
    };

    before(async () => {
      pki = createGatewayTestPki();
      upstream = await startTestUpstream(pki, handler, protocol === 'http2' ? { http2: { maxConcurrentStreams: 100 } } : {});
    });
    after(async () => {
      for (const res of watches) res.end();
      await upstream.close();
      pki.cleanup();
    });

    const gatewayWith = (lanes: Record<string, unknown>) =>
      startTestGateway({ pki, upstreamUrl: upstream.url, upstream: { protocol, ...lanes } });

    it('keeps short requests flowing while more watches are open than the short lane has slots', async () => {
      const gw = await gatewayWith({ maxSockets: 2, maxLongRunning: 64, queueTimeout: '2s' });
      const open: OpenWatch[] = [];
      try {
        for (let i = 0; i < 24; i++) open.push(await openWatch(gw, pki));
        assert.ok(open.every((w) => w.firstEvent.includes('"ADDED"')));
        const answers = await Promise.all(Array.from({ length: 8 }, () => gatewayRequest(gw, pki, { path: QUICK })));
        assert.deepEqual(answers.map((a) => a.status), Array(8).fill(200));
        assert.equal(await metricValue(gw, `listgate_upstream_requests_in_flight{lane="long",protocol="${protocol}"}`), 24);
        assert.equal(await metricValue(gw, `listgate_upstream_request_slots{lane="short",protocol="${protocol}"}`), 2);
        assert.equal(await metricValue(gw, `listgate_upstream_requests_waiting{lane="short",protocol="${protocol}"}`), 0);
        assert.match((await readyz(gw)).text, /\[\+\]upstream-capacity ok/);
      } finally {
        for (const w of open) w.close();
        await gw.close();
      }
    });

    it('answers a short request 429 with a Status once its full lane stays full for queueTimeout, counts it and turns readiness red', async () => {
      const gw = await gatewayWith({ maxSockets: 1, queueTimeout: '150ms' });
      try {
        const holding = gatewayRequest(gw, pki, { path: HELD });
        await eventually(() => held.length === 1, 3000, 'the held request upstream');
        const refused = await gatewayRequest(gw, pki, { path: QUICK });
        assert.equal(refused.status, 429);
        assert.equal(refused.headers['retry-after'], '1');
        const status = JSON.parse(refused.body) as { kind: string; code: number; reason: string; message: string; details?: { retryAfterSeconds?: number } };
        assert.deepEqual([status.kind, status.code, status.reason, status.details?.retryAfterSeconds], ['Status', 429, 'TooManyRequests', 1]);
        assert.match(status.message, /short requests to the Kubernetes API server at https:\/\/127\.0\.0\.1:\d+ are all in flight \(1\) and none finished within 150 ?ms/);
        assert.match(status.message, /raise upstream\.maxSockets/);
        assert.equal(await metricValue(gw, 'listgate_upstream_saturated_total{lane="short"}'), 1);
        await metricReaches(gw, 'listgate_upstream_errors_total{reason="upstream_saturated"}', 1);
        const ready = await readyz(gw);
        assert.equal(ready.status, 503);
        assert.match(ready.text, /\[-\]upstream-capacity failed: short requests saturated \(\S+\): 1 of 1 slots in flight, 0 waiting, requests refused with 429 recently; raise upstream\.maxSockets/);
        assert.ok(gw.logs.some((l) => l.msg === 'upstream request failed' && l.reason === 'upstream_saturated'), 'a log line names the reason');

        // The slot frees: the held request completes, and the lane takes requests again.
        releaseHeld();
        assert.equal((await holding).status, 200);
        assert.equal((await gatewayRequest(gw, pki, { path: QUICK })).status, 200);
      } finally {
        releaseHeld();
        await gw.close();
      }
    });

    it('answers a watch 429 once the long-running lane stays full, while short requests still pass', async () => {
      const gw = await gatewayWith({ maxSockets: 4, maxLongRunning: 2, queueTimeout: '150ms' });
      const open: OpenWatch[] = [];
      try {
        for (let i = 0; i < 2; i++) open.push(await openWatch(gw, pki));
        const refused = await gatewayRequest(gw, pki, { path: WATCH });
        assert.equal(refused.status, 429);
        assert.match(refused.body, /long-running requests to the Kubernetes API server .* are all in flight \(2\)/);
        assert.match(refused.body, /raise upstream\.maxLongRunning/);
        assert.equal(await metricValue(gw, 'listgate_upstream_saturated_total{lane="long"}'), 1);
        assert.match((await readyz(gw)).text, /\[-\]upstream-capacity failed: long-running requests saturated/);
        assert.equal((await gatewayRequest(gw, pki, { path: QUICK })).status, 200);
        // A watch that ends frees its slot for the next.
        open.shift()!.close();
        await metricReaches(gw, `listgate_upstream_requests_in_flight{lane="long",protocol="${protocol}"}`, 1);
        open.push(await openWatch(gw, pki));
      } finally {
        for (const w of open) w.close();
        await gw.close();
      }
    });
  });
}
