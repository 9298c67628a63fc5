/**
 * The census asks as the gateway itself, never as a caller: in the demo's requestHeader mode a caller's
 * LIST reaches the simulator as that caller (through the front-proxy certificate), while the census's
 * /version, /metrics and `limit=1` probe it starts reach it with the gateway's own upstream certificate.
 */
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { DEV_USER, GATEWAY_IDENTITY } from '../../src/certs/dev-pki.js';
import { eventually } from '../support/gateway-fixture.js';
import { startE2EStack, type E2EStack } from '../support/e2e-stack.js';

describe('the census asks with the gateway credentials', () => {
  let stack: E2EStack;
  before(async () => {
    stack = await startE2EStack();
  });
  after(async () => stack?.close());

  it("sends the caller's LIST as the caller and its own probe, scrape and version read as the gateway", async () => {
    const url = new URL(stack.gatewayUrl);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: url.hostname, port: url.port, path: '/api/v1/namespaces/ns-1/configmaps', ca: stack.pki.ca.certPem, cert: stack.pki.user.certPem, key: stack.pki.user.keyPem, agent: false },
        (res) => res.resume().on('end', () => resolve(res.statusCode ?? 0)),
      );
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 200);
    const seen = () => stack.sim.stats.requests();
    await eventually(() => seen().some((r) => r.path === '/api/v1/namespaces/ns-1/configmaps?limit=1'), 5000, 'the census probe');
    const forwarded = seen().find((r) => r.path === '/api/v1/namespaces/ns-1/configmaps')!;
    assert.equal(forwarded.user, DEV_USER.name);
    const census = seen().filter((r) => r.path === '/metrics' || r.path === '/version' || r.path.endsWith('?limit=1'));
    assert.ok(census.length >= 3, census.map((r) => r.path).join(', '));
    for (const r of census) assert.equal(r.user, GATEWAY_IDENTITY.name, `${r.path} as ${r.user}`);
  });
});
