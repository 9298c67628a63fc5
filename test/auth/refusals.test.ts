/**
 * Callers the gateway refuses: no credentials, an expired, foreign or serverAuth-only certificate, an
 * unknown token: each a 401 Kubernetes Status with a message a person can act on, a log line with the
 * reason, a metric, and nothing sent upstream. Anonymous only when enabled, and never for bad
 * credentials. A TokenReview that cannot be made fails closed with 503.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { writeKubeconfig } from '../../src/certs/kubeconfig.js';
import { createCA, issueClientCert, issueServingCert } from '../../src/certs/pki.js';
import { TOKENS, sharedPki, startAuthStack, type AuthStack } from './support/auth-stack.js';

const PATH = '/api/v1/namespaces/default/secrets';
const unauthorized = (why: string) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `Unauthorized: listgate could not authenticate the request: ${why}`, reason: 'Unauthorized', code: 401 });
const failedLine = (stack: AuthStack, id: unknown) => stack.logs.find((l) => l.requestId === id && l.msg === 'authentication failed');

describe('refused callers', () => {
  let stack: AuthStack;
  before(async () => {
    stack = await startAuthStack({ mode: 'requestHeader' });
  });
  after(async () => stack?.close());

  it('401 for no credentials, wrong CA, expired, serverAuth-only and unknown tokens, with the reason logged', async () => {
    const { pki } = stack.shared;
    const rows = [
      { name: 'no credentials', opts: {}, reason: 'no_credentials', why: 'no credentials: present a client certificate signed by a trusted client CA or a bearer token' },
      { name: 'wrong CA', opts: { cert: issueClientCert(createCA('elsewhere'), { commonName: 'admin', groups: ['system:masters'] }) }, reason: 'unknown_authority', why: 'the client certificate is not signed by a CA this gateway trusts (authentication.clientCAFiles)' },
      { name: 'expired', opts: { cert: issueClientCert(pki.ca, { commonName: 'jane', notBefore: new Date(Date.now() - 9e8), notAfter: new Date(Date.now() - 1e8) }) }, reason: 'expired', why: 'the client certificate has expired; renew it' },
      { name: 'serverAuth only', opts: { cert: issueServingCert(pki.ca, { commonName: 'jane' }) }, reason: 'wrong_usage', why: 'the client certificate is not meant for client authentication (extended key usage clientAuth)' },
      { name: 'unknown token', opts: { headers: { Authorization: 'Bearer not-a-known-token' } }, reason: 'token_denied', why: 'the bearer token was not accepted (expired, revoked or unknown); get a new token' },
    ];
    for (const row of rows) {
      const r = await stack.fetch(PATH, row.opts);
      assert.equal(r.status, 401, row.name);
      assert.equal(r.headers['content-type'], 'application/json', row.name);
      assert.deepEqual(r.json, unauthorized(row.why), row.name);
      const line = failedLine(stack, r.headers['audit-id']);
      assert.equal(line?.reason, row.reason, `${row.name}: log reason`);
      assert.equal(typeof line?.detail, 'string');
    }
    assert.equal(stack.sim.stats.requests().filter((q) => q.path === PATH).length, 0, 'nothing reached the upstream');
    const metrics = await stack.registry.metrics();
    assert.match(metrics, /listgate_authentications_total\{method="none",result="failure"\} 1/);
    assert.match(metrics, /listgate_authentications_total\{method="x509",result="failure"\} 3/);
    assert.match(metrics, /listgate_authentications_total\{method="token",result="failure"\} 1/);
  });

  it('kubectl with an unknown token is told it is not logged in', async () => {
    const path = `${stack.kubeconfigs.bot}.bad`;
    await writeKubeconfig(path, { name: 'bad', server: stack.url, caPem: stack.shared.pki.ca.certPem, user: { token: 'tok-unknown-123' } });
    const r = await stack.kubectl(path, ['get', '--raw', PATH]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Unauthorized|must be logged in/);
  });

  it('a refused certificate does not stop a valid token (the union authenticator)', async () => {
    const foreign = issueClientCert(createCA('elsewhere-2'), { commonName: 'mallory' });
    const r = await stack.fetch(PATH, { cert: foreign, headers: { Authorization: `Bearer ${TOKENS.bot}` } });
    assert.equal(r.status, 200, r.body);
    assert.equal(stack.sim.stats.requests().filter((q) => q.path === PATH).at(-1)?.user, 'ci-bot');
  });

  it('answers an unauthenticated upgrade with a 401 Status on the raw connection', async () => {
    const r = await stack.fetch('/api/v1/namespaces/default/pods/pod-0/exec?command=true', {
      headers: ['Connection', 'Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Version', '13', 'Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
    });
    assert.equal(r.status, 401);
    assert.equal((r.json as { reason: string }).reason, 'Unauthorized');
  });
});

describe('anonymous callers', () => {
  let stack: AuthStack;
  before(async () => {
    stack = await startAuthStack({ mode: 'requestHeader', authentication: { anonymous: { enabled: true } } });
  });
  after(async () => stack?.close());

  it('are system:anonymous in system:unauthenticated when enabled', async () => {
    const r = await stack.fetch(PATH);
    assert.equal(r.status, 200, r.body);
    const seen = stack.sim.stats.requests().filter((q) => q.path === PATH).at(-1)!;
    assert.deepEqual([seen.user, seen.groups], ['system:anonymous', ['system:unauthenticated']]);
  });

  it('are not what bad credentials become', async () => {
    const r = await stack.fetch(PATH, { headers: { Authorization: 'Bearer not-a-known-token' } });
    assert.equal(r.status, 401);
  });
});

describe('TokenReview unavailable: fail closed', () => {
  it('503 while the apiserver is down, never anonymous or through', async () => {
    const stack = await startAuthStack({ mode: 'requestHeader', authentication: { anonymous: { enabled: true } } });
    try {
      await stack.sim.close();
      const r = await stack.fetch(PATH, { headers: { Authorization: `Bearer ${TOKENS.bot}` } });
      assert.equal(r.status, 503);
      assert.equal((r.json as { reason: string }).reason, 'ServiceUnavailable');
      assert.match((r.json as { message: string }).message, /^cannot verify the bearer token now: TokenReview failed: ECONNREFUSED at https:\/\/127\.0\.0\.1:\d+; listgate refuses rather than guess/);
      assert.equal(failedLine(stack, r.headers['audit-id'])?.reason, 'tokenreview_unavailable');
      assert.match(await stack.registry.metrics(), /listgate_authentications_total\{method="token",result="error"\} 1/);
    } finally {
      await stack.close();
    }
  });

  for (const [what, answer] of [['hangs', 'hang'], ['refuses the gateway (403)', 'forbid']] as const) {
    it(`503 when the TokenReview ${what}`, async () => {
      const { pki } = await sharedPki();
      const serving = issueServingCert(pki.ca, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
      const fake: Server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
        if (answer === 'forbid') {
          res.writeHead(403, { 'Content-Type': 'application/json' });
          res.end('{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403}');
        }
        req.resume(); // 'hang': never answer
      });
      await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
      const server = `https://127.0.0.1:${(fake.address() as AddressInfo).port}`;
      const stack = await startAuthStack({ mode: 'requestHeader', upstreamServer: server, authentication: { tokenReview: { timeout: '300ms' } } });
      try {
        const started = Date.now();
        const r = await stack.fetch(PATH, { headers: { Authorization: `Bearer ${TOKENS.bot}` } });
        assert.equal(r.status, 503);
        assert.match((r.json as { message: string }).message, answer === 'hang' ? /TokenReview failed: timed out/ : /TokenReview failed: HTTP 403/);
        assert.ok(Date.now() - started < 5_000, 'the timeout bounds the wait');
      } finally {
        await stack.close();
        fake.closeAllConnections();
        await new Promise<void>((resolve) => fake.close(() => resolve()));
      }
    });
  }
});
