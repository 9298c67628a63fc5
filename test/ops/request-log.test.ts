/**
 * The request log through the whole demo stack (simulator + gateway, TokenReview for tokens), at trace
 * level so every line the gateway can write is written: one info line per request with its id, user,
 * verb, resource, namespace, decision, code, bytes and duration; and no bearer token (accepted or
 * refused), cookie or proxy credential in any line.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { DEMO_TOKEN_USER } from '../../src/cli/demo-stack.js';
import { createLogger } from '../../src/log.js';
import { eventually, type LogRecord } from '../support/gateway-fixture.js';
import { startE2EStack, type E2EStack } from '../support/e2e-stack.js';

function get(stack: E2EStack, path: string, headers: Record<string, string>): Promise<{ status: number; body: string; auditId: string }> {
  const url = new URL(stack.gatewayUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, headers, ca: stack.pki.ca.certPem, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, auditId: String(res.headers['audit-id']) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('request log', () => {
  let stack: E2EStack;
  let token: string;
  const logs: LogRecord[] = [];
  const raw: string[] = [];
  const COOKIE_SECRET = 'session-cookie-secret-4242';
  const PROXY_SECRET = 'cHJveHktc2VjcmV0LTQyNDI=';
  const WRONG_TOKEN = 'not-a-known-token-but-still-a-secret-9f8e7d';

  before(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n')) {
          if (!line) continue;
          raw.push(line);
          logs.push(JSON.parse(line) as LogRecord);
        }
        done();
      },
    });
    stack = await startE2EStack({ logger: createLogger({ level: 'trace', destination: sink }), logLevel: 'trace' });
    token = /token: (\S+)/.exec(readFileSync(stack.tokenKubeconfig, 'utf8'))![1]!;
  });
  after(async () => stack.close());

  it('writes one info line per request with id, user, verb, resource, namespace, decision, code, bytes and duration', async () => {
    const res = await get(stack, '/api/v1/namespaces/ns-1/configmaps?limit=5', {
      Authorization: `Bearer ${token}`,
      Cookie: `session=${COOKIE_SECRET}`,
      'Proxy-Authorization': `Basic ${PROXY_SECRET}`,
    });
    assert.equal(res.status, 200, res.body);
    // The simulator answers with its own Audit-Id, so find the line by what it is about.
    const target = (l: LogRecord) => (l.target ?? {}) as Record<string, unknown>;
    const mine = (l: LogRecord) => l.msg === 'request completed' && target(l).namespace === 'ns-1' && target(l).resource === 'configmaps';
    await eventually(() => logs.some(mine), 3000, 'the request line');
    const lines = logs.filter(mine);
    assert.equal(lines.length, 1, 'exactly one line per request');
    const line = lines[0]!;
    assert.equal(line.level, 30, 'at info');
    assert.deepEqual(
      { user: line.user, verb: line.verb, target: line.target, decision: line.decision, code: line.code },
      { user: DEMO_TOKEN_USER.name, verb: 'list', target: { resource: 'configmaps', namespace: 'ns-1' }, decision: 'admitted', code: 200 },
    );
    assert.match(String(line.requestId), /^[0-9a-f-]{36}$/);
    assert.equal(line.bytes, Buffer.byteLength(res.body));
    assert.equal(typeof line.durationMs, 'number');
  });

  it('never writes a token, cookie or proxy credential, accepted or refused, at any level', async () => {
    const refused = await get(stack, '/api/v1/secrets', { Authorization: `Bearer ${WRONG_TOKEN}`, Cookie: `session=${COOKIE_SECRET}` });
    assert.equal(refused.status, 401);
    await eventually(() => logs.some((l) => l.requestId === refused.auditId && l.msg === 'request completed'), 3000, 'the refused line');
    const refusedLine = logs.find((l) => l.requestId === refused.auditId && l.msg === 'request completed')!;
    assert.deepEqual([refusedLine.user, refusedLine.code, refusedLine.decision], [undefined, 401, 'none']);

    const received = logs.find((l) => l.msg === 'request received' && l.requestId === refused.auditId) as { headers?: Record<string, unknown> } | undefined;
    assert.match(String(received?.headers?.authorization), /^\[redacted\]$/i, 'the debug line keeps the header name, masks the value');
    assert.match(String(received?.headers?.cookie), /^\[redacted\]$/i);
    const all = raw.join('\n');
    for (const secret of [token, WRONG_TOKEN, COOKIE_SECRET, PROXY_SECRET]) {
      assert.ok(!all.includes(secret), `a secret reached the log: ${secret.slice(0, 6)}…`);
    }
    assert.ok(logs.some((l) => l.requestId === refused.auditId && l.msg === 'authentication failed'), 'the refusal is logged, without the token');
  });
});
