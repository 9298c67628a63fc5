/**
 * Hot reload inside a running gateway (startGateway with its config file, laid out like a ConfigMap):
 * a new upstream takes the new requests while a request already in flight finishes on the old one
 * (whose client is closed afterwards), a rotated serving certificate is used by new handshakes while an
 * open connection keeps working, and the log level changes at once.
 */
import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { issueServingCert } from '../../src/certs/pki.js';
import { loadConfigFile } from '../../src/config/config.js';
import { startGateway, type RunningGateway } from '../../src/serve.js';
import { eventually } from '../support/gateway-fixture.js';
import { createGatewayTestPki, type GatewayTestPki } from '../support/gateway-pki.js';
import { startTestUpstream, type TestUpstream } from '../support/gateway-upstream.js';
import { createConfigMapDir, type ConfigMapDir } from './configmap-dir.js';

function get(port: number, ca: string, path: string, agent: Agent | false = false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca, agent }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('hot reload in a running gateway', () => {
  let pki: GatewayTestPki;
  let a: TestUpstream;
  let b: TestUpstream;
  let volume: ConfigMapDir;
  let gateway: RunningGateway;
  const logger = pino({ level: 'info' }, { write: () => undefined });
  const answer = (name: string) => (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith('/slow')) return void setTimeout(() => res.end(`${name}-slow`), 700);
    res.end(name);
  };
  const yaml = (upstreamUrl: string, level = 'info') => `
listen: { address: 127.0.0.1, port: 0 }
ops: { address: 127.0.0.1, port: 0 }
tls: { certFile: ${join(pki.dir, 'serving.crt')}, keyFile: ${join(pki.dir, 'serving.key')} }
upstream: { server: '${upstreamUrl}', caFile: ${join(pki.dir, pki.files.upstreamCa)}, clientCertFile: ${join(pki.dir, pki.files.clientCert)}, clientKeyFile: ${join(pki.dir, pki.files.clientKey)} }
authentication: { tokenReview: { enabled: false }, anonymous: { enabled: true } }
identity: { mode: insecure }
logging: { level: ${level} }
`;

  before(async () => {
    pki = createGatewayTestPki();
    [a, b] = await Promise.all([startTestUpstream(pki, answer('a')), startTestUpstream(pki, answer('b'))]);
    volume = createConfigMapDir(join(pki.dir, 'config'), { 'listgate.yaml': yaml(a.url) });
    const path = volume.path('listgate.yaml');
    gateway = await startGateway({ config: await loadConfigFile(path), logger, configPath: path, watch: { debounceMs: 50, pollIntervalMs: 0 } });
  });
  after(async () => {
    await gateway.close();
    await Promise.all([a.close(), b.close()]);
    pki.cleanup();
  });

  const ca = () => pki.gatewayCa.certPem;

  it('sends new requests to a new upstream while one in flight finishes on the old', async () => {
    assert.deepEqual(await get(gateway.port, ca(), '/api'), { status: 200, body: 'a' });
    const inFlight = get(gateway.port, ca(), '/slow/api');
    await eventually(() => a.seen.some((s) => s.url === '/slow/api'), 2000, 'the slow request at a');
    const oldGeneration = gateway.app.config.snapshot();
    volume.write({ 'listgate.yaml': yaml(b.url, 'debug') });
    await eventually(() => gateway.app.config.snapshot() !== oldGeneration, 3000, 'the reload');
    assert.deepEqual(await get(gateway.port, ca(), '/api'), { status: 200, body: 'b' }, 'new requests go to b');
    assert.equal(logger.level, 'debug', 'the log level changed at once');
    assert.deepEqual(await inFlight, { status: 200, body: 'a-slow' }, 'the request in flight finished on a');
    let open = -1;
    const poll = setInterval(() => a.server.getConnections((_e, n) => (open = n)), 20);
    try {
      await eventually(() => open === 0, 3000, 'the old upstream client to close its connections once idle');
    } finally {
      clearInterval(poll);
    }
  });

  it('serves a rotated certificate to new connections while an open one keeps working', async () => {
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      assert.equal((await get(gateway.port, ca(), '/api', keepAlive)).status, 200);
      const rotated = issueServingCert(pki.otherCa);
      const dir = pki.dir;
      // Write-then-rename, as a Secret volume update is atomic: the watcher never sees half a pair.
      writeFileSync(join(dir, 'serving.key.new'), rotated.keyPem);
      writeFileSync(join(dir, 'serving.crt.new'), rotated.certPem);
      renameSync(join(dir, 'serving.key.new'), join(dir, 'serving.key'));
      renameSync(join(dir, 'serving.crt.new'), join(dir, 'serving.crt'));
      await eventually(() => gateway.app.config.snapshot().files.serving.cert === rotated.certPem, 3000, 'the rotated certificate');
      assert.deepEqual(await get(gateway.port, pki.otherCa.certPem, '/api'), { status: 200, body: 'b' }, 'new handshakes present the new certificate');
      await assert.rejects(get(gateway.port, ca(), '/api'), /self[- ]signed|unable to verify|certificate/i, 'the old CA no longer verifies new handshakes');
      assert.equal((await get(gateway.port, ca(), '/api', keepAlive)).status, 200, 'the open connection keeps its session');
    } finally {
      keepAlive.destroy();
    }
  });
});
