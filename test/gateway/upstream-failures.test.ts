/**
 * Failures between the gateway and the upstream: refused connections and TLS problems become Status
 * errors the operator can act on (503), a connect that does not complete becomes 504, a reset in the
 * middle of a response reaches the client as a failed response, and a client that goes away makes the
 * gateway close the upstream request at once.
 */
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createGatewayTestPki, type GatewayTestPki } from '../support/gateway-pki.js';
import { eventually, gatewayRequest, startTestGateway } from '../support/gateway-fixture.js';
import { startTestUpstream, type TestUpstream } from '../support/gateway-upstream.js';
import { freePort } from '../../bench/lib/server-process.js';

interface StatusBody {
  kind: string;
  status: string;
  code: number;
  reason: string;
  message: string;
}

describe('upstream failures before a response', () => {
  let pki: GatewayTestPki;
  before(() => {
    pki = createGatewayTestPki();
  });
  after(() => pki.cleanup());

  it('answers 503 ServiceUnavailable when the upstream refuses connections, and counts it', async () => {
    const port = await freePort();
    const gateway = await startTestGateway({ pki, upstreamUrl: `https://127.0.0.1:${port}` });
    try {
      const res = await gatewayRequest(gateway, pki, { path: '/api/v1/pods' });
      assert.equal(res.status, 503);
      assert.equal(res.headers['content-type'], 'application/json');
      assert.match(String(res.headers['audit-id']), /^[0-9a-f-]{36}$/);
      const body = JSON.parse(res.body) as StatusBody;
      assert.deepEqual([body.kind, body.status, body.code, body.reason], ['Status', 'Failure', 503, 'ServiceUnavailable']);
      assert.match(body.message, new RegExp(`https://127\\.0\\.0\\.1:${port} is unreachable \\(ECONNREFUSED\\)`));
      assert.match(body.message, /upstream\.server/);
      const metrics = await gateway.registry.metrics();
      assert.match(metrics, /listgate_upstream_errors_total\{reason="upstream_unreachable"\} 1/);
      assert.match(metrics, /listgate_requests_total\{verb="list",resource="pods",decision="admitted",code="503"\} 1/);
    } finally {
      await gateway.close();
    }
  });

  it('answers 504 Timeout when TLS to the upstream does not come up within connectTimeout', async () => {
    const silent: Socket[] = [];
    // Accepts and reads, never speaks TLS: the handshake cannot complete.
    const blackhole: Server = createServer((socket) => silent.push(socket.resume()));
    await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
    const { port } = blackhole.address() as AddressInfo;
    const gateway = await startTestGateway({ pki, upstreamUrl: `https://127.0.0.1:${port}`, upstream: { connectTimeout: '300ms' } });
    try {
      const started = Date.now();
      const res = await gatewayRequest(gateway, pki, { path: '/api/v1/namespaces/a/secrets' });
      const elapsed = Date.now() - started;
      assert.equal(res.status, 504);
      const body = JSON.parse(res.body) as StatusBody;
      assert.equal(body.reason, 'Timeout');
      assert.match(body.message, /within 300ms.*upstream\.connectTimeout/);
      assert.ok(elapsed >= 280 && elapsed < 2000, `answered after ${elapsed} ms`);
      await eventually(() => silent.every((s) => s.destroyed), 2000, 'the half-open upstream socket to be closed');
    } finally {
      await gateway.close();
      for (const socket of silent) socket.destroy();
      await new Promise((resolve) => blackhole.close(resolve));
    }
  });

  it('answers 503 naming upstream.caFile when the upstream certificate is not trusted', async () => {
    const upstream = await startTestUpstream(pki, (_req, res) => res.end('{}'));
    const gateway = await startTestGateway({ pki, upstreamUrl: upstream.url, upstream: { caFile: pki.files.otherCa } });
    try {
      const res = await gatewayRequest(gateway, pki, { path: '/api/v1/pods' });
      assert.equal(res.status, 503);
      const body = JSON.parse(res.body) as StatusBody;
      assert.equal(body.reason, 'ServiceUnavailable');
      assert.match(body.message, /not trusted \([A-Z_]+: .+\); set upstream\.caFile to the CA/);
      assert.equal(upstream.seen.length, 0, 'no request may reach an unverified upstream');
      assert.match(await gateway.registry.metrics(), /listgate_upstream_errors_total\{reason="upstream_tls_untrusted"\} 1/);
    } finally {
      await gateway.close();
      await upstream.close();
    }
  });
});

describe('failures during a response', () => {
  let pki: GatewayTestPki;
  let upstream: TestUpstream;
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  const upstreamClosed = new Map<string, boolean>();

  before(async () => {
    pki = createGatewayTestPki();
    upstream = await startTestUpstream(pki, (req, res) => {
      const name = new URL(req.url ?? '/', 'https://x').searchParams.get('case') ?? '';
      res.on('close', () => upstreamClosed.set(name, !res.writableFinished));
      if (name === 'reset-chunked' || name === 'reset-sized') {
        const headers: Record<string, string> = { 'Content-Type': 'application/json' };
        if (name === 'reset-sized') headers['Content-Length'] = '1000000';
        res.writeHead(200, headers);
        res.write('{"kind":"SecretList","items":[');
        setTimeout(() => req.socket.destroy(), 50);
      } else if (name === 'reset-head') {
        req.socket.destroy(); // reset before any response byte
      } else if (name === 'hold-body') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{"type":"ADDED"}\n'); // then nothing: a quiet watch
      }
      // 'hold-head': never answers
    });
    gateway = await startTestGateway({ pki, upstreamUrl: upstream.url });
  });
  after(async () => {
    await gateway.close();
    await upstream.close();
    pki.cleanup();
  });

  /** Reads the response; resolves with how it ended. */
  const readToEnd = (path: string) =>
    new Promise<{ status: number; ended: 'clean' | 'failed'; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: gateway.port, path, ca: pki.gatewayCa.certPem, agent: false }, (res) => {
        let body = '';
        let settled = false;
        const done = (ended: 'clean' | 'failed') => {
          if (!settled) resolve({ status: res.statusCode ?? 0, ended, body });
          settled = true;
        };
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => done(res.complete ? 'clean' : 'failed'));
        res.on('error', () => done('failed'));
        res.on('aborted', () => done('failed'));
        res.on('close', () => done(res.complete ? 'clean' : 'failed'));
      });
      req.on('error', reject);
      req.end();
    });

  it('answers 503 when the upstream resets the connection before answering', async () => {
    const result = await readToEnd('/api/v1/secrets?case=reset-head');
    assert.equal(result.status, 503);
    assert.equal(result.ended, 'clean');
    const body = JSON.parse(result.body) as StatusBody;
    assert.equal(body.reason, 'ServiceUnavailable');
    assert.match(body.message, /closed the connection before answering \(ECONNRESET\); retry the request/);
  });

  for (const name of ['reset-chunked', 'reset-sized']) {
    it(`a mid-stream upstream reset fails the client response (${name})`, async () => {
      const result = await readToEnd(`/api/v1/secrets?case=${name}`);
      assert.equal(result.status, 200);
      assert.equal(result.ended, 'failed');
      assert.ok(result.body.startsWith('{"kind":"SecretList"'), 'the bytes before the reset are relayed');
      await eventually(() => gateway.logs.some((r) => r.msg === 'request completed' && r.error === 'upstream_aborted'), 2000, 'the log line');
    });
  }

  it('closes the upstream request at once when the client goes away mid-response', async () => {
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: gateway.port, path: '/api/v1/pods?watch=true&case=hold-body', ca: pki.gatewayCa.certPem, agent: false }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => undefined);
      req.on('close', () => resolve());
      setTimeout(() => reject(new Error('no first event')), 3000).unref();
      req.end();
    });
    await eventually(() => upstreamClosed.get('hold-body') === true, 1000, 'the upstream to see the close');
    await eventually(() => gateway.logs.some((r) => r.msg === 'request completed' && r.clientClosed === true && r.kind === 'watch'), 1000, 'the log line');
  });

  it('closes the upstream request at once when the client goes away before the response', async () => {
    const req = request({ host: '127.0.0.1', port: gateway.port, path: '/api/v1/secrets?case=hold-head', ca: pki.gatewayCa.certPem, agent: false });
    req.on('error', () => undefined);
    req.end();
    await eventually(() => upstream.seen.some((s) => s.url.includes('case=hold-head')), 2000, 'the request to reach the upstream');
    req.destroy();
    await eventually(() => upstreamClosed.get('hold-head') === true, 1000, 'the upstream to see the close');
    await eventually(() => gateway.logs.some((r) => r.msg === 'request completed' && r.code === 499), 1000, 'the 499 log line');
  });
});
