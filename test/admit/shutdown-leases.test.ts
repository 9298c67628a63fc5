/**
 * Shutdown with leases in flight: a LIST holds a lease while its (slow) response streams and another
 * waits behind it (nothing is known of their sizes: it waits for the first to end). On the graceful shutdown (drain timeout reached, what is left cut), the lease is
 * released at the cut request's settle point, the waiting request leaves the queue, and the `leases`
 * shutdown hook runs: nothing is leased or queued afterwards. Admission settings are changed the way a
 * reload changes them (a new snapshot on the ConfigSource), with the lease kept across it.
 */
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_ADMISSION, type AdmissionSettings } from '../../src/admit/admission-settings.js';
import { eventually, startTestGateway, type TestGateway } from '../support/gateway-fixture.js';
import { createGatewayTestPki, type GatewayTestPki } from '../support/gateway-pki.js';
import { startTestUpstream, type TestUpstream } from '../support/gateway-upstream.js';

function gaugeTotal(gw: TestGateway, name: string): Promise<number> {
  return gw.registry.getSingleMetricAsString(name).then((text) =>
    text
      .split('\n')
      .filter((l) => l.startsWith(name))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0),
  );
}

describe('shutdown with leases in flight', () => {
  let pki: GatewayTestPki;
  let upstream: TestUpstream;
  let gateway: TestGateway;
  const slow: ServerResponse[] = [];
  before(async () => {
    pki = createGatewayTestPki();
    upstream = await startTestUpstream(pki, (req, res) => {
      if (req.url?.startsWith('/api/v1/secrets')) {
        // A LIST whose body never ends: its lease is held until the exchange is cut.
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{"kind":"SecretList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[');
        slow.push(res);
        return;
      }
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"kind":"Status","apiVersion":"v1","status":"Failure","code":404}');
    });
    gateway = await startTestGateway({ pki, upstreamUrl: upstream.url, logLevel: 'info' });
  });
  after(async () => {
    for (const res of slow) res.destroy();
    await gateway.close();
    await upstream.close();
    pki.cleanup();
  });

  it('releases every lease and empties the queue; the leases hook runs', async () => {
    const ops = `http://127.0.0.1:${gateway.opsPort}`;
    const report = (await (await fetch(`${ops}/debug/estimate?path=/api/v1/secrets`)).json()) as { estimatedBytes: number; confidence: string };
    // Nothing is known of these Secrets (no census, no sample: a stand-in upstream): low confidence, so the
    // second LIST waits for the first in the learning lock, then in the level's queue.
    assert.equal(report.confidence, 'low');
    const E = report.estimatedBytes;
    const snapshot = gateway.app.config.snapshot();
    const admission: AdmissionSettings = {
      ...DEFAULT_ADMISSION,
      budgetBytes: Math.floor(1.5 * E),
      smallRequestBytes: 1024,
      levels: [
        { name: 'exempt', exempt: true, share: 0, limit: 1, queue: { length: 0, lengthPerFlow: 0, maxWaitMs: 0 } },
        { name: 'catch-all', exempt: false, share: 0.5, limit: 1, queue: { length: 4, lengthPerFlow: 4, maxWaitMs: 60_000 } },
      ],
      flowSchemas: [{ name: 'catch-all', level: 'catch-all', subjects: { users: [], groups: [], serviceAccounts: [] }, rules: { verbs: [], resources: [], namespaces: [] }, flowKey: 'user' }],
    };
    assert.deepEqual(gateway.app.config.publish({ ...snapshot, config: { ...snapshot.config, admission, shutdown: { readinessGracePeriodMs: 0, drainTimeoutMs: 300 } } }), []);

    [0, 1].forEach(() => {
      const req = request({ host: '127.0.0.1', port: gateway.port, path: '/api/v1/secrets', ca: pki.gatewayCa.certPem, agent: false });
      req.on('error', () => undefined);
      req.on('response', (res) => res.resume());
      req.end();
    });
    await eventually(() => slow.length === 1, 5_000, 'the first LIST streaming');
    assert.equal(await gaugeTotal(gateway, 'listgate_admission_in_use_bytes'), E);
    const waiting = async () => (await gaugeTotal(gateway, 'listgate_admission_queued_requests')) + (await gaugeTotal(gateway, 'listgate_admission_learning_waiting_requests'));
    for (let i = 0; i < 100 && (await waiting()) === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await gaugeTotal(gateway, 'listgate_admission_learning_waiting_requests'), 1, 'the second LIST waits for the first: nothing is known of their sizes');

    // A reload keeps the lease: a larger budget in place, the first LIST still counted.
    const bigger = { ...admission, budgetBytes: Math.floor(1.8 * E) };
    gateway.app.config.publish({ ...snapshot, config: { ...snapshot.config, admission: bigger, shutdown: { readinessGracePeriodMs: 0, drainTimeoutMs: 300 } } });
    assert.equal(await gaugeTotal(gateway, 'listgate_admission_in_use_bytes'), E);
    assert.equal(await gaugeTotal(gateway, 'listgate_admission_budget_bytes'), Math.floor(1.8 * E));

    const result = await gateway.app.shutdown();
    assert.equal(result.drained, false, 'the endless LIST outlived the drain');
    assert.equal(await gaugeTotal(gateway, 'listgate_admission_in_use_bytes'), 0);
    assert.equal(await gaugeTotal(gateway, 'listgate_admission_queued_requests'), 0);
    assert.equal(await gaugeTotal(gateway, 'listgate_admission_learning_waiting_requests'), 0, 'answered at shutdown');
    assert.equal(await gaugeTotal(gateway, 'listgate_admission_leases'), 0);
    assert.ok(gateway.logs.some((l) => l.msg === 'shutdown: admission released its leases'), 'the leases hook ran');
  });
});
