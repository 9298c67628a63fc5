/**
 * Bodies stream through the gateway unbuffered: a watch-like response whose next event is only sent
 * after the client has received the previous one (a buffering proxy would deadlock here), response
 * headers that arrive before the first event, and a request body that streams the same way upstream.
 */
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { createGatewayTestPki, type GatewayTestPki } from '../support/gateway-pki.js';
import { eventually, startTestGateway, type TestGateway } from '../support/gateway-fixture.js';
import { startTestUpstream, type TestUpstream } from '../support/gateway-upstream.js';

const EVENTS = 5;

describe('streaming through the gateway', () => {
  let pki: GatewayTestPki;
  let upstream: TestUpstream;
  let gateway: TestGateway;
  const received: number[] = [];
  const sentAt: number[] = [];
  const receivedAt: number[] = [];
  let headersSeen = false;
  const uploadChunksSeen: string[] = [];

  before(async () => {
    pki = createGatewayTestPki();
    upstream = await startTestUpstream(pki, (req, res) => {
      if (req.method === 'POST') {
        req.on('data', (c: Buffer) => uploadChunksSeen.push(c.toString()));
        req.on('end', () => res.end('{}'));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
      res.flushHeaders();
      void (async () => {
        await eventually(() => headersSeen, 3000, 'response headers at the client before any event');
        for (let i = 0; i < EVENTS; i++) {
          sentAt[i] = performance.now();
          res.write(`${JSON.stringify({ type: 'ADDED', object: { kind: 'Pod', metadata: { name: `p${i}` } } })}\n`);
          await eventually(() => received.length > i, 3000, `event ${i} at the client`);
          await new Promise((r) => setTimeout(r, 20));
        }
        res.end();
      })().catch(() => res.destroy());
    });
    gateway = await startTestGateway({ pki, upstreamUrl: upstream.url });
  });
  after(async () => {
    await gateway.close();
    await upstream.close();
    pki.cleanup();
  });

  it('relays each watch event before the upstream sends the next one', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: gateway.port, path: '/api/v1/pods?watch=true', ca: pki.gatewayCa.certPem, agent: false }, (res) => {
        headersSeen = true;
        let buffered = '';
        res.on('data', (c: Buffer) => {
          buffered += c.toString();
          let nl: number;
          while ((nl = buffered.indexOf('\n')) >= 0) {
            buffered = buffered.slice(nl + 1);
            received.push(received.length);
            receivedAt.push(performance.now());
          }
        });
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 200);
    assert.equal(received.length, EVENTS);
    for (let i = 0; i + 1 < EVENTS; i++) assert.ok(receivedAt[i]! < sentAt[i + 1]!, `event ${i} arrived after event ${i + 1} was sent`);
    await eventually(() => gateway.logs.some((r) => r.msg === 'request completed' && r.kind === 'watch' && r.code === 200), 1000, 'the log line');
  });

  it('streams a request body upstream chunk by chunk', async () => {
    const req = request({
      host: '127.0.0.1',
      port: gateway.port,
      method: 'POST',
      path: '/api/v1/namespaces/a/configmaps',
      headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      ca: pki.gatewayCa.certPem,
      agent: false,
    });
    const done = new Promise<number>((resolve, reject) => {
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
    });
    for (let i = 0; i < 3; i++) {
      req.write(`part-${i};`);
      await eventually(() => uploadChunksSeen.join('').includes(`part-${i};`), 3000, `upload chunk ${i} at the upstream`);
    }
    req.end();
    assert.equal(await done, 200);
    assert.equal(uploadChunksSeen.join(''), 'part-0;part-1;part-2;');
  });

  it('runs without the Node server timeouts that would cut watches', () => {
    const { server } = gateway.app;
    assert.equal(server.requestTimeout, 0);
    assert.equal(server.timeout, 0);
    assert.ok(server.headersTimeout > 0, 'the request head stays bounded');
  });
});
