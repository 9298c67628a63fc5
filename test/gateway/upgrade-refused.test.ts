/**
 * Regression: a refused upgrade must not leave a raw tunnel behind. If the upstream answers an upgrade
 * request with an ordinary response and keeps the connection alive, a naive tunnel would carry the
 * client's NEXT request straight to the upstream with the gateway's credentials, past the
 * identity-header strip (`Impersonate-User: admin` smuggled through). The gateway must relay the answer
 * and close the client connection instead.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { headerValue } from '../../src/gateway/raw-headers.js';
import { createGatewayTestPki, type GatewayTestPki } from '../support/gateway-pki.js';
import { eventually, startTestGateway, type TestGateway } from '../support/gateway-fixture.js';
import { startTestUpstream, type TestUpstream } from '../support/gateway-upstream.js';

describe('regression: refused upgrade leaves no raw tunnel (identity header smuggling)', () => {
  let pki: GatewayTestPki;
  let upstream: TestUpstream;
  let gateway: TestGateway;

  before(async () => {
    pki = createGatewayTestPki();
    // No 'upgrade' listener: Node answers upgrade requests as ordinary ones, keep-alive, like a server
    // that does not support the protocol asked for.
    upstream = await startTestUpstream(pki, (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '2' });
      res.end('{}');
    });
    gateway = await startTestGateway({ pki, upstreamUrl: upstream.url });
  });
  after(async () => {
    await gateway.close();
    await upstream.close();
    pki.cleanup();
  });

  it('relays the ordinary answer, closes the connection and never forwards the next request raw', async () => {
    const socket = connect({ host: '127.0.0.1', port: gateway.port, ca: pki.gatewayCa.certPem, servername: 'localhost' });
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    let received = '';
    let ended = false;
    socket.on('data', (c: Buffer) => (received += c.toString('latin1')));
    socket.on('close', () => (ended = true));
    socket.on('error', () => undefined);

    socket.write('GET /api/v1/namespaces/a/pods/p/exec?command=sh HTTP/1.1\r\nHost: gw\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n');
    await eventually(() => received.includes('\r\n\r\n{}'), 3000, 'the relayed answer');
    assert.match(received, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(received, /\r\nConnection: close\r\n/i);
    if (!socket.destroyed) socket.write('GET /api/v1/secrets HTTP/1.1\r\nHost: gw\r\nImpersonate-User: admin\r\n\r\n');
    await eventually(() => ended, 3000, 'the gateway to close the client connection');
    await new Promise((r) => setTimeout(r, 100));

    assert.equal(upstream.seen.length, 1, `the upstream saw: ${upstream.seen.map((s) => s.url).join(', ')}`);
    assert.ok(upstream.seen.every((s) => headerValue(s.rawHeaders, 'impersonate-user') === undefined));
    assert.equal((received.match(/HTTP\/1\.1 /g) ?? []).length, 1, 'exactly one response reached the client');
  });
});
