/**
 * What goes upstream and what comes back: identity headers stripped (every case and duplicate), the
 * caller's Authorization replaced by the gateway's own credentials, hop-by-hop headers removed in both
 * directions, X-Forwarded-* and the request id set, status and end-to-end headers relayed as-is.
 * A real HTTPS upstream records what it received.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { headerValue, headerValues } from '../../src/gateway/raw-headers.js';
import { createGatewayTestPki, type GatewayTestPki } from '../support/gateway-pki.js';
import { gatewayRequest, startTestGateway, type TestGateway } from '../support/gateway-fixture.js';
import { startTestUpstream, type TestUpstream } from '../support/gateway-upstream.js';

const IDENTITY_AND_HOP_HEADERS = [
  'Impersonate-User', 'admin',
  'impersonate-group', 'system:masters',
  'IMPERSONATE-GROUP', 'second-group',
  'Impersonate-Uid', 'uid-1',
  'Impersonate-Extra-Scopes', 'all',
  'X-Remote-User', 'eve',
  'x-remote-group', 'g1',
  'X-REMOTE-GROUP', 'g2',
  'X-Remote-Uid', 'uid-2',
  'X-Remote-Extra-Reason', 'because',
  'Authorization', 'Bearer caller-token',
  'Connection', 'keep-alive, X-Hop-Secret',
  'X-Hop-Secret', 'hop',
  'Keep-Alive', 'timeout=5',
  'TE', 'trailers',
  'Proxy-Authorization', 'Basic eDp5',
  'X-Custom', 'kept',
  'Accept', 'application/json',
];
const MUST_NOT_ARRIVE = [
  'impersonate-user', 'impersonate-group', 'impersonate-uid', 'impersonate-extra-scopes', 'x-remote-user',
  'x-remote-group', 'x-remote-uid', 'x-remote-extra-reason', 'x-hop-secret', 'keep-alive', 'te', 'proxy-authorization',
];

describe('proxy headers', () => {
  let pki: GatewayTestPki;
  let upstream: TestUpstream;
  let gateway: TestGateway;

  before(async () => {
    pki = createGatewayTestPki();
    upstream = await startTestUpstream(pki, (req, res) => {
      if (req.url === '/api/v1/namespaces/demo/configmaps') {
        res.writeHead(201, [
          'Content-Type', 'application/json',
          'Warning', '299 - "first warning"',
          'Warning', '299 - "second warning"',
          'Audit-Id', 'upstream-audit-id',
          'Connection', 'X-Upstream-Hop',
          'X-Upstream-Hop', 'secret',
          'X-End-To-End', 'yes',
        ]);
        res.end('{"kind":"ConfigMap"}');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"kind":"PodList","items":[]}');
    });
    gateway = await startTestGateway({ pki, upstreamUrl: upstream.url, logLevel: 'debug' });
  });
  after(async () => {
    await gateway.close();
    await upstream.close();
    pki.cleanup();
  });

  it('strips identity and hop-by-hop headers and sends the gateway identity instead of the caller', async () => {
    const res = await gatewayRequest(gateway, pki, { path: '/api/v1/namespaces/demo/pods?limit=10', headers: IDENTITY_AND_HOP_HEADERS });
    assert.equal(res.status, 200);
    const seen = upstream.seen.at(-1)!;
    assert.equal(seen.url, '/api/v1/namespaces/demo/pods?limit=10');
    const names = new Set(seen.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase()));
    for (const name of MUST_NOT_ARRIVE) assert.ok(!names.has(name), `${name} reached the upstream`);
    assert.equal(headerValue(seen.rawHeaders, 'authorization'), undefined, "the caller's Authorization reached the upstream");
    assert.equal(seen.clientCN, 'listgate', 'the upstream should see the gateway client certificate');
    assert.equal(headerValue(seen.rawHeaders, 'x-custom'), 'kept');
    assert.equal(headerValue(seen.rawHeaders, 'accept'), 'application/json');
    assert.equal(headerValue(seen.rawHeaders, 'host'), `127.0.0.1:${upstream.port}`);
    assert.equal(headerValue(seen.rawHeaders, 'x-forwarded-for'), '127.0.0.1');
    assert.equal(headerValue(seen.rawHeaders, 'x-forwarded-proto'), 'https');
    assert.equal(headerValue(seen.rawHeaders, 'x-forwarded-host'), `127.0.0.1:${gateway.port}`);
    assert.match(String(res.headers['audit-id']), /^[0-9a-f-]{36}$/);
    assert.equal(headerValue(seen.rawHeaders, 'audit-id'), res.headers['audit-id'], 'the request id goes upstream as Audit-ID');
  });

  it('appends the client to an existing X-Forwarded-For and replaces a spoofed Audit-ID', async () => {
    await gatewayRequest(gateway, pki, { path: '/api/v1/pods', headers: { 'X-Forwarded-For': '10.0.0.1', 'Audit-ID': 'spoofed' } });
    const seen = upstream.seen.at(-1)!;
    assert.equal(headerValue(seen.rawHeaders, 'x-forwarded-for'), '10.0.0.1, 127.0.0.1');
    assert.notEqual(headerValue(seen.rawHeaders, 'audit-id'), 'spoofed');
  });

  it('relays status and end-to-end headers as-is, duplicates included, without hop-by-hop ones', async () => {
    const res = await gatewayRequest(gateway, pki, { method: 'POST', path: '/api/v1/namespaces/demo/configmaps', body: '{}' });
    assert.equal(res.status, 201);
    assert.deepEqual(headerValues(res.rawHeaders, 'warning'), ['299 - "first warning"', '299 - "second warning"']);
    assert.deepEqual(headerValues(res.rawHeaders, 'audit-id'), ['upstream-audit-id']);
    assert.equal(res.headers['x-end-to-end'], 'yes');
    assert.equal(res.headers['x-upstream-hop'], undefined);
    assert.equal(headerValues(res.rawHeaders, 'date').length, 1);
    assert.equal(res.body, '{"kind":"ConfigMap"}');
  });

  it('logs one line per request with the request id, and never the caller token', async () => {
    const res = await gatewayRequest(gateway, pki, {
      path: '/api/v1/namespaces/demo/pods',
      headers: { Authorization: 'Bearer very-secret-caller-token', Cookie: 'session=secret-cookie' },
    });
    const id = String(res.headers['audit-id']);
    const mine = gateway.logs.filter((r) => r.requestId === id);
    const done = mine.filter((r) => r.msg === 'request completed');
    assert.equal(done.length, 1);
    assert.deepEqual(
      { verb: done[0]!.verb, target: done[0]!.target, code: done[0]!.code, kind: done[0]!.kind },
      { verb: 'list', target: { resource: 'pods', namespace: 'demo' }, code: 200, kind: 'list' },
    );
    assert.equal(done[0]!.bytes, Buffer.byteLength(res.body));
    assert.equal(typeof done[0]!.durationMs, 'number');
    const received = mine.find((r) => r.msg === 'request received') as { headers: Record<string, string> } | undefined;
    assert.equal(received?.headers.authorization, '[Redacted]');
    assert.equal(received?.headers.cookie, '[Redacted]');
    const version = await gatewayRequest(gateway, pki, { path: '/version?x=1' });
    const versionLine = gateway.logs.find((r) => r.requestId === version.headers['audit-id'] && r.msg === 'request completed');
    assert.deepEqual([versionLine?.kind, versionLine?.path, versionLine?.target], ['nonResource', '/version', undefined]);
    const text = JSON.stringify(gateway.logs);
    assert.ok(!text.includes('very-secret-caller-token') && !text.includes('secret-cookie'), 'a credential reached the log');
  });
});

describe('proxy headers with a bearer token upstream', () => {
  let pki: GatewayTestPki;
  let upstream: TestUpstream;
  let gateway: TestGateway;

  before(async () => {
    pki = createGatewayTestPki();
    upstream = await startTestUpstream(pki, (_req, res) => res.end('{}'));
    gateway = await startTestGateway({
      pki,
      upstreamUrl: upstream.url,
      upstream: { clientCertFile: undefined, clientKeyFile: undefined, tokenFile: pki.files.token },
    });
  });
  after(async () => {
    await gateway.close();
    await upstream.close();
    pki.cleanup();
  });

  it("replaces the caller's Authorization with the gateway's token", async () => {
    await gatewayRequest(gateway, pki, { path: '/api/v1/pods', headers: { Authorization: 'Bearer caller-token' } });
    const seen = upstream.seen.at(-1)!;
    assert.deepEqual(headerValues(seen.rawHeaders, 'authorization'), ['Bearer gateway-secret-token']);
    assert.equal(seen.clientCN, undefined);
  });
});
