/**
 * listen.headersTimeout is the real bound on a client that sends its request headers slowly (slow
 * loris): Node enforces it only when it checks its connections, every 30 s by default, so a 60 s timeout
 * used to cut such a client after 60–90 s. With a 2 s timeout the client is cut within a fraction of a
 * second of it, with a 408 Status, while a client that sends its headers in time is served. Real time:
 * the bound is the server's own timer.
 */
import assert from 'node:assert/strict';
import { connect, type TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { connectionsCheckingInterval } from '../../src/gateway/gateway-server.js';
import { gatewayRequest, startTestGateway, type TestGateway } from '../support/gateway-fixture.js';
import { createGatewayTestPki, type GatewayTestPki } from '../support/gateway-pki.js';
import { startTestUpstream, type TestUpstream } from '../support/gateway-upstream.js';

const TIMEOUT_MS = 2_000;

describe('listen.headersTimeout', () => {
  let pki: GatewayTestPki;
  let upstream: TestUpstream;
  let gw: TestGateway;

  before(async () => {
    pki = createGatewayTestPki();
    upstream = await startTestUpstream(pki, (_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}'));
    gw = await startTestGateway({ pki, upstreamUrl: upstream.url, listen: { headersTimeout: `${TIMEOUT_MS}ms` } });
  });
  after(async () => {
    await gw?.close();
    await upstream?.close();
    pki?.cleanup();
  });

  it('checks connections often enough for the configured bound', () => {
    assert.deepEqual([500, 2_000, 60_000, 600_000].map(connectionsCheckingInterval), [100, 200, 1_000, 1_000]);
  });

  it('cuts a client whose headers do not arrive in time with a 408 Status, within a fraction of a second of the timeout', async () => {
    const socket: TLSSocket = await new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: gw.port, ca: pki.gatewayCa.certPem, servername: 'localhost' }, () => resolve(s));
      s.once('error', reject);
    });
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    const started = performance.now();
    socket.write('GET /api HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    // A header byte every 250 ms, never the end of the headers.
    const drip = setInterval(() => socket.writable && socket.write('X'), 250);
    const closedAfterMs = await new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now() - started)));
    clearInterval(drip);
    assert.ok(closedAfterMs >= TIMEOUT_MS - 50, `cut after ${Math.round(closedAfterMs)} ms, not before the timeout`);
    assert.ok(closedAfterMs <= TIMEOUT_MS + connectionsCheckingInterval(TIMEOUT_MS) + 500, `cut after ${Math.round(closedAfterMs)} ms`);
    assert.match(answer, /^HTTP\/1\.1 408 /);
    const status = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { kind: string; code: number };
    assert.deepEqual([status.kind, status.code], ['Status', 408]);
  });

  it('serves a client that sends its headers in time', async () => {
    const r = await gatewayRequest(gw, pki, { path: '/api' });
    assert.equal(r.status, 200);
  });
});
