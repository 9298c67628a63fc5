/** startGateway: binds both ports (0 picks free ones), serves, and releases everything on close. */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { parseConfig } from '../../src/config/config.js';
import { startGateway } from '../../src/serve.js';
import { createGatewayTestPki, type GatewayTestPki } from '../support/gateway-pki.js';
import { gatewayRequest, testConfigDocument } from '../support/gateway-fixture.js';
import { startTestUpstream, type TestUpstream } from '../support/gateway-upstream.js';

describe('startGateway', () => {
  let pki: GatewayTestPki;
  let upstream: TestUpstream;
  const logger = pino({ level: 'silent' });

  before(async () => {
    pki = createGatewayTestPki();
    upstream = await startTestUpstream(pki, (_req, res) => res.end('{"kind":"APIVersions"}'));
  });
  after(async () => {
    await upstream.close();
    pki.cleanup();
  });

  it('listens on free ports, serves both, and closes them', async () => {
    const config = parseConfig(testConfigDocument({ pki, upstreamUrl: upstream.url }), { baseDir: pki.dir });
    const gateway = await startGateway({ config, logger });
    assert.ok(gateway.port > 0 && gateway.opsPort > 0 && gateway.port !== gateway.opsPort);
    const res = await gatewayRequest(gateway, pki, { path: '/api' });
    assert.deepEqual([res.status, res.body], [200, '{"kind":"APIVersions"}']);
    assert.equal((await fetch(`http://127.0.0.1:${gateway.opsPort}/livez`)).status, 200);
    await gateway.close();
    await assert.rejects(fetch(`http://127.0.0.1:${gateway.opsPort}/livez`));
    await assert.rejects(gatewayRequest(gateway, pki, { path: '/api' }), { code: 'ECONNREFUSED' });
  });

  it('rejects when a port is taken, leaving nothing listening', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const taken = (squatter.address() as AddressInfo).port;
    const doc = testConfigDocument({ pki, upstreamUrl: upstream.url });
    const opsProbe = createServer();
    await new Promise<void>((resolve) => opsProbe.listen(0, '127.0.0.1', resolve));
    const opsPort = (opsProbe.address() as AddressInfo).port;
    await new Promise((resolve) => opsProbe.close(resolve));
    const config = parseConfig({ ...doc, listen: { address: '127.0.0.1', port: taken }, ops: { address: '127.0.0.1', port: opsPort } }, { baseDir: pki.dir });
    try {
      await assert.rejects(startGateway({ config, logger }), { code: 'EADDRINUSE' });
      await assert.rejects(fetch(`http://127.0.0.1:${opsPort}/livez`), 'the ops port must be released');
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});
