/**
 * The size model learns from the LIST responses that pass through the gateway, measured on the way
 * without buffering: a gzip body (measured decoded, relayed compressed as it came), but never a body cut
 * short — not when the client goes away mid-response, not when the upstream breaks off — and learning
 * resumes with the next whole answer. A stand-in upstream serves the lists, so every byte is known.
 */
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { eventually, startTestGateway, type LogRecord, type TestGateway } from '../support/gateway-fixture.js';
import { createGatewayTestPki, type GatewayTestPki } from '../support/gateway-pki.js';
import { startTestUpstream, type TestUpstream } from '../support/gateway-upstream.js';
import { completedLines, sample } from './wiring-stack.js';

/** A JSON list of `n` items of about `size` bytes each, as the apiserver writes one. */
function listBody(kind: string, n: number, size: number): { body: Buffer; itemBytes: number } {
  const items = Array.from({ length: n }, (_, i) => ({ metadata: { name: `obj-${String(i).padStart(4, '0')}`, namespace: 'z' }, data: { v: 'x'.repeat(size) } }));
  const text = JSON.stringify({ kind, apiVersion: 'v1', metadata: { resourceVersion: '7' }, items });
  return { body: Buffer.from(text), itemBytes: JSON.stringify(items[0]).length };
}

describe('learning from responses through the gateway', () => {
  let pki: GatewayTestPki;
  let upstream: TestUpstream;
  let gateway: TestGateway;
  const configmaps = listBody('ConfigMapList', 40, 500);
  const secrets = listBody('SecretList', 200, 5000);

  before(async () => {
    pki = createGatewayTestPki();
    upstream = await startTestUpstream(pki, (req, res) => {
      const url = req.url ?? '';
      if (url.startsWith('/api/v1/namespaces/z/configmaps')) {
        const gzip = /gzip/.test(String(req.headers['accept-encoding']));
        const body = gzip ? gzipSync(configmaps.body) : configmaps.body;
        res.writeHead(200, { 'Content-Type': 'application/json', ...(gzip ? { 'Content-Encoding': 'gzip' } : {}), 'Content-Length': body.length });
        return void res.end(body);
      }
      if (url.startsWith('/api/v1/namespaces/z/secrets') || url.startsWith('/api/v1/namespaces/z/pods')) {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': secrets.body.length });
        if (url.includes('case=hold')) return void res.write(secrets.body.subarray(0, secrets.body.length / 2));
        if (url.includes('case=break')) {
          res.write(secrets.body.subarray(0, secrets.body.length / 2));
          return void setTimeout(() => res.socket?.destroy(), 50);
        }
        return void res.end(secrets.body);
      }
      res.writeHead(404).end();
    });
    gateway = await startTestGateway({ pki, upstreamUrl: upstream.url });
  });
  after(async () => {
    await gateway.close();
    await upstream.close();
    pki.cleanup();
  });

  const metrics = () => gateway.registry.metrics();
  const lineOf = async (match: Record<string, unknown>): Promise<LogRecord> => {
    let lines: LogRecord[] = [];
    await eventually(() => (lines = completedLines(gateway.logs, match)).length > 0, 3000, 'the request line');
    return lines.at(-1)!;
  };
  /** GET through the gateway; `abortAfter` bytes: the client goes away once it has received that many. */
  const get = (path: string, headers: Record<string, string> = {}, abortAfter?: number) =>
    new Promise<{ status: number; headers: Record<string, unknown>; bytes: number }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: gateway.port, path, headers, ca: pki.gatewayCa.certPem, agent: false }, (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          if (abortAfter !== undefined && bytes >= abortAfter) {
            req.destroy();
            resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes });
          }
        });
        // `close` also when the gateway destroys the response (the upstream broke off).
        res.on('close', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes }));
        res.on('error', () => undefined);
      });
      req.on('error', (err) => (abortAfter === undefined ? reject(err) : undefined));
      req.end();
    });

  it('measures a gzip body decoded while relaying it compressed, and learns its object size', async () => {
    const res = await get('/api/v1/namespaces/z/configmaps', { 'Accept-Encoding': 'gzip' });
    assert.equal(res.headers['content-encoding'], 'gzip');
    const line = await lineOf({ resource: 'configmaps', namespace: 'z' });
    assert.equal(line.bytes, res.bytes, 'the client got the compressed bytes');
    assert.ok(res.bytes < configmaps.body.length / 5, 'the body stayed compressed');
    assert.equal(line.observedResponseBytes, configmaps.body.length, 'measured decoded');
    const text = await metrics();
    assert.equal(sample(text, 'listgate_estimate_error_ratio_count', 'resource="configmaps"'), 1);
    const learned = sample(text, 'listgate_size_model_bytes', 'resource="configmaps",representation="object",source="resource"');
    assert.ok(learned !== undefined && Math.abs(learned / (configmaps.itemBytes + 1) - 1) < 0.02, `learned ${learned} bytes per object`);
  });

  it('learns nothing from a response the client abandons, nor from one the upstream breaks off', async () => {
    const aborted = await get('/api/v1/namespaces/z/secrets?case=hold', {}, 64 * 1024);
    assert.equal(aborted.status, 200);
    const line = await lineOf({ resource: 'secrets', namespace: 'z', clientClosed: true });
    assert.equal(line.observedResponseBytes, undefined);
    assert.ok(Number(line.estimatedResponseBytes) > 0, 'the estimate is still logged');

    await get('/api/v1/namespaces/z/pods?case=break');
    const broken = await lineOf({ resource: 'pods', namespace: 'z' });
    assert.equal(broken.error, 'upstream_aborted');
    assert.equal(broken.observedResponseBytes, undefined);

    const text = await metrics();
    for (const resource of ['secrets', 'pods']) {
      assert.equal(sample(text, 'listgate_estimate_error_ratio_count', `resource="${resource}"`), undefined, `${resource}: no error observed`);
      assert.equal(sample(text, 'listgate_size_model_bytes', `resource="${resource}",representation="object",source="resource"`), undefined, `${resource}: nothing learned`);
    }
  });

  it('learns again from the next whole answer, and prices the next LIST with it', async () => {
    const measured = () => completedLines(gateway.logs, { resource: 'secrets', namespace: 'z', code: 200 }).filter((l) => l.observedResponseBytes !== undefined);
    const whole = await get('/api/v1/namespaces/z/secrets');
    assert.equal(whole.bytes, secrets.body.length);
    await eventually(() => measured().length === 1, 3000, 'the whole answer measured');
    const learned = sample(await metrics(), 'listgate_size_model_bytes', 'resource="secrets",representation="object",source="resource"');
    assert.ok(learned !== undefined && Math.abs(learned / (secrets.itemBytes + 1) - 1) < 0.02, `learned ${learned}`);

    await get('/api/v1/namespaces/z/secrets');
    await eventually(() => measured().length === 2, 3000, 'the second answer measured');
    const second = measured()[1]!;
    const ratio = Number(second.estimatedResponseBytes) / Number(second.observedResponseBytes);
    assert.ok(Math.abs(ratio - 1) < 0.02, `the count and size seen in the first answer price the second within 2 % (${ratio})`);
  });
});
