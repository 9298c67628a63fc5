/**
 * Protocol upgrades through the gateway: a WebSocket client talks to a WebSocket server behind it
 * (the exec/attach/port-forward path), identity headers are stripped from the upgrade request too, a
 * refused upgrade comes back as the upstream's answer, and an unreachable upstream as a 503 Status.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { headerValue } from '../../src/gateway/raw-headers.js';
import { createGatewayTestPki, type GatewayTestPki } from '../support/gateway-pki.js';
import { eventually, startTestGateway, type TestGateway } from '../support/gateway-fixture.js';
import { recordRequest, startTestUpstream, type SeenUpstreamRequest, type TestUpstream } from '../support/gateway-upstream.js';

/** Opens a WebSocket through the gateway; resolves when open, or with the refusal's status and body. */
function openSocket(gateway: TestGateway, pki: GatewayTestPki, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ ws: WebSocket } | { status: number; body: string }>((resolve, reject) => {
    const ws = new WebSocket(`wss://127.0.0.1:${gateway.port}${path}`, ['v5.channel.k8s.io'], { ca: pki.gatewayCa.certPem, headers });
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res: IncomingMessage) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', reject);
  });
}

describe('upgrades through the gateway', () => {
  let pki: GatewayTestPki;
  let upstream: TestUpstream;
  let gateway: TestGateway;
  const upgrades: SeenUpstreamRequest[] = [];
  let upstreamSawClose = false;

  before(async () => {
    pki = createGatewayTestPki();
    upstream = await startTestUpstream(pki, (_req, res) => res.end());
    const wss = new WebSocketServer({ noServer: true });
    upstream.server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => {
      upgrades.push(recordRequest(req));
      if (req.url?.includes('forbidden')) {
        const body = '{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403}';
        socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('message', (data, isBinary) => ws.send(isBinary ? data : `echo:${data.toString()}`, { binary: isBinary }));
        ws.on('close', () => (upstreamSawClose = true));
      });
    });
    gateway = await startTestGateway({ pki, upstreamUrl: upstream.url });
  });
  after(async () => {
    await gateway.close();
    await upstream.close();
    pki.cleanup();
  });

  it('carries WebSocket messages both ways and closes both sides', async () => {
    const opened = await openSocket(gateway, pki, '/api/v1/namespaces/a/pods/p/exec?command=sh&stdin=true', {
      'Impersonate-User': 'admin',
      'X-Remote-User': 'eve',
      Authorization: 'Bearer caller-token',
    });
    assert.ok('ws' in opened, `upgrade refused: ${JSON.stringify(opened)}`);
    const { ws } = opened;
    assert.equal(ws.protocol, 'v5.channel.k8s.io');
    const replies: string[] = [];
    ws.on('message', (data: Buffer, isBinary) => replies.push(isBinary ? `bin:${data.toString('hex')}` : data.toString()));
    ws.send('hello');
    ws.send(Buffer.from([0, 1, 2, 255]), { binary: true });
    await eventually(() => replies.length === 2, 3000, 'the echoes');
    assert.deepEqual(replies, ['echo:hello', 'bin:000102ff']);

    const seen = upgrades.at(-1)!;
    assert.equal(seen.url, '/api/v1/namespaces/a/pods/p/exec?command=sh&stdin=true');
    assert.equal(seen.clientCN, 'listgate');
    for (const name of ['impersonate-user', 'x-remote-user', 'authorization']) assert.equal(headerValue(seen.rawHeaders, name), undefined, name);
    assert.equal(headerValue(seen.rawHeaders, 'upgrade'), 'websocket');
    assert.equal(headerValue(seen.rawHeaders, 'sec-websocket-protocol'), 'v5.channel.k8s.io');
    assert.match(headerValue(seen.rawHeaders, 'audit-id') ?? '', /^[0-9a-f-]{36}$/);

    ws.close();
    await eventually(() => upstreamSawClose, 3000, 'the upstream to see the close');
    await eventually(
      () => gateway.logs.some((r) => r.msg === 'request completed' && r.kind === 'connect' && r.code === 101 && (r.target as { subresource?: string } | undefined)?.subresource === 'exec'),
      3000,
      'the tunnel log line',
    );
  });

  it('relays an upstream refusal of the upgrade as-is', async () => {
    const refused = await openSocket(gateway, pki, '/api/v1/namespaces/a/pods/forbidden/exec?command=sh');
    assert.ok('status' in refused);
    assert.equal(refused.status, 403);
    assert.match(refused.body, /"reason":"Forbidden"/);
  });
});

describe('upgrades with the upstream down', () => {
  it('answers the upgrade request with a 503 Status', async () => {
    const pki = createGatewayTestPki();
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const gateway = await startTestGateway({ pki, upstreamUrl: `https://127.0.0.1:${port}` });
    try {
      const refused = await openSocket(gateway, pki, '/api/v1/namespaces/a/pods/p/attach');
      assert.ok('status' in refused);
      assert.equal(refused.status, 503);
      const status = JSON.parse(refused.body) as { kind: string; reason: string; message: string };
      assert.equal(status.kind, 'Status');
      assert.equal(status.reason, 'ServiceUnavailable');
      assert.match(status.message, /unreachable \(ECONNREFUSED\)/);
    } finally {
      await gateway.close();
      pki.cleanup();
    }
  });
});
